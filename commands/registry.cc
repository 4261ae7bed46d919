// The command table, name lookup and the checks every command gets before its handler runs.
#include <cctype>
#include <algorithm>

#include "commands/command.h"

#include "common/errors.h"
#include "common/strutil.h"

namespace strata::cmd {

namespace {
inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Lowercases name into buf when it fits (command names are short); false otherwise.
bool LowerInto(std::string_view name, char* buf, size_t cap, std::string_view* out) {
  if (name.size() > cap) return false;
  for (size_t i = 0; i < name.size(); ++i)
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  *out = std::string_view(buf, name.size());
  return true;
}

// Error messages quote user input: keep them on one line, as Redis does.
std::string OneLine(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}
}  // namespace

KeySpec KeyRange(int index, int lastkey, int keystep, uint32_t flags) {
  KeySpec k;
  k.flags = flags;
  k.index = index;
  k.find = KeySpec::Find::kRange;
  k.lastkey = lastkey;
  k.keystep = keystep;
  return k;
}

KeySpec Key(int index, uint32_t flags) { return KeyRange(index, 0, 1, flags); }

KeySpec KeyNum(int index, int keynumidx, int firstkey, int keystep, uint32_t flags) {
  KeySpec k;
  k.flags = flags;
  k.index = index;
  k.find = KeySpec::Find::kKeynum;
  k.keynumidx = keynumidx;
  k.firstkey = firstkey;
  k.keystep = keystep;
  return k;
}

KeySpec KeyAfter(const char* keyword, int startfrom, int lastkey, int keystep, int limit,
                 uint32_t flags) {
  KeySpec k = KeyRange(0, lastkey, keystep, flags);
  k.keyword = keyword;
  k.startfrom = startfrom;
  k.limit = limit;
  return k;
}

KeySpec Noted(KeySpec spec, const char* notes) {
  spec.notes = notes;
  return spec;
}

CommandSpec MakeSpec(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys,
                     Handler handler, const char* group, const char* since, const char* summary,
                     const char* syntax) {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.key_specs = std::move(keys);
  s.handler = handler;
  s.group = group;
  s.since = since;
  s.summary = summary;
  s.syntax = syntax;
  return s;
}

namespace {
// The argument a spec's keys start at: its index, or the one after its keyword. 0 when the
// keyword is not there (the spec then names no key in this invocation). Searching forwards the
// last argument is not looked at (no key could follow it), as in Redis.
int64_t BeginSearch(const KeySpec& k, const std::string_view* argv, int64_t argc) {
  if (k.keyword == nullptr) return k.index;
  if (k.startfrom > 0) {
    for (int64_t i = k.startfrom; i < argc - 1; ++i)
      if (EqualsIgnoreCase(argv[i], k.keyword)) return i + 1;
  } else {
    for (int64_t i = argc + k.startfrom; i >= 1 && i < argc; --i)
      if (EqualsIgnoreCase(argv[i], k.keyword)) return i + 1;
  }
  return 0;
}

bool NoKeys(KeyArgs* out) {
  out->clear();
  return false;
}
}  // namespace

bool GetKeys(const CommandSpec& spec, const std::string_view* argv, size_t argc, KeyArgs* out) {
  out->clear();
  const int64_t n = static_cast<int64_t>(argc);
  for (const KeySpec& k : spec.key_specs) {
    int64_t first = BeginSearch(k, argv, n);
    if (first == 0) continue;
    int64_t last;
    if (k.find == KeySpec::Find::kRange) {
      if (k.lastkey >= 0)
        last = first + k.lastkey;
      else if (k.limit > 0)  // a share of what follows (XREAD's STREAMS key... id...)
        last = first + (n - first) / k.limit + k.lastkey;
      else
        last = n + k.lastkey;
    } else {
      int64_t count;
      int64_t at = first + k.keynumidx;
      if (at >= n || !ParseInt64(argv[at], &count) || count < 0 || count > n) return NoKeys(out);
      first += k.firstkey;
      last = first + (count - 1) * k.keystep;
    }
    // At least one key, every one of them an argument: otherwise the arguments do not fit
    // (a count of 0, too few arguments for the count or for the range).
    if (first < 1 || first >= n || last < first || last >= n || k.keystep < 1) return NoKeys(out);
    for (int64_t i = first; i <= last; i += k.keystep) {
      uint32_t flags = k.flags;
      if ((flags & kKeyVariableFlags) && spec.key_flags != nullptr)
        flags = spec.key_flags(argv, argc, static_cast<size_t>(i), flags);
      out->push_back({static_cast<uint32_t>(i), flags});
    }
    // A spec that may miss keys cannot say which keys an invocation has.
    if (k.flags & kKeyIncomplete) return NoKeys(out);
  }
  return true;
}


bool ScanOptions::Matches(std::string_view s) const { return !match || GlobMatch(pattern, s); }

bool ParseScanOptions(CommandContext& ctx, size_t first, bool allow_type, ScanOptions* out) {
  for (size_t i = first; i < ctx.argc; i += 2) {
    std::string_view opt = ctx.arg(i);
    bool has_value = i + 1 < ctx.argc;
    if (EqualsIgnoreCase(opt, "COUNT") && has_value) {
      if (!ParseInt64(ctx.arg(i + 1), &out->count)) {
        ctx.out->Error(err::kNotInteger);
        return false;
      }
      if (out->count < 1) {
        ctx.out->Error(err::kSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(opt, "MATCH") && has_value) {
      out->pattern = ctx.arg(i + 1);
      out->match = out->pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(opt, "TYPE") && has_value) {
      out->type = ctx.arg(i + 1);
      out->by_type = true;
    } else {
      ctx.out->Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

namespace {
// Redis's legacy (first key, last key, step) triple, for COMMAND INFO and old clients, and
// whether it misses keys (movablekeys). A lone index + range spec is the triple itself, step
// included. Otherwise the index + range specs of step 1 where each begins right after the one
// before ends are joined into one range; any other spec (keyword or keynum search, a gap, a
// step) is left out of it and makes the command movable, as does an incomplete spec. Without
// any usable spec the triple is 0 0 0 and the command is movable. A last key counted from the
// end (negative) ends the joining: nothing can be known to follow it.
void DeriveLegacyTriple(CommandSpec* s) {
  s->first_key = s->last_key = s->key_step = 0;
  s->single_key = 0;
  s->flags &= ~kMovableKeys;
  if (s->key_specs.empty()) return;
  auto by_index_range = [](const KeySpec& k) {
    return k.keyword == nullptr && k.find == KeySpec::Find::kRange;
  };
  auto absolute_last = [](const KeySpec& k) {
    return k.lastkey < 0 ? k.lastkey : k.index + k.lastkey;
  };
  bool movable = false;
  if (s->key_specs.size() == 1 && by_index_range(s->key_specs[0])) {
    const KeySpec& k = s->key_specs[0];
    s->first_key = k.index;
    s->last_key = absolute_last(k);
    s->key_step = k.keystep;
    movable = (k.flags & kKeyIncomplete) != 0;
  } else {
    for (const KeySpec& k : s->key_specs) {
      bool joins = by_index_range(k) && k.keystep == 1 &&
                   (s->first_key == 0 || (s->last_key >= 0 && k.index == s->last_key + 1));
      if (!joins) {
        movable = true;
        continue;
      }
      if (s->first_key == 0) s->first_key = k.index;
      s->last_key = absolute_last(k);
      s->key_step = 1;
      if (k.flags & kKeyIncomplete) movable = true;
    }
    if (s->first_key == 0) movable = true;
  }
  if (movable) s->flags |= kMovableKeys;
  const bool one_fixed_key = s->key_specs.size() == 1 && by_index_range(s->key_specs[0]) &&
                             s->key_specs[0].lastkey == 0 &&
                             !(s->key_specs[0].flags & kKeyIncomplete) && s->key_specs[0].index > 0;
  s->single_key = one_fixed_key ? static_cast<uint32_t>(s->key_specs[0].index) : 0;
}

}  // namespace

void CommandRegistry::Register(CommandSpec spec) {
  spec.id = next_id_++;
  DeriveLegacyTriple(&spec);
  for (CommandSpec& sub : spec.subcommands) {
    sub.id = next_id_++;
    DeriveLegacyTriple(&sub);
  }
  owned_.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  ordered_.push_back(owned_.back().get());
  // Rebuild the lookup table at a quarter full (registration happens once, at start-up).
  size_t size = 16;
  while (size < ordered_.size() * 4) size *= 2;
  table_.assign(size, nullptr);
  for (const CommandSpec* p : ordered_) {
    size_t slot = NameHash(p->name) & (size - 1);
    while (table_[slot] != nullptr) slot = (slot + 1) & (size - 1);
    table_[slot] = p;
  }
}

// FNV-1a over the ASCII-lowercased bytes: the same for "GET", "get" and "GeT".
uint64_t CommandRegistry::NameHash(std::string_view name) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c) | 0x20;  // lowercase letters; other bytes only hash
    h *= 1099511628211ULL;
  }
  return h;
}

// The hot path of every command: one hash of the name, then (almost always) one candidate
// compared. (A sorted table with a binary search cost ~250 instructions per lookup.)
const CommandSpec* CommandRegistry::Find(std::string_view name) const {
  const size_t mask = table_.size() - 1;
  for (size_t slot = NameHash(name) & mask; table_[slot] != nullptr; slot = (slot + 1) & mask) {
    const std::string& candidate = table_[slot]->name;  // lowercase
    if (candidate.size() != name.size()) continue;
    size_t i = 0;
    while (i < name.size() && AsciiLower(name[i]) == candidate[i]) ++i;
    if (i == name.size()) return table_[slot];
  }
  return nullptr;
}

const CommandSpec* CommandRegistry::FindSubcommand(const CommandSpec& parent,
                                                   std::string_view sub) const {
  char buf[64];
  std::string_view lower;
  if (!LowerInto(sub, buf, sizeof(buf), &lower)) return nullptr;
  for (const CommandSpec& s : parent.subcommands) {
    std::string_view n = s.name;
    size_t bar = n.find('|');
    if (bar != std::string_view::npos && n.substr(bar + 1) == lower) return &s;
  }
  return nullptr;
}

namespace {
bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}
}  // namespace

Resolved Resolve(const CommandRegistry& r, CommandContext& ctx) {
  const CommandSpec* spec = r.Find(ctx.arg(0));
  if (spec == nullptr) {
    std::string args;
    for (size_t i = 1; i < ctx.argc && args.size() < 128; ++i) {
      std::string_view a = ctx.arg(i);
      int room = 128 - static_cast<int>(args.size());
      args += Format("'%.*s' ", std::min(room, static_cast<int>(a.size())), a.data());
    }
    std::string_view name = ctx.arg(0);
    ctx.out->Error(OneLine(Format(err::kUnknownCommand,
                                  static_cast<int>(std::min<size_t>(name.size(), 128)),
                                  name.data(), args.c_str())));
    return {};
  }
  if (!spec->subcommands.empty() && ctx.argc >= 2) {
    const CommandSpec* sub = r.FindSubcommand(*spec, ctx.arg(1));
    if (sub == nullptr) {
      std::string upper = spec->name;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string_view s = ctx.arg(1);
      ctx.out->Error(OneLine(Format(err::kUnknownSubcommand,
                                    static_cast<int>(std::min<size_t>(s.size(), 128)), s.data(),
                                    upper.c_str())));
      return {};
    }
    spec = sub;
  }
  if (!ArityOk(spec->arity, ctx.argc)) {
    ctx.out->Error(Format(err::kWrongArity, spec->name.c_str()));
    return {spec, false};
  }
  return {spec, true};
}

void RegisterDataFamilies(CommandRegistry& r) {
  RegisterStringFamily(r);
  RegisterKeyFamily(r);
  RegisterListFamily(r);
  RegisterHashFamily(r);
  RegisterSetFamily(r);
  RegisterZSetFamily(r);
  RegisterStreamFamily(r);
  RegisterBlockingCommands(r);
  RegisterIntrospection(r);
}

}  // namespace strata::cmd
