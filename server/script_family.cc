// EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT: the commands of Lua scripting (server/scripting.h).
#include "common/errors.h"
#include "common/format.h"
#include "common/strutil.h"
#include "server/dispatcher.h"
#include "server/scripting.h"
#include "server/server.h"

namespace strata::server {

namespace {

using cmd::CommandContext;
using cmd::CommandSpec;

// The script an EVAL-family invocation names, if cached (no side effects: the dispatcher asks
// before the command runs).
std::shared_ptr<Script> Named(const CommandContext& ctx, bool by_sha) {
  ScriptCache& cache = ctx.server->scripts();
  return cache.Get(by_sha ? std::string(ctx.arg(1)) : Sha1Hex(ctx.arg(1)));
}

// The shards a script's run holds besides its declared keys', from what its runs touched.
uint32_t Reach(const CommandContext& ctx, bool by_sha) {
  if (ctx.server == nullptr) return cmd::kReachDb;
  std::shared_ptr<Script> s = Named(ctx, by_sha);
  switch (s != nullptr ? s->reach.load(std::memory_order_relaxed) : ScriptReach::kUnknown) {
    case ScriptReach::kKeys:
      return 0;
    case ScriptReach::kAll:
      return cmd::kReachAll;
    default:
      return cmd::kReachDb;
  }
}
uint32_t EvalReach(const CommandContext& ctx) { return Reach(ctx, false); }
uint32_t EvalShaReach(const CommandContext& ctx) { return Reach(ctx, true); }

void EvalGeneric(CommandContext& ctx, bool by_sha, bool read_only) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(2), &numkeys)) return ctx.out->Error(err::kNotInteger);
  if (numkeys > static_cast<int64_t>(ctx.argc) - 3) return ctx.out->Error(err::kNumkeysTooBig);
  if (numkeys < 0) return ctx.out->Error(err::kNumkeysNegative);
  LuaEngine& lua = ctx.dispatcher->lua();
  std::shared_ptr<Script> script;
  if (by_sha) {
    script = ctx.server->scripts().Get(ctx.arg(1));
    if (script == nullptr) return ctx.out->Error(err::kNoScript);
  } else {
    std::string error;
    script = lua.Prepare(ctx.arg(1), false, &error);
    if (script == nullptr) return ctx.out->Error(error);
  }
  const bool no_writes = script->flags & kScriptNoWrites;
  if (read_only && script->shebang && !no_writes) return ctx.out->Error(err::kScriptRoWithWriteFlag);
  // A script that declares it may write is refused over maxmemory before it starts (Redis 7).
  if (script->shebang && !no_writes && !(script->flags & kScriptAllowOom) && ctx.over_memory)
    return ctx.out->Error(err::kOom);
  lua.Run(ctx, script, 3, static_cast<size_t>(numkeys), read_only);
}

void Eval(CommandContext& ctx) { EvalGeneric(ctx, false, false); }
void EvalSha(CommandContext& ctx) { EvalGeneric(ctx, true, false); }
void EvalRo(CommandContext& ctx) { EvalGeneric(ctx, false, true); }
void EvalShaRo(CommandContext& ctx) { EvalGeneric(ctx, true, true); }

void ScriptLoad(CommandContext& ctx) {
  std::string error;
  std::shared_ptr<Script> s = ctx.dispatcher->lua().Prepare(ctx.arg(2), true, &error);
  if (s == nullptr) return ctx.out->Error(error);
  ctx.out->Bulk(s->sha);
}

void ScriptExists(CommandContext& ctx) {
  ScriptCache& cache = ctx.server->scripts();
  ctx.out->ArrayHeader(ctx.argc - 2);
  for (size_t i = 2; i < ctx.argc; ++i) ctx.out->Integer(cache.Exists(ctx.arg(i)) ? 1 : 0);
}

// SCRIPT FLUSH [ASYNC | SYNC]: both drop the cache at once (it is small; each thread's
// interpreter starts afresh at its next script).
void ScriptFlush(CommandContext& ctx) {
  if (ctx.argc > 3 || (ctx.argc == 3 && !EqualsIgnoreCase(ctx.arg(2), "ASYNC") &&
                       !EqualsIgnoreCase(ctx.arg(2), "SYNC")))
    return ctx.out->Error(err::kScriptFlushArg);
  ctx.server->scripts().Flush();
  ctx.out->Ok();
}

void ScriptKill(CommandContext& ctx) { ctx.out->Error(err::kNotBusy); }

void ScriptDebug(CommandContext& ctx) { ctx.out->Error(err::kScriptDebugUnsupported); }

void ScriptHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help."};
  ctx.out->ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.out->SimpleString(l);
}

CommandSpec Spec(const char* name, int arity, uint32_t flags, std::vector<cmd::KeySpec> keys,
                 cmd::Handler h, const char* since, const char* summary, const char* syntax) {
  return cmd::MakeSpec(name, arity, flags, std::move(keys), h, "scripting", since, summary,
                       syntax);
}

CommandSpec EvalSpec(const char* name, uint32_t flags, cmd::KeySpec key, cmd::Handler h,
                     cmd::ReachFn reach, const char* since, const char* summary,
                     const char* first_arg) {
  CommandSpec s = Spec(name, -3, flags, {key}, h, since, summary,
                       Format("%s numkeys [key [key ...]] [arg [arg ...]]", first_arg).c_str());
  s.reach = reach;
  return s;
}

}  // namespace

void RegisterScriptFamily(cmd::CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kEval = kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys;
  const KeySpec rw = KeyNum(2, 0, 1, 1, kKeyRW | kKeyAccess | kKeyUpdate);
  const KeySpec ro = KeyNum(2, 0, 1, 1, kKeyRO | kKeyAccess);
  r.Register(EvalSpec("eval", kEval,
                      Noted(rw, "We cannot tell how the keys will be used so we assume the worst, "
                                "RW and UPDATE"),
                      Eval, EvalReach, "2.6.0", "Execute a Lua script server side", "script"));
  r.Register(EvalSpec("evalsha", kEval, rw, EvalSha, EvalShaReach, "2.6.0",
                      "Execute a Lua script server side", "sha1"));
  r.Register(EvalSpec("eval_ro", kEval | kReadOnly,
                      Noted(ro, "We cannot tell how the keys will be used so we assume the worst, "
                                "RO and ACCESS"),
                      EvalRo, EvalReach, "7.0.0", "Execute a read-only Lua script server side",
                      "script"));
  r.Register(EvalSpec("evalsha_ro", kEval | kReadOnly, ro, EvalShaRo, EvalShaReach, "7.0.0",
                      "Execute a read-only Lua script server side", "sha1"));
  CommandSpec script = Spec("script", -2, 0, {}, nullptr, "2.6.0",
                            "A container for Lua scripts management commands", "");
  script.subcommands = {
      Spec("script|debug", 3, kNoScript, {}, ScriptDebug, "3.2.0",
           "Set the debug mode for executed scripts.", "YES | SYNC | NO"),
      Spec("script|exists", -3, kNoScript, {}, ScriptExists, "2.6.0",
           "Check existence of scripts in the script cache.", "sha1 [sha1 ...]"),
      Spec("script|flush", -2, kNoScript, {}, ScriptFlush, "2.6.0",
           "Remove all the scripts from the script cache.", "[ASYNC | SYNC]"),
      Spec("script|help", 2, kLoading | kStale, {}, ScriptHelp, "5.0.0",
           "Show helpful text about the different subcommands", ""),
      Spec("script|kill", 2, kNoScript | kAllowBusy, {}, ScriptKill, "2.6.0",
           "Kill the script currently in execution.", ""),
      Spec("script|load", 3, kNoScript | kStale, {}, ScriptLoad, "2.6.0",
           "Load the specified Lua script into the script cache.", "script"),
  };
  r.Register(std::move(script));
}

}  // namespace strata::server
