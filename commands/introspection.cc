// COMMAND and its subcommands (COUNT, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP, INFO, LIST), replying
// as Redis 7.0.15 does. Everything is derived from the CommandSpec table: INFO's flags, ACL
// categories and key specs; DOCS's argument trees, parsed from each spec's syntax string.
// Thread: handlers only read the registry, which is immutable once the server runs.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "common/errors.h"
#include "common/strutil.h"

namespace strata::cmd {

// ---------------------------------------------------------------------------------------------
// Syntax parser: CommandSpec::syntax -> the "arguments" tree of COMMAND DOCS.
//
// Grammar (whitespace separates words; [ ] < > | and ... are lexemes even when attached):
//   syntax := alts
//   alts   := seq ('|' seq)*          two or more branches make one "oneof"
//   seq    := item*
//   item   := WORD | LITERAL | '[' alts ']' | '<' alts '>' | '...'
//   WORD    has a lowercase letter: an argument named by it, typed from its name (InferType)
//   LITERAL has none (NX, EX, =, *): a keyword
// A seq is then shaped in three steps:
//  1. Repetition. "[x ...]" right after items equal to x ("key [key ...]", "score member
//     [score member ...]", "GET pattern [GET pattern ...]") replaces those items with one element
//     flagged multiple (multiple_token too when x starts with a keyword); without a match it is
//     x flagged optional+multiple. A bare "x ..." flags the item before it multiple.
//  2. Binding. A LITERAL takes the items after it up to the next LITERAL or [ ] group: one WORD
//     becomes that argument with the keyword as its token ("EX seconds"); one < > group gets the
//     token and the keyword's name; several become a block named after the keyword
//     ("LIMIT offset count"). A LITERAL that takes nothing is a pure-token named in lowercase.
//  3. Grouping. [ ] flags its content optional, < > just groups; content of several arguments is
//     a block. Groups with no keyword are named by their children's names joined with '_', as
//     Redis names "key_value" and "offset_count".
// Also accepted, as some docs write it: "[TYPE NORMAL | MASTER]" reads "[TYPE <NORMAL | MASTER>]"
// (a branch ending in two keywords, all other branches a single keyword). Unbalanced brackets
// are tolerated (stray closers skipped, missing ones implied at the end).
// ---------------------------------------------------------------------------------------------

namespace {

struct DocArg {
  std::string name, type, token;
  bool optional = false, multiple = false, multiple_token = false;
  std::vector<DocArg> args;  // oneof / block children

  bool operator==(const DocArg& o) const {
    return name == o.name && type == o.type && token == o.token && optional == o.optional &&
           multiple == o.multiple && multiple_token == o.multiple_token && args == o.args;
  }
};

// One element of a seq before step 2.
struct Item {
  DocArg arg;
  bool literal = false;   // a keyword that may still take the items after it
  bool optional = false;  // a [ ] group: never taken by a keyword

  bool operator==(const Item& o) const {
    return arg == o.arg && literal == o.literal && optional == o.optional;
  }
};

std::string InferType(std::string_view name, bool float_increment) {
  std::string_view base = name;
  while (base.size() > 1 && std::isdigit(static_cast<unsigned char>(base.back())))
    base.remove_suffix(1);  // key1, index2
  static const char* const kKey[] = {"key", "destination", "source", "newkey", "dst", "src"};
  static const char* const kInt[] = {
      "seconds",        "milliseconds", "count",     "offset",  "start",   "end",
      "stop",           "increment",    "decrement", "cursor",  "limit",   "db",
      "destination-db", "index",        "port",      "numkeys", "protover"};
  for (const char* k : kKey)
    if (base == k) return "key";
  if (base == "pattern") return "pattern";
  if (base == "unix-time-seconds" || base == "unix-time-milliseconds") return "unix-time";
  // Blocking commands take fractional seconds: "timeout" is a double there, as in Redis.
  if (base == "score" || base == "timeout" || (float_increment && base == "increment"))
    return "double";
  for (const char* k : kInt)
    if (base == k) return "integer";
  return "string";
}

// Several arguments as one block; an empty DocArg (no type) when there are none.
DocArg Block(std::vector<DocArg> children) {
  if (children.empty()) return {};
  if (children.size() == 1) return std::move(children[0]);
  DocArg b;
  b.type = "block";
  for (const DocArg& c : children) b.name += (b.name.empty() ? "" : "_") + c.name;
  b.args = std::move(children);
  return b;
}

class SyntaxParser {
 public:
  SyntaxParser(std::string_view s, bool float_increment) : s_(s), float_(float_increment) {}

  std::vector<DocArg> Parse() {
    bool trailing = false;
    auto branches = ParseAlts(0, &trailing);
    if (branches.size() == 1) return Bind(std::move(branches[0]));
    DocArg g = Group(std::move(branches));
    if (g.type.empty()) return {};
    return {std::move(g)};
  }

 private:
  std::string_view Peek() {
    size_t save = pos_;
    std::string_view t = Next();
    pos_ = save;
    return t;
  }

  std::string_view Next() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ >= s_.size()) return {};
    size_t start = pos_;
    if (std::string_view("[]<>|").find(s_[pos_]) != std::string_view::npos)
      return s_.substr(pos_++, 1);
    if (s_.substr(pos_, 3) == "...") return s_.substr((pos_ += 3) - 3, 3);
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) &&
           std::string_view("[]<>|").find(s_[pos_]) == std::string_view::npos &&
           s_.substr(pos_, 3) != "...")
      ++pos_;
    return s_.substr(start, pos_ - start);
  }

  static bool IsCloser(std::string_view t) { return t == "]" || t == ">"; }

  // Branches up to `close` (not consumed); *trailing: the last one ended in "..." + close.
  std::vector<std::vector<Item>> ParseAlts(char close, bool* trailing) {
    std::vector<std::vector<Item>> branches;
    for (;;) {
      branches.push_back(ParseSeq(close, trailing));
      if (Peek() != "|") break;
      Next();
    }
    return branches;
  }

  std::vector<Item> ParseSeq(char close, bool* trailing) {
    std::vector<Item> items;
    *trailing = false;
    for (;;) {
      std::string_view t = Peek();
      if (t.empty() || t == "|" || (close != 0 && t.size() == 1 && t[0] == close)) break;
      Next();
      if (IsCloser(t)) continue;  // stray closer
      if (t == "...") {
        std::string_view after = Peek();
        if (close != 0 && after.size() == 1 && after[0] == close)
          *trailing = true;
        else if (!items.empty())
          items.back().arg.multiple = true;
        continue;
      }
      if (t == "[" || t == "<") {
        bool opt = t == "[";
        bool rep = false;
        auto branches = ParseAlts(opt ? ']' : '>', &rep);
        if (!Peek().empty()) Next();  // the closer
        if (opt && rep && branches.size() == 1) {
          Repeat(&items, std::move(branches[0]));
          continue;
        }
        Item g;
        g.arg = Group(std::move(branches));
        if (g.arg.type.empty()) continue;  // "[ ]"
        g.arg.multiple |= rep;
        g.arg.optional |= opt;
        g.optional = opt;
        items.push_back(std::move(g));
        continue;
      }
      Item w;
      bool lower = std::any_of(t.begin(), t.end(),
                               [](char c) { return std::islower(static_cast<unsigned char>(c)); });
      if (lower) {
        w.arg.name = std::string(t);
        w.arg.type = InferType(t, float_);
      } else {
        w.literal = true;
        w.arg.name = std::string(t);
        ToLowerInPlace(w.arg.name);
        w.arg.type = "pure-token";
        w.arg.token = std::string(t);
      }
      items.push_back(std::move(w));
    }
    return items;
  }

  // Step 1: "[x ...]" merges with a preceding x.
  void Repeat(std::vector<Item>* items, std::vector<Item> unit) {
    size_t k = unit.size();
    bool matched = k > 0 && items->size() >= k &&
                   std::equal(unit.begin(), unit.end(), items->end() - static_cast<long>(k));
    if (matched) items->erase(items->end() - static_cast<long>(k), items->end());
    bool keyword_first = k > 0 && unit[0].literal;
    std::vector<DocArg> bound = Bind(std::move(unit));
    if (bound.empty()) return;
    Item r;
    if (bound.size() == 1) {
      r.arg = std::move(bound[0]);
      r.arg.multiple_token = keyword_first && !r.arg.token.empty();
    } else {
      r.arg = Block(std::move(bound));
    }
    r.arg.multiple = true;
    r.arg.optional |= !matched;
    r.optional = !matched;
    items->push_back(std::move(r));
  }

  // Step 2: keywords take the items after them.
  std::vector<DocArg> Bind(std::vector<Item> items) {
    std::vector<DocArg> out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].literal) {
        out.push_back(std::move(items[i].arg));
        continue;
      }
      size_t j = i + 1;
      while (j < items.size() && !items[j].literal && !items[j].optional) ++j;
      DocArg kw = std::move(items[i].arg);
      if (j == i + 1) {
        out.push_back(std::move(kw));
      } else if (j == i + 2 && items[i + 1].arg.token.empty()) {
        DocArg a = std::move(items[i + 1].arg);
        a.token = kw.token;
        if (a.type == "oneof" || a.type == "block") a.name = kw.name;
        out.push_back(std::move(a));
      } else {
        DocArg b;
        b.name = kw.name;
        b.type = "block";
        b.token = kw.token;
        for (size_t m = i + 1; m < j; ++m) b.args.push_back(std::move(items[m].arg));
        out.push_back(std::move(b));
      }
      i = j - 1;
    }
    return out;
  }

  // Step 3: a bracketed group (or a top-level alternation) as one argument; no type if empty.
  DocArg Group(std::vector<std::vector<Item>> branches) {
    LooseKeywordChoice(&branches);
    if (branches.size() == 1) return Block(Bind(std::move(branches[0])));
    DocArg o;
    o.type = "oneof";
    for (auto& b : branches) {
      DocArg a = Block(Bind(std::move(b)));
      if (a.type.empty()) continue;
      o.name += (o.name.empty() ? "" : "_") + a.name;
      o.args.push_back(std::move(a));
    }
    if (o.args.size() <= 1) return o.args.empty() ? DocArg() : std::move(o.args[0]);
    return o;
  }

  // "TYPE NORMAL | MASTER | REPLICA" -> "TYPE <NORMAL | MASTER | REPLICA>".
  void LooseKeywordChoice(std::vector<std::vector<Item>>* branches) {
    auto& bs = *branches;
    if (bs.size() < 2 || bs[0].size() < 2 || !bs[0].back().literal ||
        !bs[0][bs[0].size() - 2].literal)
      return;
    for (size_t i = 1; i < bs.size(); ++i)
      if (bs[i].size() != 1 || !bs[i][0].literal) return;
    std::vector<std::vector<Item>> choices;
    choices.push_back({std::move(bs[0].back())});
    bs[0].pop_back();
    for (size_t i = 1; i < bs.size(); ++i) choices.push_back(std::move(bs[i]));
    Item g;
    g.arg = Group(std::move(choices));
    std::vector<Item> seq = std::move(bs[0]);
    seq.push_back(std::move(g));
    bs.clear();
    bs.push_back(std::move(seq));
  }

  std::string_view s_;
  size_t pos_ = 0;
  bool float_;
};

std::vector<DocArg> ParseSyntax(std::string_view syntax, std::string_view command) {
  bool float_increment = command.find("float") != std::string_view::npos || command == "zincrby";
  return SyntaxParser(syntax, float_increment).Parse();
}

void Describe(const DocArg& a, std::string* out) {
  *out += a.name + ":" + a.type;
  if (!a.token.empty()) *out += "@" + a.token;
  std::string flags;
  if (a.optional) flags += ",optional";
  if (a.multiple) flags += ",multiple";
  if (a.multiple_token) flags += ",multiple_token";
  if (!flags.empty()) *out += "{" + flags.substr(1) + "}";
  if (!a.args.empty()) {
    *out += "(";
    for (size_t i = 0; i < a.args.size(); ++i) {
      if (i) *out += " ";
      Describe(a.args[i], out);
    }
    *out += ")";
  }
}

}  // namespace

// Test hook (declared by tests/unit/introspection_test.cc): the argument tree of `syntax` on one
// line, arguments separated by spaces, each "name:type[@TOKEN][{flags}][(children)]".
std::string DescribeSyntaxForTest(std::string_view syntax, std::string_view command) {
  std::string out;
  for (const DocArg& a : ParseSyntax(syntax, command)) {
    if (!out.empty()) out += " ";
    Describe(a, &out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

namespace {


// Redis's order of COMMAND INFO flags, restricted to the flags strata has.
constexpr struct {
  uint32_t bit;
  const char* name;
} kFlagNames[] = {{kWrite, "write"},         {kReadOnly, "readonly"},
                  {kDenyOom, "denyoom"},     {kAdmin, "admin"},
                  {kPubSub, "pubsub"},       {kNoScript, "noscript"},
                  {kBlocking, "blocking"},   {kLoading, "loading"},
                  {kStale, "stale"},         {kSkipMonitor, "skip_monitor"},
                  {kSkipSlowlog, "skip_slowlog"},
                  {kFast, "fast"},           {kNoAuth, "no_auth"},
                  {kNoMandatoryKeys, "no_mandatory_keys"},
                  {kNoMulti, "no_multi"},    {kMovableKeys, "movablekeys"},
                  {kAllowBusy, "allow_busy"}};

// ACL categories in the order Redis lists them.
constexpr const char* kCategories[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

uint32_t CategoryBit(std::string_view name) {
  for (size_t i = 0; i < std::size(kCategories); ++i)
    if (EqualsIgnoreCase(name, kCategories[i])) return 1u << i;
  return 0;
}

// Categories Redis gives these commands beyond what group and flags imply.
constexpr struct {
  const char* name;
  const char* extra;
} kExtraCategories[] = {{"command", "connection"},  // and every command|* subcommand
                        {"dbsize", "keyspace"},
                        {"flushdb", "keyspace dangerous"},
                        {"flushall", "keyspace dangerous"},
                        {"swapdb", "keyspace dangerous"},
                        {"keys", "dangerous"},
                        {"info", "dangerous"},
                        {"sort", "dangerous"},
                        {"restore", "dangerous"},
                        {"migrate", "dangerous"}};

// Redis's implicit categories (flags) plus the data-type category of the group. Containers get
// only the implicit ones, as in Redis.
uint32_t Categories(const CommandSpec& s) {
  uint32_t cats = 0;
  if (s.subcommands.empty()) {
    std::string_view g = s.group;
    if (g == "generic")
      g = "keyspace";
    else if (g == "sorted-set")
      g = "sortedset";
    else if (g == "transactions")
      g = "transaction";
    cats |= CategoryBit(g);  // "server", "cluster": none
  }
  if (s.flags & kWrite) cats |= CategoryBit("write");
  if (s.flags & kReadOnly) cats |= CategoryBit("read");
  if (s.flags & kAdmin) cats |= CategoryBit("admin") | CategoryBit("dangerous");
  if (s.flags & kPubSub) cats |= CategoryBit("pubsub");
  cats |= CategoryBit((s.flags & kFast) ? "fast" : "slow");
  if (s.flags & kBlocking) cats |= CategoryBit("blocking");
  std::string_view top = std::string_view(s.name).substr(0, s.name.find('|'));
  for (const auto& e : kExtraCategories) {
    if (s.name != e.name && !(top == "command" && top == e.name)) continue;
    std::string_view rest = e.extra;
    while (!rest.empty()) {
      size_t sp = rest.find(' ');
      cats |= CategoryBit(rest.substr(0, sp));
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
  }
  return cats;
}

// Key-spec flags by the names Redis reports, in Redis's order. strata's own bits (kKeyBlind)
// have no name and are never shown.
constexpr struct {
  uint32_t bit;
  const char* name;
} kKeyFlagNames[] = {{kKeyRO, "RO"},
                     {kKeyRW, "RW"},
                     {kKeyOW, "OW"},
                     {kKeyRM, "RM"},
                     {kKeyAccess, "access"},
                     {kKeyUpdate, "update"},
                     {kKeyInsert, "insert"},
                     {kKeyDelete, "delete"},
                     {kKeyNotKey, "not_key"},
                     {kKeyIncomplete, "incomplete"},
                     {kKeyVariableFlags, "variable_flags"}};

void WriteKeyFlags(protocol::ReplyWriter* out, uint32_t flags) {
  size_t n = 0;
  for (const auto& f : kKeyFlagNames) n += (flags & f.bit) != 0;
  out->SetHeader(n);
  for (const auto& f : kKeyFlagNames)
    if (flags & f.bit) out->SimpleString(f.name);
}

void WriteFlagSet(protocol::ReplyWriter* out, const std::vector<const char*>& flags) {
  out->SetHeader(flags.size());
  for (const char* f : flags) out->SimpleString(f);
}

// COMMAND INFO's key specifications (field 9), as Redis writes them.
void WriteKeySpecs(protocol::ReplyWriter* out, const CommandSpec& s) {
  out->SetHeader(s.key_specs.size());
  for (const KeySpec& k : s.key_specs) {
    out->MapHeader(k.notes != nullptr ? 4 : 3);
    if (k.notes != nullptr) {
      out->Bulk("notes");
      out->Bulk(k.notes);
    }
    out->Bulk("flags");
    WriteKeyFlags(out, k.flags);
    out->Bulk("begin_search");
    out->MapHeader(2);
    out->Bulk("type");
    if (k.keyword == nullptr) {
      out->Bulk("index");
      out->Bulk("spec");
      out->MapHeader(1);
      out->Bulk("index");
      out->Integer(k.index);
    } else {
      out->Bulk("keyword");
      out->Bulk("spec");
      out->MapHeader(2);
      out->Bulk("keyword");
      out->Bulk(k.keyword);
      out->Bulk("startfrom");
      out->Integer(k.startfrom);
    }
    out->Bulk("find_keys");
    out->MapHeader(2);
    out->Bulk("type");
    if (k.find == KeySpec::Find::kRange) {
      out->Bulk("range");
      out->Bulk("spec");
      out->MapHeader(3);
      out->Bulk("lastkey");
      out->Integer(k.lastkey);
      out->Bulk("keystep");
      out->Integer(k.keystep);
      out->Bulk("limit");
      out->Integer(k.limit);
    } else {
      out->Bulk("keynum");
      out->Bulk("spec");
      out->MapHeader(3);
      out->Bulk("keynumidx");
      out->Integer(k.keynumidx);
      out->Bulk("firstkey");
      out->Integer(k.firstkey);
      out->Bulk("keystep");
      out->Integer(k.keystep);
    }
  }
}

// COMMAND INFO's ten fields for one command (subcommands nested).
void WriteInfo(protocol::ReplyWriter* out, const CommandSpec& s) {
  out->ArrayHeader(10);
  out->Bulk(s.name);
  out->Integer(s.arity);
  std::vector<const char*> flags;
  for (const auto& f : kFlagNames)
    if (s.flags & f.bit) flags.push_back(f.name);
  WriteFlagSet(out, flags);
  out->Integer(s.first_key);
  out->Integer(s.last_key);
  out->Integer(s.key_step);
  uint32_t cats = Categories(s);
  std::vector<std::string> names;
  for (size_t i = 0; i < std::size(kCategories); ++i)
    if (cats & (1u << i)) names.push_back(std::string("@") + kCategories[i]);
  out->SetHeader(names.size());
  for (const std::string& n : names) out->SimpleString(n);
  // Tips: kRandom is what Redis 7 calls nondeterministic_output.
  out->SetHeader((s.flags & kRandom) ? 1 : 0);
  if (s.flags & kRandom) out->Bulk("nondeterministic_output");
  WriteKeySpecs(out, s);
  if (s.subcommands.empty()) {
    out->SetHeader(0);  // Redis: an empty set here, an array when there are subcommands
  } else {
    out->ArrayHeader(s.subcommands.size());
    for (const CommandSpec& sub : s.subcommands) WriteInfo(out, sub);
  }
}

// Redis numbers a command's key arguments in the order its key specs are: the n-th key argument
// of the syntax is described by spec n (the last spec when there are more key arguments).
// `next_key` counts the key arguments written so far; `num_specs` 0 writes no index.
void WriteArg(protocol::ReplyWriter* out, const DocArg& a, size_t num_specs, size_t* next_key) {
  bool key_index = a.type == "key" && num_specs > 0;
  size_t nflags = a.optional + a.multiple + a.multiple_token;
  out->MapHeader(2 + key_index + !a.token.empty() + (nflags > 0) + !a.args.empty());
  out->Bulk("name");
  out->Bulk(a.name);
  out->Bulk("type");
  out->Bulk(a.type);
  if (key_index) {
    out->Bulk("key_spec_index");
    out->Integer(static_cast<int64_t>(std::min(*next_key, num_specs - 1)));
    ++*next_key;
  }
  if (!a.token.empty()) {
    out->Bulk("token");
    out->Bulk(a.token);
  }
  if (nflags > 0) {
    out->Bulk("flags");
    out->SetHeader(nflags);
    if (a.optional) out->SimpleString("optional");
    if (a.multiple) out->SimpleString("multiple");
    if (a.multiple_token) out->SimpleString("multiple_token");
  }
  if (!a.args.empty()) {
    out->Bulk("arguments");
    out->ArrayHeader(a.args.size());
    for (const DocArg& c : a.args) WriteArg(out, c, num_specs, next_key);
  }
}

// COMMAND DOCS's map for one command. "complexity" and "history" are omitted: CommandSpec has
// no such fields (Redis omits them too when a command lacks them).
void WriteDocs(protocol::ReplyWriter* out, const CommandSpec& s) {
  std::vector<DocArg> args = ParseSyntax(s.syntax, s.name);
  out->MapHeader(!s.summary.empty() + !s.since.empty() + 1 + !args.empty() +
                 !s.subcommands.empty());
  if (!s.summary.empty()) {
    out->Bulk("summary");
    out->Bulk(s.summary);
  }
  if (!s.since.empty()) {
    out->Bulk("since");
    out->Bulk(s.since);
  }
  out->Bulk("group");
  out->Bulk(s.group);
  if (!args.empty()) {
    out->Bulk("arguments");
    out->ArrayHeader(args.size());
    size_t next_key = 0;
    for (const DocArg& a : args) WriteArg(out, a, s.key_specs.size(), &next_key);
  }
  if (!s.subcommands.empty()) {
    out->Bulk("subcommands");
    out->MapHeader(s.subcommands.size());
    for (const CommandSpec& sub : s.subcommands) {
      out->Bulk(sub.name);
      WriteDocs(out, sub);
    }
  }
}

// "get", "GET", "config|get": Redis's lookup of a full command name.
const CommandSpec* LookupFullName(const CommandRegistry& r, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return r.Find(name);
  std::string_view sub = name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos) return nullptr;
  const CommandSpec* parent = r.Find(name.substr(0, bar));
  if (parent == nullptr || parent->subcommands.empty()) return nullptr;
  return r.FindSubcommand(*parent, sub);
}

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

// ---- Handlers ----

void CommandAll(CommandContext& ctx) {
  const auto& all = ctx.registry->all();
  ctx.out->ArrayHeader(all.size());
  for (const CommandSpec* s : all) WriteInfo(ctx.out, *s);
}

void CommandCount(CommandContext& ctx) {
  ctx.out->Integer(static_cast<int64_t>(ctx.registry->all().size()));
}

void CommandInfo(CommandContext& ctx) {
  if (ctx.argc == 2) return CommandAll(ctx);
  ctx.out->ArrayHeader(ctx.argc - 2);
  for (size_t i = 2; i < ctx.argc; ++i) {
    const CommandSpec* s = LookupFullName(*ctx.registry, ctx.arg(i));
    if (s != nullptr)
      WriteInfo(ctx.out, *s);
    else
      ctx.out->NullBulk();
  }
}

void CommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> found;
  if (ctx.argc == 2) {
    found = ctx.registry->all();
  } else {
    for (size_t i = 2; i < ctx.argc; ++i)  // unknown names are left out
      if (const CommandSpec* s = LookupFullName(*ctx.registry, ctx.arg(i))) found.push_back(s);
  }
  ctx.out->MapHeader(found.size());
  for (const CommandSpec* s : found) {
    ctx.out->Bulk(s->name);
    WriteDocs(ctx.out, *s);
  }
}

void CommandList(CommandContext& ctx) {
  enum { kAll, kModule, kAclCat, kPattern } filter = kAll;
  std::string_view arg;
  if (ctx.argc == 5 && EqualsIgnoreCase(ctx.arg(2), "FILTERBY")) {
    arg = ctx.arg(4);
    if (EqualsIgnoreCase(ctx.arg(3), "MODULE"))
      filter = kModule;
    else if (EqualsIgnoreCase(ctx.arg(3), "ACLCAT"))
      filter = kAclCat;
    else if (EqualsIgnoreCase(ctx.arg(3), "PATTERN"))
      filter = kPattern;
    else
      return ctx.out->Error(err::kSyntax);
  } else if (ctx.argc != 2) {
    return ctx.out->Error(err::kSyntax);
  }
  uint32_t cat = filter == kAclCat ? CategoryBit(arg) : 0;
  std::vector<const std::string*> names;
  auto consider = [&](const CommandSpec& s) {
    switch (filter) {
      case kAll:
        break;
      case kModule:
        return;  // strata has no modules
      case kAclCat:
        if (cat == 0 || !(Categories(s) & cat)) return;
        break;
      case kPattern:
        if (!GlobMatch(arg, s.name, /*nocase=*/true)) return;
        break;
    }
    names.push_back(&s.name);
  };
  for (const CommandSpec* s : ctx.registry->all()) {
    consider(*s);
    for (const CommandSpec& sub : s->subcommands) consider(sub);
  }
  ctx.out->ArrayHeader(names.size());
  for (const std::string* n : names) ctx.out->Bulk(*n);
}

// GETKEYS and GETKEYSANDFLAGS: argv[2..] is a full command. Checks in Redis's order.
void GetKeysReply(CommandContext& ctx, bool with_flags) {
  const std::string_view* argv = ctx.argv + 2;
  size_t argc = ctx.argc - 2;
  const CommandSpec* s = ctx.registry->Find(argv[0]);
  if (s != nullptr && !s->subcommands.empty() && argc >= 2)
    s = ctx.registry->FindSubcommand(*s, argv[1]);
  if (s == nullptr) return ctx.out->Error(err::kInvalidCommand);
  // Specs flagged not_key (shard channels) name no key.
  bool has_keys = std::any_of(s->key_specs.begin(), s->key_specs.end(),
                              [](const KeySpec& k) { return !(k.flags & kKeyNotKey); });
  if (!has_keys) return ctx.out->Error(err::kNoKeyArgs);
  if (!ArityOk(s->arity, argc)) return ctx.out->Error(err::kInvalidArgCount);
  KeyArgs keys;
  if (!GetKeys(*s, argv, argc, &keys) || keys.empty()) return ctx.out->Error(err::kInvalidArgs);
  ctx.out->ArrayHeader(keys.size());
  for (const KeyArg& k : keys) {
    if (!with_flags) {
      ctx.out->Bulk(argv[k.pos]);
      continue;
    }
    ctx.out->ArrayHeader(2);
    ctx.out->Bulk(argv[k.pos]);
    WriteKeyFlags(ctx.out, k.flags);
  }
}

void CommandGetKeys(CommandContext& ctx) { GetKeysReply(ctx, false); }
void CommandGetKeysAndFlags(CommandContext& ctx) { GetKeysReply(ctx, true); }

void CommandHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
      "    Return a list of all commands in this server, optionally filtered.",
      "INFO [<command-name> ...]",
      "    Return details about the given commands, or about all commands if none are given.",
      "DOCS [<command-name> ...]",
      "    Return documentation about the given commands, or about all commands if none",
      "    are given.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and their access flags from a full command.",
      "HELP",
      "    Print this help.",
  };
  ctx.out->ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.out->SimpleString(l);
}

CommandSpec Sub(const char* name, int arity, Handler h, const char* since, const char* summary,
                const char* syntax) {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.flags = kLoading | kStale;
  s.handler = h;
  s.group = "server";
  s.since = since;
  s.summary = summary;
  s.syntax = syntax;
  return s;
}

}  // namespace

void RegisterIntrospection(CommandRegistry& r) {
  // Arity, flags and docs as Redis 7.0.15's COMMAND INFO / DOCS report them (GETKEYS has -4
  // there, and no documented arguments).
  CommandSpec c =
      Sub("command", -1, CommandAll, "2.8.13", "Get array of Redis command details", "");
  c.subcommands = {
      Sub("command|count", 2, CommandCount, "2.8.13", "Get total number of Redis commands", ""),
      Sub("command|docs", -2, CommandDocs, "7.0.0",
          "Get array of specific Redis command documentation", "[command-name [command-name ...]]"),
      Sub("command|getkeys", -4, CommandGetKeys, "2.8.13",
          "Extract keys given a full Redis command", ""),
      Sub("command|getkeysandflags", -4, CommandGetKeysAndFlags, "7.0.0",
          "Extract keys and access flags given a full Redis command", ""),
      Sub("command|help", 2, CommandHelp, "5.0.0",
          "Show helpful text about the different subcommands", ""),
      Sub("command|info", -2, CommandInfo, "2.8.13",
          "Get array of specific Redis command details, or all when no argument is given.",
          "[command-name [command-name ...]]"),
      Sub("command|list", -2, CommandList, "7.0.0", "Get an array of Redis command names",
          "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]"),
  };
  r.Register(std::move(c));
}

}  // namespace strata::cmd
