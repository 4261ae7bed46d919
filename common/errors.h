// Every error reply string in one place, in Redis's exact wording (without '-' and CRLF).
#pragma once

#include <cinttypes>

namespace strata::err {

inline constexpr char kSyntax[] = "ERR syntax error";
inline constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
inline constexpr char kNotFloat[] = "ERR value is not a valid float";
inline constexpr char kOverflow[] = "ERR increment or decrement would overflow";
inline constexpr char kIncrNanOrInf[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kNoSuchKey[] = "ERR no such key";
inline constexpr char kInvalidExpire[] = "ERR invalid expire time in '%s' command";  // printf
inline constexpr char kStringTooLong[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr char kOffsetOutOfRange[] = "ERR offset is out of range";
inline constexpr char kDbIndexOutOfRange[] = "ERR DB index is out of range";
inline constexpr char kInvalidDbIndex[] = "ERR invalid DB index";  // unused by Redis 7; kept for clarity
inline constexpr char kSameObject[] = "ERR source and destination objects are the same";
inline constexpr char kNoAuth[] = "NOAUTH Authentication required.";
inline constexpr char kWrongPass[] =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr char kAuthNotConfigured[] =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";
inline constexpr char kNoProto[] = "NOPROTO unsupported protocol version";
inline constexpr char kPositiveCount[] = "ERR value is out of range, must be positive";
inline constexpr char kTimeoutNotFloat[] = "ERR timeout is not a float or out of range";

inline constexpr char kDecrOverflow[] = "ERR decrement would overflow";  // DECRBY LLONG_MIN
inline constexpr char kIntOutOfRange[] =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr char kInvalidCursor[] = "ERR invalid cursor";
inline constexpr char kExpireNxConflict[] =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr char kExpireGtLtConflict[] =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr char kLfuNotSelected[] =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr char kOom[] = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr const char kLfuIdleTime[] =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

// Arguments.
inline constexpr char kWrongArity[] = "ERR wrong number of arguments for '%s' command";  // printf
inline constexpr char kUnknownCommand[] =  // printf: name, then the quoted arguments
    "ERR unknown command '%.*s', with args beginning with: %s";
inline constexpr char kUnknownSubcommand[] = "ERR unknown subcommand '%.*s'. Try %s HELP.";  // printf
inline constexpr char kUnknownSubcommandOrArity[] =  // printf: the subcommand, the command
    "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.";
inline constexpr char kUnsupportedOption[] = "ERR Unsupported option %.*s";  // printf
inline constexpr char kTimeoutOutOfRange[] = "ERR timeout is out of range";
inline constexpr char kTimeoutNegative[] = "ERR timeout is negative";
inline constexpr char kNumkeysPositive[] = "ERR numkeys should be greater than 0";
inline constexpr char kCountPositive[] = "ERR count should be greater than 0";
inline constexpr char kCountNegative[] = "ERR COUNT can't be negative";
inline constexpr char kMaxlenNegative[] = "ERR MAXLEN can't be negative";
inline constexpr char kLimitNegative[] = "ERR LIMIT can't be negative";
inline constexpr char kTooManyKeys[] = "ERR Number of keys can't be greater than number of args";
inline constexpr char kNoInputKey[] = "ERR at least 1 input key is needed for '%s' command";  // printf
inline constexpr char kValueOutOfRange[] = "ERR value is out of range";
inline constexpr char kCountOutOfRange[] =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr char kValueNanOrInf[] = "ERR value is NaN or Infinity";  // HINCRBYFLOAT

// Types and values.
inline constexpr char kHashValueNotInteger[] = "ERR hash value is not an integer";
inline constexpr char kHashValueNotFloat[] = "ERR hash value is not a float";
inline constexpr char kIndexOutOfRange[] = "ERR index out of range";
inline constexpr char kRankZero[] =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr char kNaNScore[] = "ERR resulting score is not a number (NaN)";
inline constexpr char kMinMaxNotFloat[] = "ERR min or max is not a float";
inline constexpr char kMinMaxNotLex[] = "ERR min or max not valid string range item";
inline constexpr char kWeightNotFloat[] = "ERR weight value is not a float";
inline constexpr char kXxNxConflict[] = "ERR XX and NX options at the same time are not compatible";
inline constexpr char kGtLtNxConflict[] =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr char kIncrSinglePair[] = "ERR INCR option supports a single increment-element pair";
inline constexpr char kLimitNeedsByScoreOrLex[] =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
inline constexpr char kWithScoresByLex[] =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";

// COMMAND GETKEYS / GETKEYSANDFLAGS.
inline constexpr char kInvalidCommand[] = "ERR Invalid command specified";
inline constexpr char kInvalidArgCount[] = "ERR Invalid number of arguments specified for command";
inline constexpr char kNoKeyArgs[] = "ERR The command has no key arguments";
inline constexpr char kInvalidArgs[] = "ERR Invalid arguments specified for command";

// The protocol (the parser; the connection replies it and closes).
inline constexpr char kProtoBigMbulkCount[] = "ERR Protocol error: too big mbulk count string";
inline constexpr char kProtoMultibulkLength[] = "ERR Protocol error: invalid multibulk length";
inline constexpr char kProtoBigBulkCount[] = "ERR Protocol error: too big bulk count string";
inline constexpr char kProtoExpectedDollar[] = "ERR Protocol error: expected '$', got '%s'";  // printf
inline constexpr char kProtoBulkLength[] = "ERR Protocol error: invalid bulk length";
inline constexpr char kProtoBigInline[] = "ERR Protocol error: too big inline request";
inline constexpr char kProtoUnbalancedQuotes[] = "ERR Protocol error: unbalanced quotes in request";
inline constexpr char kMaxClients[] = "ERR max number of clients reached";

// Connection and server commands.
inline constexpr char kHelloProtoNotInteger[] =
    "ERR Protocol version is not an integer or out of range";
inline constexpr char kHelloSyntax[] = "ERR Syntax error in HELLO option '%.*s'";  // printf
inline constexpr char kHelloNoAuth[] =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the "
    "RESP protocol version at the same time";
inline constexpr char kClientNameInvalid[] =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr char kUnknownClientType[] = "ERR Unknown client type '%.*s'";  // printf
inline constexpr char kInvalidClientId[] = "ERR Invalid client ID";
inline constexpr char kNoSuchClient[] = "ERR No such client";
inline constexpr char kClientIdPositive[] = "ERR client-id should be greater than 0";
inline constexpr char kNoSuchUser[] = "ERR No such user '%.*s'";  // printf
inline constexpr char kConfigSetUnknown[] =  // printf: the parameter
    "ERR Unknown option or number of arguments for CONFIG SET - '%s'";
inline constexpr char kConfigSetFailed[] =  // printf: the parameter, why
    "ERR CONFIG SET failed (possibly related to argument '%s') - %s";
inline constexpr char kNoShutdownInProgress[] = "ERR No shutdown in progress.";
inline constexpr char kDebugWalFail[] = "ERR expected OFF, ENOSPC, EIO or EDQUOT";
inline constexpr char kRewriteInProgress[] =
    "ERR Background append only file rewriting already in progress";
inline constexpr char kRewriteNeedsAof[] =
    "ERR Background append only file rewriting needs appendonly yes";
inline constexpr char kPubSubNeedsConnection[] = "ERR pub/sub needs a client connection";

// Transactions and the dispatcher.
inline constexpr char kNotInMulti[] = "ERR Command not allowed inside a transaction";
inline constexpr char kExecAbortErrors[] =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr char kExecAbortBecause[] = "EXECABORT Transaction discarded because of: %s";  // printf
inline constexpr char kExecWithoutMulti[] = "ERR EXEC without MULTI";
inline constexpr char kDiscardWithoutMulti[] = "ERR DISCARD without MULTI";
inline constexpr char kNestedMulti[] = "ERR MULTI calls can not be nested";
inline constexpr char kWatchInMulti[] = "ERR WATCH inside MULTI is not allowed";
inline constexpr char kPubSubContext[] =  // printf: the command's name
    "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
    "allowed in this context";
inline constexpr char kAofWriteFailed[] = "MISCONF Errors writing to the AOF file: %s";  // printf

inline constexpr char kAppendOnlyNo[] = "ERR appendonly is no";

// The backing tier.
inline constexpr char kWalMaxSize[] =  // printf: size, backend name
    "MISCONF The write-ahead log reached wal-max-size (%" PRIu64 " bytes) because the backend "
    "(%s) is not keeping up or is unreachable; writes are refused until checkpoints catch up";
inline constexpr char kKeyTooLongForBackend[] =  // printf: backend name, bytes
    "ERR key is longer than the %s backend allows (%zu bytes)";
inline constexpr char kBackendUnavailable[] = "ERR backend unavailable: %s";  // printf

// Scripting (EVAL, EVALSHA, SCRIPT).
inline constexpr char kErrPrefix[] = "ERR ";  // what Redis puts before a Lua error's text
inline constexpr char kNoScript[] = "NOSCRIPT No matching script. Please use EVAL.";
inline constexpr char kNumkeysTooBig[] = "ERR Number of keys can't be greater than number of args";
inline constexpr char kNumkeysNegative[] = "ERR Number of keys can't be negative";
inline constexpr char kScriptCompile[] = "ERR Error compiling script (new function): %s";  // printf
inline constexpr char kScriptRun[] = "ERR Error running script %s, %.100s";  // printf: sha, message
inline constexpr char kScriptNoArgs[] = "ERR Please specify at least one argument for this redis lib call";
inline constexpr char kScriptArgType[] = "ERR Lua redis lib command arguments must be strings or integers";
inline constexpr char kScriptUnknownCommand[] = "ERR Unknown Redis command called from script";
inline constexpr char kScriptArity[] = "ERR Wrong number of args calling Redis command from script";
inline constexpr char kScriptNotAllowed[] = "ERR This Redis command is not allowed from script";
inline constexpr char kScriptWriteInRo[] = "ERR Write commands are not allowed from read-only scripts.";
inline constexpr char kScriptUnknownFlag[] = "ERR Unexpected flag in script shebang: %s";  // printf
inline constexpr char kScriptUnknownEngine[] = "ERR Unexpected engine in script shebang: %s";  // printf
inline constexpr char kScriptShebangInvalid[] = "ERR Invalid script shebang";
inline constexpr char kScriptShebangOption[] = "ERR Unknown lua shebang option: %s";  // printf
inline constexpr char kScriptRoWithWriteFlag[] =
    "ERR Can not execute a script with write flag using *_ro command.";
inline constexpr char kScriptLockConflict[] =  // strata's own: see docs/ARCHITECTURE.md, Scripts
    "ERR script touched an undeclared key whose shard stayed busy after it had written; retry "
    "the script";
inline constexpr char kScriptStackLimitReply[] = "ERR reached lua stack limit";
inline constexpr char kScriptSetresp[] = "ERR RESP version must be 2 or 3.";
inline constexpr char kScriptGlobalRead[] =  // printf
    "Script attempted to access nonexistent global variable '%s'";
inline constexpr char kScriptReadonlyTable[] = "Attempt to modify a readonly table";
inline constexpr char kScriptDebugUnsupported[] = "ERR SCRIPT DEBUG is not supported by this server";
inline constexpr char kScriptAclCheckCmd[] = "ERR Invalid command passed to redis.acl_check_cmd()";
// FUNCTION / FCALL.
inline constexpr char kUnknownOptionGiven[] = "ERR Unknown option given: %s";  // printf
inline constexpr char kUnknownArgumentGiven[] = "ERR Unknown argument %s";  // printf
inline constexpr char kFunctionNotFound[] = "ERR Function not found";
inline constexpr char kLibraryNotFound[] = "ERR Library not found";
inline constexpr char kLibraryExists[] = "ERR Library '%s' already exists";  // printf
inline constexpr char kFunctionExists[] = "ERR Function %s already exists";  // printf
inline constexpr char kLibraryMissingMetadata[] = "ERR Missing library metadata";
inline constexpr char kLibraryNoName[] = "ERR Library name was not given";
inline constexpr char kLibraryBadMetadata[] = "ERR Invalid metadata value given: %s";  // printf
inline constexpr char kLibraryEngine[] = "ERR Engine '%s' not found";  // printf
inline constexpr char kLibraryBadName[] =
    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
    "least one character long";
inline constexpr char kLibraryNoFunctions[] = "ERR No functions registered";
inline constexpr char kLibraryCompile[] = "ERR Error compiling function: %s";  // printf
inline constexpr char kLibraryRegister[] = "ERR Error registering functions: %s";  // printf
inline constexpr char kRegisterDuplicate[] = "ERR Function already exists in the library";
inline constexpr char kRegisterUnknownFlag[] = "ERR unknown flag given";
inline constexpr char kRegisterSingleArg[] =
    "ERR calling redis.register_function with a single argument is only applicable to Lua "
    "table (representing named arguments).";
inline constexpr char kRegisterUnknownArg[] = "ERR unknown argument given to redis.register_function";
inline constexpr char kRegisterArgs[] = "ERR wrong number of arguments to redis.register_function";
inline constexpr char kRegisterNameType[] =
    "ERR function_name argument given to redis.register_function must be a string";
inline constexpr char kRegisterCallbackType[] =
    "ERR callback argument given to redis.register_function must be a function";
inline constexpr char kRegisterDescriptionType[] =
    "ERR description argument given to redis.register_function must be a string";
inline constexpr char kRegisterFlagsType[] = "ERR flags argument to redis.register_function must be a table";
inline constexpr char kRegisterFirstArg[] =
    "ERR first argument to redis.register_function must be a string";
inline constexpr char kRegisterSecondArg[] =
    "ERR second argument to redis.register_function must be a function";
inline constexpr char kBadNumberOfKeys[] = "ERR Bad number of keys provided";
inline constexpr char kRegisterNoName[] = "ERR redis.register_function must get a function name argument";
inline constexpr char kRegisterNoCallback[] = "ERR redis.register_function must get a callback argument";
inline constexpr char kFunctionFlushArg[] = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
inline constexpr char kPayloadWrong[] = "ERR DUMP payload version or checksum are wrong";
inline constexpr char kPayloadType[] = "ERR can not read data type";
inline constexpr char kPayloadPreGa[] = "ERR Failed loading engine name";  // pre-GA format (7.0 RCs)
inline constexpr char kPayloadNotFunction[] = "ERR given type is not a function";
inline constexpr char kPayloadLibrary[] = "ERR Failed loading library payload";
inline constexpr char kRestorePolicy[] =
    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.";
inline constexpr char kRestoreLibraryExists[] = "ERR Library %s already exists";  // printf
// redis.* API misuse inside scripts (luaPushError adds "ERR ").
inline constexpr char kScriptCallOutside[] =
    "redis.call can only be used inside a script";
inline constexpr char kScriptApiArgs[] =
    "wrong number of arguments";
inline constexpr char kScriptApiArgTypes[] =
    "wrong number or type of arguments";
inline constexpr char kScriptLogArgs[] =
    "redis.log() requires two arguments or more.";
inline constexpr char kScriptLogLevelType[] =
    "First argument must be a number";
inline constexpr char kScriptLogLevel[] =
    "Invalid debug level.";
inline constexpr char kScriptSetrespArgs[] =
    "redis.setresp() requires one argument.";
inline constexpr char kScriptSetReplArgs[] =
    "redis.set_repl() requires one argument.";
inline constexpr char kScriptSetReplFlags[] =
    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.";
inline constexpr char kNotBusy[] = "NOTBUSY No scripts in execution right now.";
// Streams (commands/stream_family.cc), Redis 7.0.15's words.
inline constexpr char kStreamInvalidId[] =
    "ERR Invalid stream ID specified as stream command argument";
inline constexpr char kStreamMaxlenAndMinid[] =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
inline constexpr char kStreamMaxlenNegative[] = "ERR The MAXLEN argument must be >= 0.";
inline constexpr char kStreamLimitNegative[] = "ERR The LIMIT argument must be >= 0.";
inline constexpr char kStreamLimitWithoutStrategy[] =
    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
inline constexpr char kStreamXtrimWithoutStrategy[] =
    "ERR syntax error, XTRIM must be called with a trimming strategy";
inline constexpr char kStreamLimitWithoutApprox[] =
    "ERR syntax error, LIMIT cannot be used without the special ~ option";
inline constexpr char kStreamIdZero[] = "ERR The ID specified in XADD must be greater than 0-0";
inline constexpr char kStreamTooLarge[] = "ERR Elements are too large to be stored";
inline constexpr char kStreamExhausted[] =
    "ERR The stream has exhausted the last possible ID, unable to add more items";
inline constexpr char kStreamIdTooSmall[] =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
inline constexpr char kStreamUnbalanced[] =
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
inline constexpr char kStreamGtOnlyGroup[] =
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
    "<consumer> option.";
inline constexpr char kBlockInScript[] =  // printf: the command's name as sent
    "ERR %s command is not allowed with BLOCK option from scripts";
inline constexpr char kTimeoutNotInteger[] = "ERR timeout is not an integer or out of range";
inline constexpr char kStreamEntriesReadNegative[] =
    "ERR value for ENTRIESREAD must be positive or -1";
inline constexpr char kStreamXgroupNoKey[] =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";
inline constexpr char kStreamBusyGroup[] = "BUSYGROUP Consumer Group name already exists";
inline constexpr char kStreamNoGroup[] =  // printf: group, key
    "NOGROUP No such consumer group '%s' for key name '%s'";
inline constexpr char kStreamUnbalancedGroup[] =
    "ERR Unbalanced XREADGROUP list of streams: for each stream key an ID or '>' must be "
    "specified.";
inline constexpr char kStreamMissingGroup[] = "ERR Missing GROUP option for XREADGROUP";
inline constexpr char kStreamNoKeyOrGroupRead[] =  // printf: key, group
    "NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option";
inline constexpr char kStreamNoKeyOrGroup[] =  // printf: key, group
    "NOGROUP No such key '%s' or consumer group '%s'";
inline constexpr char kStreamGroupGone[] =
    "NOGROUP the consumer group this client was blocked on no longer exists";
inline constexpr char kStreamDollarInGroup[] =
    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
    "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would "
    "just return an empty result set.";
inline constexpr char kXclaimMinIdle[] = "ERR Invalid min-idle-time argument for XCLAIM";
inline constexpr char kXclaimIdle[] = "ERR Invalid IDLE option argument for XCLAIM";
inline constexpr char kXclaimTime[] = "ERR Invalid TIME option argument for XCLAIM";
inline constexpr char kXclaimRetryCount[] = "ERR Invalid RETRYCOUNT option argument for XCLAIM";
inline constexpr char kXclaimUnknownOption[] = "ERR Unrecognized XCLAIM option '%s'";  // printf
inline constexpr char kXautoclaimMinIdle[] = "ERR Invalid min-idle-time argument for XAUTOCLAIM";
inline constexpr char kXautoclaimCount[] = "ERR COUNT must be > 0";
inline constexpr char kStreamInvalidStart[] = "ERR invalid start ID for the interval";
inline constexpr char kStreamInvalidEnd[] = "ERR invalid end ID for the interval";
inline constexpr char kStreamEntriesAddedNegative[] = "ERR entries_added must be positive";
inline constexpr char kStreamSetIdBelowGivenMaxDeleted[] =
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
inline constexpr char kStreamSetIdTooSmall[] =
    "ERR The ID specified in XSETID is smaller than the target stream top item";
inline constexpr char kStreamEntriesAddedTooSmall[] =
    "ERR The entries_added specified in XSETID is smaller than the target stream length";

// Lua libraries in scripts (server/lua_cmsgpack.cc, lua_struct.cc): the texts of the versions
// Redis embeds; luaL_error formats (printf) where they take values.
inline constexpr char kCmsgpackBadRange[] = "Invalid request to unpack with offset of %d and limit of %d.";
inline constexpr char kCmsgpackOffsetPastEnd[] = "Start offset %d greater than input length %d.";
inline constexpr char kCmsgpackMissingBytes[] = "Missing bytes in input.";
inline constexpr char kCmsgpackBadFormat[] = "Bad data format in input.";
inline constexpr char kStructSizeOverflow[] = "integral size overflow";
inline constexpr char kStructSizeLimit[] = "integral size %d is larger than limit of %d";
inline constexpr char kStructAlignment[] = "alignment %d is not a power of 2";
inline constexpr char kStructC0NeedsSize[] = "format 'c0' needs a previous size";
inline constexpr char kStructUnfinishedString[] = "unfinished string in data";
inline constexpr char kScriptRandomArgs[] = "wrong number of arguments";

// A script past busy-reply-threshold (server/scripting.h, "Time limit").
inline constexpr char kBusyEval[] =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr char kBusyFunction[] =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr char kUnkillable[] =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
inline constexpr char kScriptKilled[] = "Script killed by user with SCRIPT KILL...";
inline constexpr char kFunctionLoadTimeout[] = "FUNCTION LOAD timeout";
inline constexpr char kScriptFlushArg[] = "ERR SCRIPT FLUSH only support SYNC|ASYNC option";

}  // namespace strata::err
