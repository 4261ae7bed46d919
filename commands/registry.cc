// The command table, name lookup and the checks every command gets before its handler runs.
#include <cctype>
#include <algorithm>

#include "commands/command.h"

#include "common/errors.h"
#include "common/strutil.h"

namespace strata::cmd {

namespace {
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

CommandSpec MakeSpec(const char* name, int arity, uint32_t flags, int first_key, int last_key,
                     int key_step, Handler handler, const char* group, const char* since,
                     const char* summary, const char* syntax) {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.first_key = first_key;
  s.last_key = last_key;
  s.key_step = key_step;
  s.handler = handler;
  s.group = group;
  s.since = since;
  s.summary = summary;
  s.syntax = syntax;
  return s;
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

void KeyPositions(const CommandSpec& spec, size_t argc, std::vector<size_t>* out) {
  out->clear();
  if (spec.first_key <= 0) {
    if (spec.flags & (kWrite | kReadOnly))
      for (size_t i = 1; i < argc; ++i) out->push_back(i);
    return;
  }
  int64_t last = spec.last_key < 0 ? static_cast<int64_t>(argc) + spec.last_key : spec.last_key;
  int64_t step = spec.key_step > 0 ? spec.key_step : 1;
  for (int64_t i = spec.first_key; i <= last && i < static_cast<int64_t>(argc); i += step)
    out->push_back(static_cast<size_t>(i));
}

namespace {
bool ComputeTouchesWholeKeyspace(const CommandSpec& spec) {
  static const char* const kNames[] = {"flushdb", "flushall", "dbsize",  "keys",  "scan",
                                       "randomkey", "select", "swapdb", "move", "copy",
                                       "debug",    "shutdown"};
  std::string_view name = spec.name;
  if (name.find('|') != std::string_view::npos) name = name.substr(0, name.find('|'));
  for (const char* n : kNames)
    if (name == n) return true;
  // numkeys forms (ZUNIONSTORE, LMPOP, ...): first/last do not name every key they lock.
  if (spec.flags & kMovableKeys) return true;
  if (spec.first_key > 0) return false;
  // Keyless commands of these groups only look at the connection or the server.
  return !(spec.group == "connection" || spec.group == "server" || spec.group == "pubsub" ||
           spec.group == "transactions");
}
}  // namespace

void CommandRegistry::Register(CommandSpec spec) {
  spec.id = next_id_++;
  spec.whole_keyspace = ComputeTouchesWholeKeyspace(spec);
  for (CommandSpec& sub : spec.subcommands) {
    sub.id = next_id_++;
    sub.whole_keyspace = ComputeTouchesWholeKeyspace(sub);
  }
  owned_.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  const CommandSpec* p = owned_.back().get();
  ordered_.push_back(p);
  index_.emplace_back(p->name, p);
  std::sort(index_.begin(), index_.end());
}

const CommandSpec* CommandRegistry::Find(std::string_view name) const {
  char buf[64];
  std::string_view lower;
  if (!LowerInto(name, buf, sizeof(buf), &lower)) return nullptr;
  auto it = std::lower_bound(index_.begin(), index_.end(), lower,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it == index_.end() || it->first != lower) return nullptr;
  return it->second;
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
    ctx.out->Error(OneLine(Format("ERR unknown command '%.*s', with args beginning with: %s",
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
      ctx.out->Error(OneLine(Format("ERR unknown subcommand '%.*s'. Try %s HELP.",
                                    static_cast<int>(std::min<size_t>(s.size(), 128)), s.data(),
                                    upper.c_str())));
      return {};
    }
    spec = sub;
  }
  if (!ArityOk(spec->arity, ctx.argc)) {
    ctx.out->Error(Format("ERR wrong number of arguments for '%s' command", spec->name.c_str()));
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
  RegisterBlockingCommands(r);
  RegisterIntrospection(r);
}

}  // namespace strata::cmd
