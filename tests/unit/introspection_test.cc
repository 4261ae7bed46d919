// COMMAND introspection: the syntax parser behind COMMAND DOCS, and every COMMAND subcommand
// against a small registry of fake commands, in RESP2 and RESP3. Expected bytes for GET were
// captured from redis-server 7.0.15.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "common/buffer.h"
#include "protocol/reply_writer.h"
#include "server/dispatcher.h"

namespace strata::cmd {
// Defined in commands/introspection.cc.
std::string DescribeSyntaxForTest(std::string_view syntax, std::string_view command);
}  // namespace strata::cmd

using namespace strata;
using namespace strata::cmd;

namespace {

std::string Tree(std::string_view syntax, std::string_view command = "x") {
  return DescribeSyntaxForTest(syntax, command);
}

// RESP lines joined with CRLF, one per list element.
std::string Resp(std::initializer_list<const char*> lines) {
  std::string s;
  for (const char* l : lines) s += std::string(l) + "\r\n";
  return s;
}

void Noop(CommandContext& ctx) { ctx.out->Ok(); }

CommandSpec Spec(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys,
                 const char* group, const char* since, const char* summary, const char* syntax) {
  return MakeSpec(name, arity, flags, std::move(keys), Noop, group, since, summary, syntax);
}

struct Fixture {
  CommandRegistry reg;
  storage::Keyspace ks{1, 1};

  Fixture() {
    reg.Register(Spec("get", 2, kReadOnly | kFast, {Key(1, kKeyRO | kKeyAccess)}, "string", "1.0.0",
                      "Get the value of a key", "key"));
    reg.Register(Spec("mset", -3, kWrite | kDenyOom,
                      {KeyRange(1, -1, 2, kKeyOW | kKeyUpdate | kKeyBlind)}, "string", "1.0.1",
                      "Set multiple keys to multiple values", "key value [key value ...]"));
    reg.Register(
        Spec("ping", -1, kFast, {}, "connection", "1.0.0", "Ping the server", "[message]"));
    CommandSpec cfg = Spec("cfg", -2, 0, {}, "server", "2.0.0", "Config container", "");
    cfg.handler = nullptr;
    cfg.subcommands.push_back(Spec("cfg|get", -3, kAdmin | kNoScript | kLoading | kStale, {},
                                   "server", "2.0.0", "Get config", "parameter [parameter ...]"));
    reg.Register(std::move(cfg));
    RegisterIntrospection(reg);
  }

  // Runs a command through the dispatcher (no server); returns the raw reply.
  std::string Run(std::vector<std::string> args, bool resp3 = false) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    Buffer buf;
    protocol::ReplyWriter w(&buf);
    w.set_resp3(resp3);
    ClientState client;
    client.resp = resp3 ? 3 : 2;
    CommandContext ctx;
    ctx.argv = argv.data();
    ctx.argc = argv.size();
    ctx.out = &w;
    ctx.client = &client;
    ctx.registry = &reg;
    ctx.keyspace = &ks;
    server::DispatchParts parts;
    parts.keyspace = &ks;
    parts.registry = &reg;
    server::Dispatcher dispatcher(parts);
    server::Effects fx;
    dispatcher.Run(ctx, server::Mode::kTest, &fx);
    return std::string(buf.Readable());
  }
};

}  // namespace

TEST_CASE("syntax parser: the brief's examples") {
  CHECK(Tree("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
             "PXAT unix-time-milliseconds | KEEPTTL]") ==
        "key:key value:string nx_xx:oneof{optional}(nx:pure-token@NX xx:pure-token@XX) "
        "get:pure-token@GET{optional} "
        "seconds_milliseconds_unix-time-seconds_unix-time-milliseconds_keepttl:oneof{optional}("
        "seconds:integer@EX milliseconds:integer@PX unix-time-seconds:unix-time@EXAT "
        "unix-time-milliseconds:unix-time@PXAT keepttl:pure-token@KEEPTTL)");
  CHECK(Tree("key [key ...]") == "key:key{multiple}");
  CHECK(Tree("key value [key value ...]") == "key_value:block{multiple}(key:key value:string)");
  CHECK(Tree("pattern") == "pattern:pattern");
  CHECK(Tree("key seconds [NX | XX | GT | LT]") ==
        "key:key seconds:integer nx_xx_gt_lt:oneof{optional}(nx:pure-token@NX xx:pure-token@XX "
        "gt:pure-token@GT lt:pure-token@LT)");
  CHECK(Tree("cursor [MATCH pattern] [COUNT count] [TYPE type]") ==
        "cursor:integer pattern:pattern@MATCH{optional} count:integer@COUNT{optional} "
        "type:string@TYPE{optional}");
  CHECK(Tree("") == "");
}

TEST_CASE("syntax parser: keywords taking blocks and groups, repeated tokens") {
  CHECK(Tree("key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] "
             "[ALPHA] [STORE destination]") ==
        "key:key pattern:pattern@BY{optional} "
        "limit:block@LIMIT{optional}(offset:integer count:integer) "
        "pattern:pattern@GET{optional,multiple,multiple_token} "
        "asc_desc:oneof{optional}(asc:pure-token@ASC desc:pure-token@DESC) "
        "alpha:pure-token@ALPHA{optional} destination:key@STORE{optional}");
  CHECK(Tree("[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]") ==
        "filterby:oneof@FILTERBY{optional}(module-name:string@MODULE category:string@ACLCAT "
        "pattern:pattern@PATTERN)");
  CHECK(Tree("[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]") ==
        "count:integer@COUNT{optional} milliseconds:integer@BLOCK{optional} "
        "streams:block@STREAMS(key:key{multiple} id:string{multiple})");
  CHECK(Tree("[KEYS key [key ...]]") == "key:key@KEYS{optional,multiple}");
  CHECK(Tree("<FROMMEMBER member | FROMLONLAT longitude latitude>") ==
        "member_fromlonlat:oneof(member:string@FROMMEMBER "
        "fromlonlat:block@FROMLONLAT(longitude:string latitude:string))");
  CHECK(Tree("key <BEFORE | AFTER> pivot element") ==
        "key:key before_after:oneof(before:pure-token@BEFORE after:pure-token@AFTER) "
        "pivot:string element:string");
}

TEST_CASE("syntax parser: nesting, optional repetition, top-level choice") {
  CHECK(Tree("[protover [AUTH username password] [SETNAME clientname]]") ==
        "protover_auth_clientname:block{optional}(protover:integer "
        "auth:block@AUTH{optional}(username:string password:string) "
        "clientname:string@SETNAME{optional})");
  CHECK(Tree("key [start end [BYTE | BIT]]") ==
        "key:key start_end_byte_bit:block{optional}(start:integer end:integer "
        "byte_bit:oneof{optional}(byte:pure-token@BYTE bit:pure-token@BIT))");
  CHECK(Tree("[section [section ...]]") == "section:string{optional,multiple}");
  CHECK(Tree("subcommand [argument ...]") ==
        "subcommand:string argument:string{optional,multiple}");
  CHECK(Tree("key ...") == "key:key{multiple}");
  CHECK(Tree("ON | OFF") == "on_off:oneof(on:pure-token@ON off:pure-token@OFF)");
  CHECK(Tree("[username] password") == "username:string{optional} password:string");
  CHECK(Tree("key score member [score member ...]", "zadd") ==
        "key:key score_member:block{multiple}(score:double member:string)");
}

TEST_CASE("syntax parser: loose keyword choice and type inference") {
  CHECK(Tree("[TYPE NORMAL | MASTER | PUBSUB] [ID client-id [client-id ...]]") ==
        "type:oneof@TYPE{optional}(normal:pure-token@NORMAL master:pure-token@MASTER "
        "pubsub:pure-token@PUBSUB) client-id:string@ID{optional,multiple}");
  CHECK(Tree("[SKIPME YES | NO]") ==
        "skipme:oneof@SKIPME{optional}(yes:pure-token@YES no:pure-token@NO)");
  CHECK(Tree("key increment", "incrbyfloat") == "key:key increment:double");
  CHECK(Tree("key increment", "incrby") == "key:key increment:integer");
  CHECK(Tree("key1 key2 newkey index1 destination-db") ==
        "key1:key key2:key newkey:key index1:integer destination-db:integer");
  CHECK(Tree("source destination [DB destination-db] [REPLACE]") ==
        "source:key destination:key destination-db:integer@DB{optional} "
        "replace:pure-token@REPLACE{optional}");
}

TEST_CASE("syntax parser: tolerates malformed input") {
  CHECK(Tree("key ] value >") == "key:key value:string");
  CHECK(Tree("key [NX") == "key:key nx:pure-token@NX{optional}");
  CHECK(Tree("[ ]") == "");
  CHECK(Tree("| |").empty());
  CHECK(Tree("...") == "");
  CHECK_NOTHROW(Tree("[[<a | [b ...] | > ... ] c] d | ..."));
}

TEST_CASE("COMMAND COUNT and LIST") {
  Fixture f;
  CHECK(f.Run({"COMMAND", "COUNT"}) == ":5\r\n");
  CHECK(f.Run({"command", "count", "x"}) ==
        "-ERR wrong number of arguments for 'command|count' command\r\n");
  std::string all = f.Run({"COMMAND", "LIST"});
  CHECK(all.rfind("*13\r\n$3\r\nget\r\n$4\r\nmset\r\n$4\r\nping\r\n$3\r\ncfg\r\n$7\r\ncfg|get\r\n"
                  "$7\r\ncommand\r\n",
                  0) == 0);
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "C*"}) ==
        Resp({"*10", "$3", "cfg", "$7", "cfg|get", "$7", "command", "$13", "command|count",
              "$12", "command|docs", "$15", "command|getkeys", "$23", "command|getkeysandflags",
              "$12", "command|help", "$12", "command|info", "$12", "command|list"}));
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "*|get"}) ==
        Resp({"*1", "$7", "cfg|get"}));
  CHECK(f.Run({"COMMAND", "LIST", "filterby", "aclcat", "STRING"}) ==
        Resp({"*2", "$3", "get", "$4", "mset"}));
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "write"}) == Resp({"*1", "$4", "mset"}));
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "dangerous"}) ==
        Resp({"*1", "$7", "cfg|get"}));
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"}) == "*0\r\n");
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "m"}) == "*0\r\n");
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "BOGUS", "m"}) == "-ERR syntax error\r\n");
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN"}) == "-ERR syntax error\r\n");
  CHECK(f.Run({"COMMAND", "LIST", "foo"}) == "-ERR syntax error\r\n");
}

TEST_CASE("COMMAND INFO matches redis-server 7.0.15 for GET, RESP2 and RESP3") {
  Fixture f;
  CHECK(f.Run({"COMMAND", "INFO", "get"}) ==
        Resp({"*1", "*10", "$3", "get", ":2", "*2", "+readonly", "+fast", ":1", ":1", ":1", "*3",
              "+@read", "+@string", "+@fast", "*0", "*1", "*6", "$5", "flags", "*2", "+RO",
              "+access", "$12", "begin_search", "*4", "$4", "type", "$5", "index", "$4", "spec",
              "*2", "$5", "index", ":1", "$9", "find_keys", "*4", "$4", "type", "$5", "range",
              "$4", "spec", "*6", "$7", "lastkey", ":0", "$7", "keystep", ":1", "$5", "limit",
              ":0", "*0"}));
  CHECK(f.Run({"COMMAND", "INFO", "GET"}, true) ==
        Resp({"*1", "*10", "$3", "get", ":2", "~2", "+readonly", "+fast", ":1", ":1", ":1", "~3",
              "+@read", "+@string", "+@fast", "~0", "~1", "%3", "$5", "flags", "~2", "+RO",
              "+access", "$12", "begin_search", "%2", "$4", "type", "$5", "index", "$4", "spec",
              "%1", "$5", "index", ":1", "$9", "find_keys", "%2", "$4", "type", "$5", "range",
              "$4", "spec", "%3", "$7", "lastkey", ":0", "$7", "keystep", ":1", "$5", "limit",
              ":0", "~0"}));
}

TEST_CASE("COMMAND INFO: key ranges, unknown names, subcommands, no arguments") {
  Fixture f;
  std::string mset = f.Run({"COMMAND", "INFO", "mset"});
  CHECK(mset.rfind(Resp({"*1", "*10", "$4", "mset", ":-3", "*2", "+write", "+denyoom", ":1",
                         ":-1", ":2", "*3", "+@write", "+@string", "+@slow", "*0", "*1", "*6",
                         "$5", "flags", "*2", "+OW", "+update"}),
                    0) == 0);
  CHECK(mset.find(Resp({"$7", "lastkey", ":-1", "$7", "keystep", ":2"})) != std::string::npos);
  CHECK(f.Run({"COMMAND", "INFO", "nosuch"}) == "*1\r\n$-1\r\n");
  CHECK(f.Run({"COMMAND", "INFO", "nosuch"}, true) == "*1\r\n_\r\n");
  CHECK(f.Run({"COMMAND", "INFO", "ping"}) ==
        Resp({"*1", "*10", "$4", "ping", ":-1", "*1", "+fast", ":0", ":0", ":0", "*2", "+@fast",
              "+@connection", "*0", "*0", "*0"}));
  CHECK(f.Run({"COMMAND", "INFO", "CFG|GET", "cfg|", "|", "get|x"}) ==
        Resp({"*4", "*10", "$7", "cfg|get", ":-3", "*4", "+admin", "+noscript", "+loading",
              "+stale", ":0", ":0", ":0", "*3", "+@admin", "+@slow", "+@dangerous", "*0", "*0",
              "*0", "$-1", "$-1", "$-1"}));
  // A container: flags only imply @slow; subcommands as an array of full infos.
  CHECK(f.Run({"COMMAND", "INFO", "cfg"}, true) ==
        Resp({"*1", "*10", "$3", "cfg", ":-2", "~0", ":0", ":0", ":0", "~1", "+@slow", "~0",
              "~0", "*1", "*10", "$7", "cfg|get", ":-3", "~4", "+admin", "+noscript",
              "+loading", "+stale", ":0", ":0", ":0", "~3", "+@admin", "+@slow", "+@dangerous",
              "~0", "~0", "~0"}));
  // COMMAND and COMMAND INFO with no names: every top-level command.
  std::string all = f.Run({"COMMAND"});
  CHECK(all.rfind("*5\r\n*10\r\n$3\r\nget\r\n", 0) == 0);
  CHECK(f.Run({"COMMAND", "INFO"}) == all);
  CHECK(all.find(Resp({"$13", "command|count", ":2", "*2", "+loading", "+stale", ":0", ":0",
                       ":0", "*2", "+@slow", "+@connection"})) != std::string::npos);
}

TEST_CASE("COMMAND DOCS, RESP2 and RESP3") {
  Fixture f;
  // As redis-server 7.0.15, less "complexity" (CommandSpec has none).
  CHECK(f.Run({"COMMAND", "DOCS", "GET"}, true) ==
        Resp({"%1", "$3", "get", "%4", "$7", "summary", "$22", "Get the value of a key", "$5",
              "since", "$5", "1.0.0", "$5", "group", "$6", "string", "$9", "arguments", "*1",
              "%3", "$4", "name", "$3", "key", "$4", "type", "$3", "key", "$14",
              "key_spec_index", ":0"}));
  CHECK(f.Run({"COMMAND", "DOCS", "get", "nosuch"}) ==
        Resp({"*2", "$3", "get", "*8", "$7", "summary", "$22", "Get the value of a key", "$5",
              "since", "$5", "1.0.0", "$5", "group", "$6", "string", "$9", "arguments", "*1",
              "*6", "$4", "name", "$3", "key", "$4", "type", "$3", "key", "$14",
              "key_spec_index", ":0"}));
  CHECK(f.Run({"COMMAND", "DOCS", "mset"}, true) ==
        Resp({"%1", "$4", "mset", "%4", "$7", "summary", "$36",
              "Set multiple keys to multiple values", "$5", "since", "$5", "1.0.1", "$5",
              "group", "$6", "string", "$9", "arguments", "*1", "%4", "$4", "name", "$9",
              "key_value", "$4", "type", "$5", "block", "$5", "flags", "~1", "+multiple", "$9",
              "arguments", "*2", "%3", "$4", "name", "$3", "key", "$4", "type", "$3", "key",
              "$14", "key_spec_index", ":0", "%2", "$4", "name", "$5", "value", "$4", "type",
              "$6", "string"}));
  // No key spec, no key_spec_index; optional flag as a set of status strings.
  CHECK(f.Run({"COMMAND", "DOCS", "ping"}, true) ==
        Resp({"%1", "$4", "ping", "%4", "$7", "summary", "$15", "Ping the server", "$5", "since",
              "$5", "1.0.0", "$5", "group", "$10", "connection", "$9", "arguments", "*1", "%3",
              "$4", "name", "$7", "message", "$4", "type", "$6", "string", "$5", "flags", "~1",
              "+optional"}));
  // Containers carry "subcommands", a map keyed by full name; no "arguments" when none.
  CHECK(f.Run({"COMMAND", "DOCS", "cfg"}, true) ==
        Resp({"%1", "$3", "cfg", "%4", "$7", "summary", "$16", "Config container", "$5", "since",
              "$5", "2.0.0", "$5", "group", "$6", "server", "$11", "subcommands", "%1", "$7",
              "cfg|get", "%4", "$7", "summary", "$10", "Get config", "$5", "since", "$5",
              "2.0.0", "$5", "group", "$6", "server", "$9", "arguments", "*1", "%3", "$4",
              "name", "$9", "parameter", "$4", "type", "$6", "string", "$5", "flags", "~1",
              "+multiple"}));
  CHECK(f.Run({"COMMAND", "DOCS", "cfg|get"}, true).rfind("%1\r\n$7\r\ncfg|get\r\n%4\r\n", 0) ==
        0);
  CHECK(f.Run({"COMMAND", "DOCS", "nosuch"}, true) == "%0\r\n");
  CHECK(f.Run({"COMMAND", "DOCS", "nosuch"}) == "*0\r\n");
  CHECK(f.Run({"COMMAND", "DOCS"}, true).rfind("%5\r\n$3\r\nget\r\n", 0) == 0);
  // COMMAND's own docs: the LIST filter tree as Redis 7.0.15 documents it.
  std::string list = f.Run({"COMMAND", "DOCS", "command|list"}, true);
  CHECK(list.find(Resp({"$9", "arguments", "*1", "%5", "$4", "name", "$8", "filterby", "$4",
                        "type", "$5", "oneof", "$5", "token", "$8", "FILTERBY", "$5", "flags",
                        "~1", "+optional", "$9", "arguments", "*3", "%3", "$4", "name", "$11",
                        "module-name", "$4", "type", "$6", "string", "$5", "token", "$6",
                        "MODULE"})) != std::string::npos);
}

TEST_CASE("COMMAND GETKEYS and GETKEYSANDFLAGS") {
  Fixture f;
  CHECK(f.Run({"COMMAND", "GETKEYS", "get", "a"}) == Resp({"*1", "$1", "a"}));
  CHECK(f.Run({"COMMAND", "GETKEYS", "GET", "a"}) == Resp({"*1", "$1", "a"}));
  CHECK(f.Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}) ==
        Resp({"*2", "$1", "a", "$1", "b"}));
  CHECK(f.Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b"}) == Resp({"*2", "$1", "a", "$1", "b"}));
  CHECK(f.Run({"COMMAND", "GETKEYS", "get", "a", "b"}) ==
        "-ERR Invalid number of arguments specified for command\r\n");
  CHECK(f.Run({"COMMAND", "GETKEYS", "nosuch", "a"}) == "-ERR Invalid command specified\r\n");
  CHECK(f.Run({"COMMAND", "GETKEYS", "cfg", "nosuch"}) == "-ERR Invalid command specified\r\n");
  CHECK(f.Run({"COMMAND", "GETKEYS", "ping", "a"}) == "-ERR The command has no key arguments\r\n");
  // No-keys is checked before arity, as in Redis.
  CHECK(f.Run({"COMMAND", "GETKEYS", "cfg", "get"}) ==
        "-ERR The command has no key arguments\r\n");
  CHECK(f.Run({"COMMAND", "GETKEYS", "get"}) ==
        "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  CHECK(f.Run({"COMMAND", "GETKEYSANDFLAGS", "get", "a"}) ==
        Resp({"*1", "*2", "$1", "a", "*2", "+RO", "+access"}));
  CHECK(f.Run({"COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"}, true) ==
        Resp({"*2", "*2", "$1", "a", "~2", "+OW", "+update", "*2", "$1", "b", "~2", "+OW",
              "+update"}));
}

TEST_CASE("COMMAND HELP and unknown subcommands") {
  Fixture f;
  std::string help = f.Run({"COMMAND", "HELP"});
  CHECK(help.rfind("*18\r\n+COMMAND <subcommand>", 0) == 0);
  CHECK(help.find("+GETKEYS <full-command>\r\n") != std::string::npos);
  CHECK(f.Run({"COMMAND", "HELP", "x"}) ==
        "-ERR wrong number of arguments for 'command|help' command\r\n");
  CHECK(f.Run({"COMMAND", "FOO"}) == "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n");
}
