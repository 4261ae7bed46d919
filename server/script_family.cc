// EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT: the commands of Lua scripting (server/scripting.h).
#include "common/errors.h"
#include "common/format.h"
#include "common/strutil.h"
#include "server/dispatcher.h"
#include "server/scripting.h"
#include "server/server.h"
#include "server/worker.h"

namespace strata::server {

namespace {

using cmd::CommandContext;
using cmd::CommandSpec;

// The script an EVAL-family invocation names, if cached (no side effects: the dispatcher asks
// before the command runs).
std::shared_ptr<Script> Named(const CommandContext& ctx, bool by_sha) {
  if (by_sha) return ctx.dispatcher->lua().FindSha(ctx.arg(1));
  return ctx.server->scripts().Get(Sha1Hex(ctx.arg(1)));
}

uint32_t ReachOf(ScriptReach r);

// The shards a script's run holds besides its declared keys', from what its runs touched.
uint32_t Reach(const CommandContext& ctx, bool by_sha) {
  if (ctx.server == nullptr || ctx.dispatcher == nullptr) return cmd::kReachDb;  // EXEC's plan
  std::shared_ptr<Script> s = Named(ctx, by_sha);
  return ReachOf(s != nullptr ? s->reach.load(std::memory_order_relaxed) : ScriptReach::kUnknown);
}
uint32_t EvalReach(const CommandContext& ctx) { return Reach(ctx, false); }
uint32_t EvalShaReach(const CommandContext& ctx) { return Reach(ctx, true); }

uint32_t ReachOf(ScriptReach r) {
  switch (r) {
    case ScriptReach::kKeys:
      return 0;
    case ScriptReach::kAll:
      return cmd::kReachAll;
    default:
      return cmd::kReachDb;
  }
}

uint32_t FcallReach(const CommandContext& ctx) {
  if (ctx.server == nullptr) return cmd::kReachDb;
  std::shared_ptr<FunctionInfo> fn = ctx.server->functions().Find(ctx.arg(1));
  return ReachOf(fn != nullptr ? fn->reach.load(std::memory_order_relaxed) : ScriptReach::kUnknown);
}

// numkeys of EVAL/FCALL: FCALL says "Bad number of keys provided" for a non-number.
bool ParseNumkeys(CommandContext& ctx, int64_t* numkeys, bool fcall = false) {
  if (!ParseInt64(ctx.arg(2), numkeys)) {
    ctx.out->Error(fcall ? err::kBadNumberOfKeys : err::kNotInteger);
    return false;
  }
  if (*numkeys > static_cast<int64_t>(ctx.argc) - 3) {
    ctx.out->Error(err::kNumkeysTooBig);
    return false;
  }
  if (*numkeys < 0) {
    ctx.out->Error(err::kNumkeysNegative);
    return false;
  }
  return true;
}

void EvalGeneric(CommandContext& ctx, bool by_sha, bool read_only) {
  int64_t numkeys;
  if (!ParseNumkeys(ctx, &numkeys)) return;
  LuaEngine& lua = ctx.dispatcher->lua();
  std::shared_ptr<Script> script;
  if (by_sha) {
    script = lua.FindSha(ctx.arg(1));
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

// SCRIPT KILL / FUNCTION KILL: every busy script of that kind that has not written stops (each
// worker may run one, on disjoint shards).
void ScriptKill(CommandContext& ctx) {
  const bool function = EqualsIgnoreCase(ctx.arg(0), "FUNCTION");
  const char* refusal;
  if (ctx.server->KillBusyScripts(!function, function, &refusal) > 0) return ctx.out->Ok();
  ctx.out->Error(refusal != nullptr ? refusal : err::kNotBusy);
}

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

// ---- FUNCTION, FCALL ----

void FcallGeneric(CommandContext& ctx, bool read_only) {
  int64_t numkeys;
  if (!ParseNumkeys(ctx, &numkeys, true)) return;
  std::shared_ptr<FunctionInfo> fn = ctx.server->functions().Find(ctx.arg(1));
  if (fn == nullptr) return ctx.out->Error(err::kFunctionNotFound);
  const bool no_writes = fn->flags & kScriptNoWrites;
  if (read_only && !no_writes) return ctx.out->Error(err::kScriptRoWithWriteFlag);
  if (!no_writes && !(fn->flags & kScriptAllowOom) && ctx.over_memory)
    return ctx.out->Error(err::kOom);
  ctx.dispatcher->lua().RunFunction(ctx, fn, 3, static_cast<size_t>(numkeys), read_only);
}
void Fcall(CommandContext& ctx) { FcallGeneric(ctx, false); }
void FcallRo(CommandContext& ctx) { FcallGeneric(ctx, true); }

void FunctionLoad(CommandContext& ctx) {
  bool replace = false;
  for (size_t i = 2; i + 1 < ctx.argc; ++i) {
    if (!EqualsIgnoreCase(ctx.arg(i), "REPLACE"))
      return ctx.out->Error(Format(err::kUnknownOptionGiven, std::string(ctx.arg(i)).c_str()));
    replace = true;
  }
  // As Redis: the metadata and a name clash are refused before the code runs.
  std::string error, name;
  std::string_view code = ctx.arg(ctx.argc - 1);
  if (!ParseLibraryMetadata(code, &name, &error)) return ctx.out->Error(error);
  if (!replace && ctx.server->functions().Has(name))
    return ctx.out->Error(Format(err::kLibraryExists, name.c_str()));
  std::shared_ptr<Library> lib = ctx.dispatcher->lua().CheckLibrary(code, &error);
  if (lib == nullptr) return ctx.out->Error(error);
  if (!ctx.server->functions().Add(std::move(lib), replace, &error)) return ctx.out->Error(error);
  ctx.out->Bulk(name);
}

void FunctionDelete(CommandContext& ctx) {
  if (!ctx.server->functions().Delete(ctx.arg(2))) return ctx.out->Error(err::kLibraryNotFound);
  ctx.out->Ok();
}

void FunctionFlush(CommandContext& ctx) {
  if (ctx.argc > 3 || (ctx.argc == 3 && !EqualsIgnoreCase(ctx.arg(2), "ASYNC") &&
                       !EqualsIgnoreCase(ctx.arg(2), "SYNC")))
    return ctx.out->Error(err::kFunctionFlushArg);
  ctx.server->functions().Flush();
  ctx.out->Ok();
}

// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
void FunctionList(CommandContext& ctx) {
  bool with_code = false;
  std::string_view pattern;
  bool filter = false;
  for (size_t i = 2; i < ctx.argc; ++i) {
    if (EqualsIgnoreCase(ctx.arg(i), "WITHCODE")) {
      with_code = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "LIBRARYNAME") && i + 1 < ctx.argc) {
      pattern = ctx.arg(++i);
      filter = true;
    } else {
      return ctx.out->Error(Format(err::kUnknownArgumentGiven, std::string(ctx.arg(i)).c_str()));
    }
  }
  std::vector<std::shared_ptr<Library>> libs = ctx.server->functions().Libraries();
  std::vector<const Library*> shown;
  for (const auto& lib : libs)
    if (!filter || GlobMatch(pattern, lib->name, false)) shown.push_back(lib.get());
  ctx.out->ArrayHeader(shown.size());
  for (const Library* lib : shown) {
    ctx.out->MapHeader(with_code ? 4 : 3);
    ctx.out->Bulk("library_name");
    ctx.out->Bulk(lib->name);
    ctx.out->Bulk("engine");
    ctx.out->Bulk("LUA");
    ctx.out->Bulk("functions");
    ctx.out->ArrayHeader(lib->functions.size());
    for (const auto& fn : lib->functions) {
      ctx.out->MapHeader(3);
      ctx.out->Bulk("name");
      ctx.out->Bulk(fn->name);
      ctx.out->Bulk("description");
      if (fn->has_description)
        ctx.out->Bulk(fn->description);
      else
        ctx.out->NullBulk();
      ctx.out->Bulk("flags");
      std::vector<std::string> flags = ScriptFlagNames(fn->flags);
      ctx.out->SetHeader(flags.size());
      for (const std::string& f : flags) ctx.out->SimpleString(f);
    }
    if (with_code) {
      ctx.out->Bulk("library_code");
      ctx.out->Bulk(lib->code);
    }
  }
}

void FunctionStats(CommandContext& ctx) {
  FunctionRegistry& reg = ctx.server->functions();
  // A busy EVAL: -BUSY, as Redis; a busy function: its name, command and duration.
  ScriptWatch* running = nullptr;
  for (const auto& w : ctx.server->workers()) {
    const uint8_t st = w->dispatcher().script_watch().state.load(std::memory_order_acquire);
    if (!(st & ScriptWatch::kBusy)) continue;
    if (!(st & ScriptWatch::kFunction)) return ctx.out->Error(err::kBusyEval);
    if (running == nullptr) running = &w->dispatcher().script_watch();
  }
  ctx.out->MapHeader(2);
  ctx.out->Bulk("running_script");
  if (running == nullptr) {
    ctx.out->NullBulk();
  } else {
    ScriptWatch& watch = *running;
    std::lock_guard<std::mutex> lock(watch.mu);
    ctx.out->MapHeader(3);
    ctx.out->Bulk("name");
    ctx.out->Bulk(watch.name);
    ctx.out->Bulk("command");
    ctx.out->ArrayHeader(watch.command.size());
    for (const std::string& a : watch.command) ctx.out->Bulk(a);
    ctx.out->Bulk("duration_ms");
    ctx.out->Integer((NowUs() - watch.started_us) / 1000);
  }
  ctx.out->Bulk("engines");
  ctx.out->MapHeader(1);
  ctx.out->Bulk("LUA");
  ctx.out->MapHeader(2);
  ctx.out->Bulk("libraries_count");
  ctx.out->Integer(static_cast<int64_t>(reg.num_libraries()));
  ctx.out->Bulk("functions_count");
  ctx.out->Integer(static_cast<int64_t>(reg.num_functions()));
}

void FunctionDump(CommandContext& ctx) { ctx.out->Bulk(ctx.server->functions().Dump()); }

// FUNCTION RESTORE payload [FLUSH | APPEND | REPLACE]
void FunctionRestore(CommandContext& ctx) {
  if (ctx.argc > 4)
    return ctx.out->Error(Format(err::kUnknownSubcommandOrArity, static_cast<int>(ctx.arg(1).size()),
                                 ctx.arg(1).data(), "FUNCTION"));
  using Policy = FunctionRegistry::RestorePolicy;
  Policy policy = Policy::kAppend;
  if (ctx.argc == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "APPEND"))
      policy = Policy::kAppend;
    else if (EqualsIgnoreCase(ctx.arg(3), "REPLACE"))
      policy = Policy::kReplace;
    else if (EqualsIgnoreCase(ctx.arg(3), "FLUSH"))
      policy = Policy::kFlush;
    else
      return ctx.out->Error(err::kRestorePolicy);
  }
  std::vector<std::string> codes;
  std::string error;
  if (!ParseFunctionPayload(ctx.arg(2), &codes, &error)) return ctx.out->Error(error);
  std::vector<std::shared_ptr<Library>> libs;
  for (const std::string& code : codes) {
    std::shared_ptr<Library> lib = ctx.dispatcher->lua().CheckLibrary(code, &error);
    if (lib == nullptr) return ctx.out->Error(error);
    libs.push_back(std::move(lib));
  }
  if (!ctx.server->functions().Restore(std::move(libs), policy, &error))
    return ctx.out->Error(error);
  ctx.out->Ok();
}

void FunctionHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
      "      libraries with the new libraries (notice that even on this option there is a chance of failure",
      "      in case of functions name collision with another library).",
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
  // Redis's key specs: EVAL, EVAL_RO, FCALL, FCALL_RO carry a note, EVALSHA(_RO) none.
  const KeySpec rw = KeyNum(2, 0, 1, 1, kKeyRW | kKeyAccess | kKeyUpdate);
  const KeySpec ro = KeyNum(2, 0, 1, 1, kKeyRO | kKeyAccess);
  const KeySpec rw_noted =
      Noted(rw, "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE");
  const KeySpec ro_noted =
      Noted(ro, "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS");
  r.Register(EvalSpec("eval", kEval, rw_noted, Eval, EvalReach, "2.6.0",
                      "Execute a Lua script server side", "script"));
  r.Register(EvalSpec("evalsha", kEval, rw, EvalSha, EvalShaReach, "2.6.0",
                      "Execute a Lua script server side", "sha1"));
  r.Register(EvalSpec("eval_ro", kEval | kReadOnly, ro_noted, EvalRo, EvalReach, "7.0.0",
                      "Execute a read-only Lua script server side", "script"));
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

  r.Register(EvalSpec("fcall", kEval, rw_noted, Fcall, FcallReach, "7.0.0",
                      "Invoke a function", "function"));
  r.Register(EvalSpec("fcall_ro", kEval | kReadOnly, ro_noted, FcallRo, FcallReach, "7.0.0",
                      "Invoke a read-only function", "function"));
  CommandSpec function = Spec("function", -2, 0, {}, nullptr, "7.0.0",
                              "A container for function commands", "");
  function.subcommands = {
      Spec("function|delete", 3, kWrite | kNoScript, {}, FunctionDelete, "7.0.0",
           "Delete a function by name", "library-name"),
      Spec("function|dump", 2, kNoScript, {}, FunctionDump, "7.0.0",
           "Dump all functions into a serialized binary payload", ""),
      Spec("function|flush", -2, kWrite | kNoScript, {}, FunctionFlush, "7.0.0",
           "Deleting all functions", "[ASYNC | SYNC]"),
      Spec("function|help", 2, kLoading | kStale, {}, FunctionHelp, "7.0.0",
           "Show helpful text about the different subcommands", ""),
      Spec("function|kill", 2, kNoScript | kAllowBusy, {}, ScriptKill, "7.0.0",
           "Kill the function currently in execution.", ""),
      Spec("function|list", -2, kNoScript, {}, FunctionList, "7.0.0",
           "List information about all the functions", "[LIBRARYNAME library-name-pattern] [WITHCODE]"),
      Spec("function|load", -3, kWrite | kDenyOom | kNoScript, {}, FunctionLoad, "7.0.0",
           "Create a function with the given arguments (name, code, description)",
           "[REPLACE] function-code"),
      Spec("function|restore", -3, kWrite | kDenyOom | kNoScript, {}, FunctionRestore,
           "7.0.0", "Restore all the functions on the given payload",
           "serialized-value [FLUSH | APPEND | REPLACE]"),
      Spec("function|stats", 2, kNoScript | kAllowBusy, {}, FunctionStats, "7.0.0",
           "Return information about the function currently running (name, description, duration)",
           ""),
  };
  r.Register(std::move(function));
}

}  // namespace strata::server
