# Differential test of Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT LOAD / EXISTS /
# FLUSH / HELP): the same commands go to a stock redis-server 7.0.15 (the reference) and to the
# server under test; raw reply bytes must be identical. Uses the step types and the group runner
# of test_compat.py. Covers Lua -> RESP2/RESP3 conversion, RESP -> Lua conversion (redis.call /
# redis.pcall, redis.setresp), Redis 7's exact error texts (compile and run-time errors carry
# "script: <sha1>, on @user_script:<line>."), the sandbox (no os/io/loadfile/dofile, read-only
# globals), the bundled libraries (cjson, bit, string, table, math with redisLrand48), the script
# cache, and side effects (keys, TTLs, SELECT, MULTI/EXEC, WATCH).
#
# What is compared by shape instead of bytes: TIME/INFO/COMMAND COUNT called from a script, and
# math.random without math.randomseed (Redis 7 reseeds the PRNG from libc rand() before every
# script, so those values depend on the server's history). Lua tables with several string keys
# returned as RESP3 maps / sets are compared as pair sets / multisets (their order is the Lua
# table's iteration order), and cjson.encode of multi-key objects as parsed JSON.
#
# Not covered here (later work): FUNCTION / FCALL, cmsgpack, struct, SCRIPT KILL and BUSY,
# SCRIPT DEBUG. Also deliberately absent: error({}) (crashes redis-server 7.0.15) and
# {double=0/0} (prints the platform's "-nan").
import json
import re
import unittest

import test_compat as tc


X, Shape, Sorted, Pairs, Reconnect = tc.X, tc.Shape, tc.Sorted, tc.Pairs, tc.Reconnect
hello_shape = tc.hello_shape

NOSHA = "ffffffffffffffffffffffffffffffffffffffff"


def E(script, *rest):
    """EVAL script with numkeys and args given in rest (default: numkeys 0, no args)."""
    return X("EVAL", script, *(rest or ("0",)))


def ES(check, script, *rest):
    """EVAL compared with a shape check."""
    return Shape(check, "EVAL", script, *(rest or ("0",)))


def ER(script, *rest):
    """EVAL_RO."""
    return X("EVAL_RO", script, *(rest or ("0",)))


def EP(script, *rest):
    """EVAL whose reply is a flat key/value array or a RESP3 map: compared as a set of pairs."""
    return Pairs("EVAL", script, *(rest or ("0",)))


def EU(script, *rest):
    """EVAL whose array / RESP3 set reply is compared as a multiset."""
    return Sorted("EVAL", script, *(rest or ("0",)))


def HELLO(proto):
    return Shape(hello_shape, "HELLO", str(proto))


# -- shape checks ----------------------------------------------------------------------------------
def json_same(ref, ours):
    if not isinstance(ours, bytes):
        return "expected a JSON bulk string, got %r" % (ours,)
    try:
        a, b = json.loads(ref), json.loads(ours)
    except ValueError as e:
        return "not JSON: %r (%s)" % (ours, e)
    if a != b:
        return "JSON differs: %r vs redis %r" % (ours, ref)


def version_string(ref, ours):
    if not isinstance(ours, bytes) or not re.fullmatch(rb"\d+\.\d+\.\d+", ours):
        return "expected a version like 7.0.15, got %r" % (ours,)


def random_float_string(ref, ours):
    try:
        v = float(ours)
    except (TypeError, ValueError):
        return "expected a number as a string, got %r" % (ours,)
    if not 0 <= v < 1:
        return "math.random() out of [0, 1): %r" % (ours,)


def int_list_between(n, lo, hi):
    def check(ref, ours):
        if (not isinstance(ours, list) or len(ours) != n
                or not all(isinstance(x, int) and lo <= x <= hi for x in ours)):
            return "expected %d integers in [%d, %d], got %r" % (n, lo, hi, ours)
    return check


# -- groups ----------------------------------------------------------------------------------------
BIG_SCRIPT = "local t = {} for i = 1, 1000 do t[i] = i end return #t"

LIB_A = """#!lua name=liba
redis.register_function('fa_get', function(keys, args) return redis.call('GET', keys[1]) end)
redis.register_function('fa_incr', function(keys, args) return redis.call('INCR', keys[1]) end)
redis.register_function{function_name='fa_ro', callback=function(keys, args) return {#keys, args[1]} end,
  flags={'no-writes'}, description='read only'}
redis.register_function('fa_err', function(keys, args) return nil + 1 end)
redis.register_function('fa_callerr', function(keys, args) return redis.call('LPUSH', keys[1], 'x') end)
"""
LIB_B = """#!lua name=libb
redis.register_function{function_name='fb_only', callback=function() return 'b' end,
  flags={'no-writes', 'allow-oom'}}
"""



def crc64_jones(data):
    """Redis's CRC64 (Jones polynomial, reflected), for hand-made DUMP payloads."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x95AC9329AC4BC9B5 if crc & 1 else crc >> 1
    return crc


def dump_payload(body):
    """body + RDB version 10 + CRC64, as FUNCTION DUMP frames it."""
    data = body + b"\x0a\x00"
    return data + crc64_jones(data).to_bytes(8, "little")


EMPTY_DUMP = dump_payload(b"")

GROUPS = {
    # ---------------------------------------------------------------- Lua -> RESP2
    "to_resp2_scalars": [
        E("return 1"), E("return 0"), E("return -7"), E("return 3.99"), E("return -3.99"),
        E("return 0.5"), E("return -0"), E("return 2^62"), E("return 9007199254740993"),
        E("return -9223372036854775808"), E("return 10 / 4"), E("return 7 % 3"), E("return -7 % 3"),
        E("return 'abc'"), E("return ''"), E("return 'a\\0b'"), E("return '\\r\\n'"),
        E("return true"), E("return false"), E("return nil"), E("return"),
        E("return 1, 2"), E(""), E("   "), E("-- only a comment"), E("return 'a' -- trailing"),
        E("\nreturn 5\n"), E("do return 1 end"), E(BIG_SCRIPT),
        E("local function f(n) if n == 0 then return 0 end return n + f(n-1) end return f(100)"),
        E("return string.rep('x', 100000):len()"), E("return string.rep('ab', 5000)"),
        X("eval", "return 1", "0"), X("EvAl", "return 'mixed case'", "0"),
    ],
    # (long long) of a double out of range: what x86-64's conversion gives (kept apart: it is the
    # C cast's undefined behaviour that Redis exposes).
    "to_resp2_float_overflow": [
        E("return 1e20"), E("return 2^63"), E("return -1e20"), E("return 1/0"), E("return -1/0"),
        E("return 0/0"),
    ],
    "to_resp2_tables": [
        E("return {1,2,{3,'x'},'y'}"), E("return {1,2,nil,4}"), E("return {nil,2}"),
        E("return {1, false, 3}"), E("return {1, true, 3}"), E("return {true, false, nil, true}"),
        E("return {1, 2, x=3}"), E("return {x=3, 1, 2}"), E("return {foo='bar'}"),
        E("return {[1]='a', [2]='b', [4]='d'}"), E("return {}"), E("return {{}}"),
        E("return {{{}}}"), E("return {''}"), E("return {'a', {'b', {'c', {'d'}}}}"),
        E("return {1.5, 2.7, -0.9}"),
        E("return {ok='x'}"), E("return {ok='OK'}"), E("return {ok=''}"), E("return {ok=1}"),
        E("return {err='x'}"), E("return {err='MYERR x'}"), E("return {err='ERR something'}"),
        E("return {err=1}"), E("return {ok='a', err='b'}"), E("return {err='b', ok='a'}"),
        E("return {1, {err='inner'}, 3}"), E("return {1, {ok='fine'}, 3}"),
        E("return {1, redis.error_reply('inner x'), 3}"),
        E("return {1, redis.status_reply('QUEUED'), 3}"),
    ],
    "status_and_error_reply": [
        E("return redis.status_reply('FINE')"), E("return redis.status_reply('')"),
        E("return redis.status_reply('two words')"),
        # error_reply: a first word becomes the error code; a single word gets "ERR " in front.
        E("return redis.error_reply('MY bad')"), E("return redis.error_reply('bad thing')"),
        E("return redis.error_reply('x')"), E("return redis.error_reply('-x')"),
        E("return redis.error_reply('-MYCODE with text')"), E("return redis.error_reply('')"),
        E("return redis.error_reply('ERR explicit')"),
        E("return type(redis.status_reply('x'))"), E("return redis.status_reply('x').ok"),
        E("return redis.error_reply('x').err"), E("return redis.error_reply('A b').err"),
        E("return redis.status_reply()"), E("return redis.error_reply()"),
        E("return redis.error_reply(1)"), E("return redis.status_reply('a', 'b')"),
        E("return redis.error_reply"),
    ],
    "error_function": [
        E("error('boom')"), E("error('boom', 0)"), E("error('x', 2)"), E("error(42)"),
        E("error()"), E("error(nil)"), E("error({err='MY custom'})"),
        E("error({err='noerrorprefix'})"), E("error(redis.error_reply('MYCODE oops'))"),
        E("return error(redis.error_reply('MYCODE oops'))"), E("error('multi\\nline')"),
        E("local x = 1\nlocal y = 2\nerror('on line three')"),
    ],
    # Tables with a known type field on a RESP2 client: flattened or passed as strings.
    "typed_tables_on_resp2": [
        E("return {double=3.14}"), E("return {double=3}"), E("return {double=-0.5}"),
        E("return {double=1e300}"), E("return {double=2.5e-5}"), E("return {double=1/0}"),
        E("return {double=-1/0}"), E("return {double='2.5'}"),
        E("return {big_number='123'}"), E("return {big_number='12345678901234567890123'}"),
        E("return {big_number='abc'}"), E("return {big_number=123}"),
        E("return {map={a=1}}"), E("return {map={}}"), E("return {map={a={1,2}}}"),
        E("return {map={a={map={b=1}}}}"), EP("return {map={a=1, b=2, c=3}}"),
        E("return {set={a=true}}"), E("return {set={}}"), E("return {set={a=false}}"),
        E("return {set={[1]=true}}"), EU("return {set={a=true, b=true, c=true}}"),
        E("return {verbatim_string={format='txt', string='hello'}}"),
        E("return {verbatim_string={format='mkd', string='# x'}}"),
        E("return {verbatim_string={string='x'}}"), E("return {1, {double=1.5}}"),
    ],
    # ---------------------------------------------------------------- RESP -> Lua
    "from_redis_replies": [
        X("SET", "str", "abc"), X("RPUSH", "l", "a", "b", "c"), X("HSET", "h", "f", "v", "g", "w"),
        E("return redis.call('GET','nokey')"), E("return type(redis.call('GET','nokey'))"),
        E("return redis.call('GET','nokey') == false"), E("return redis.call('GET','str')"),
        E("return type(redis.call('GET','str'))"),
        E("return redis.call('INCR','n')"), E("return type(redis.call('INCR','n'))"),
        E("return redis.call('INCR','n') + 10"), E("return redis.call('LRANGE','l',0,-1)"),
        E("return type(redis.call('LRANGE','l',0,-1))"), E("return #redis.call('LRANGE','l',0,-1)"),
        E("return redis.call('LRANGE','l',0,-1)[2]"), E("return redis.call('LRANGE','nolist',0,-1)"),
        E("return redis.call('HGETALL','h')"), E("return redis.call('HGETALL','nohash')"),
        E("return redis.call('MGET','str','nokey','str')"),
        E("local r = redis.call('MGET','str','nokey'); return {type(r[1]), type(r[2])}"),
        E("return redis.call('SET','k','v')"), E("return type(redis.call('SET','k','v'))"),
        E("local r = redis.call('SET','k','v'); return r.ok"), E("return redis.call('PING')"),
        E("return redis.call('PING').ok"), E("return redis.call('TYPE','k')"),
        E("return redis.call('TYPE','k').ok"), E("return redis.call('SET','k','v2','GET')"),
        E("return redis.call('EXISTS','k','nokey')"), E("return redis.call('ECHO','x')"),
        E("return redis.call('get', 'k')"), E("return redis.call('gEt', 'k')"),
        E("return redis.call('ZADD','z','1','a','2.5','b')"),
        E("return redis.call('ZRANGE','z',0,-1,'WITHSCORES')"), E("return redis.call('ZSCORE','z','b')"),
        E("return redis.call('ZINCRBY','z','0.1','b')"), E("return redis.call('INCRBYFLOAT','f','1.5')"),
        E("return redis.call('HINCRBYFLOAT','hf','x','0.25')"),
        E("return redis.call('LPOP','nolist')"), E("return redis.call('LPOP','nolist', 2)"),
        E("return redis.call('SPOP','noset')"), E("return redis.call('HGET','nohash','f')"),
        E("return redis.call('OBJECT','ENCODING','k')"), E("return redis.call('OBJECT','ENCODING','nokey')"),
        E("return redis.call('SMISMEMBER','noset','a','b')"), E("return redis.call('DEL','k')"),
        Sorted("EVAL", "return redis.call('KEYS','*')", "0"),
        E("return redis.call('DBSIZE')"), E("return redis.call('PUBLISH','ch','msg')"),
        E("return redis.call('PUBSUB','CHANNELS')"), E("return redis.call('TOUCH','str','nokey')"),
    ],
    "call_arguments": [
        # Numbers passed to redis.call are formatted with %.17g (integers without a fraction).
        E("return redis.call('SET', 'k', 10)"), E("return redis.call('GET', 'k')"),
        E("redis.call('SET', 'k', 3.99); return redis.call('GET','k')"),
        E("redis.call('SET', 'k', 0.1); return redis.call('GET','k')"),
        E("redis.call('SET', 'k', -0.5); return redis.call('GET','k')"),
        E("redis.call('SET', 'k', 1e20); return redis.call('GET','k')"),
        E("redis.call('SET', 'k', 2^53); return redis.call('GET','k')"),
        E("redis.call('SET', 'k', 100); return redis.call('GET','k')"),
        E("return redis.call('SET', 'k', 1.5)"), E("return redis.call('INCRBY', 'n', 5)"),
        E("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
          "1", "a\x00b", b"\xff\xfe\x00"),
        E("return {KEYS[1], ARGV[1]}", "1", "a\x00b", b"\xff\xfe"),
        E("return redis.call('SET', 'k', true)"), E("return redis.call('SET', 'k', nil)"),
        E("return redis.call('SET', 'k', {})"), E("return redis.call({})"),
        E("return redis.call('GET', {})"), E("return redis.call(1)"), E("return redis.call()"),
        E("return redis.pcall()"), E("return redis.pcall({})"),
    ],
    "pcall_semantics": [
        X("SET", "s", "abc"), X("RPUSH", "lst", "a"),
        E("local r = redis.pcall('INCR','s'); return type(r)"),
        E("local r = redis.pcall('INCR','s'); return r.err"),
        E("return redis.pcall('INCR', 's')"), E("return redis.call('INCR', 's')"),
        E("return {redis.pcall('INCR','s')}"), E("return redis.pcall('GET','lst')"),
        E("return redis.pcall('NOSUCH')"), E("local r = redis.pcall('NOSUCH'); return r.err"),
        E("return redis.pcall('GET')"), E("return redis.pcall('SET', 'k')"),
        E("local r = redis.pcall('GET','lst'); if r.err then return 'caught: ' .. r.err end"),
        E("local ok, err = pcall(redis.call, 'INCR', 's'); return err"),
        E("local ok, err = pcall(redis.call, 'INCR', 's'); return {tostring(ok), type(err)}"),
        E("local ok, err = pcall(function() return redis.call('INCR', 's') end); return err"),
        E("local ok, err = pcall(redis.call, 'NOSUCH'); return err"),
        E("local ok, err = pcall(function() return nil + 1 end); return err"),
        E("local ok, err = pcall(function() error({err='X y'}) end); return type(err)"),
        E("local ok, err = pcall(function() error({err='X y'}) end); return err"),
        E("local ok, err = pcall(function() error('plain') end); return err"),
        E("local ok, err = pcall(function() return nosuch end); return err"),
        E("return pcall(function() return nosuch end)"),
        E("return {pcall(function() return 7 end)}"),
        # The script goes on after a pcall error, and the earlier writes stay.
        E("redis.call('SET','a','1'); redis.pcall('INCR','s'); redis.call('SET','b','2'); return 'done'"),
        X("MGET", "a", "b"),
        # A failing redis.call stops the script; the writes before it are kept (no rollback).
        E("redis.call('SET','c','1'); redis.call('INCR','s'); redis.call('SET','d','2')"),
        X("MGET", "c", "d"),
    ],
    # ---------------------------------------------------------------- RESP3
    "resp3_client": [
        X("HSET", "h", "a", "1", "b", "2", "c", "3"), X("SADD", "s1", "x"),
        X("SADD", "s3", "x", "y", "z"), X("ZADD", "z", "1", "a", "2.5", "b"), X("SET", "k", "v"),
        HELLO(3),
        # redis.setresp(3): RESP3 replies reach Lua as typed tables and go back out typed.
        E("redis.setresp(3); return redis.call('HGETALL','nohash')"),
        E("redis.setresp(3); local r = redis.call('HGETALL','h'); return type(r.map)"),
        E("redis.setresp(3); local r = redis.call('HGETALL','h'); return r.map.a"),
        EP("redis.setresp(3); return redis.call('HGETALL','h')"),
        E("redis.setresp(3); return redis.call('SMEMBERS','s1')"),
        EU("redis.setresp(3); return redis.call('SMEMBERS','s3')"),
        E("redis.setresp(3); local r = redis.call('SMEMBERS','s1'); return tostring(r.set.x)"),
        E("redis.setresp(3); return redis.call('ZSCORE','z','b')"),
        E("redis.setresp(3); local s = redis.call('ZSCORE','z','b'); return type(s)"),
        E("redis.setresp(3); local s = redis.call('ZSCORE','z','b'); return tostring(s.double)"),
        E("redis.setresp(3); return redis.call('ZRANGE','z',0,-1,'WITHSCORES')"),
        E("redis.setresp(3); return redis.call('GET','nokey')"),
        E("redis.setresp(3); return type(redis.call('GET','nokey'))"),
        E("redis.setresp(3); return {redis.call('GET','nokey')}"),
        E("redis.setresp(3); return redis.call('LPOP','nolist', 2)"),
        E("redis.setresp(3); return redis.call('EXISTS','k')"),
        E("redis.setresp(3); return redis.call('PING')"),
        E("redis.setresp(3); return redis.call('GET','k')"),
        E("redis.setresp(3); return redis.pcall('INCR','k')"),
        E("redis.setresp(3); return redis.call('SMISMEMBER','s3','x','nope')"),
        E("redis.setresp(3); return redis.call('HGETALL','nohash')"),
        E("redis.setresp(2); return redis.call('HGETALL','h')"),
        # Typed tables returned to a RESP3 client.
        E("return {double=3.14}"), E("return {double=3}"), E("return {double=-0.5}"),
        E("return {double=1e300}"), E("return {double=1/0}"), E("return {double=-1/0}"),
        E("return {big_number='123'}"), E("return {big_number='12345678901234567890123'}"),
        E("return {map={a=1}}"), E("return {map={}}"), E("return {map={a=false}}"),
        E("return {map={a={map={b=1}}}}"), EP("return {map={a=1, b=2, c=3}}"),
        E("return {set={a=true}}"), E("return {set={}}"), EU("return {set={a=true, b=true, c=true}}"),
        E("return {verbatim_string={format='txt', string='hello'}}"),
        E("return {verbatim_string={format='mkd', string='# x'}}"),
        E("return nil"), E("return false"), E("return true"), E("return {1, nil, 3}"),
        E("return {1, false, 3}"), E("return redis.call('GET','nokey')"),
        E("return {ok='fine'}"), E("return {err='MY bad'}"), E("return nil + 1"),
        # The same scripts without redis.setresp(3): RESP2 replies inside Lua, flat arrays out.
        E("return redis.call('HGETALL','h')"), E("return redis.call('SMEMBERS','s1')"),
        E("return redis.call('ZSCORE','z','b')"), E("return redis.call('ZRANGE','z',0,-1,'WITHSCORES')"),
        E("return type(redis.call('GET','nokey'))"), E("return redis.call('LPOP','nolist', 2)"),
        E("redis.setresp(4)"), E("redis.setresp()"), E("redis.setresp('x')"),
        HELLO(2),
        E("return {double=3.14}"), E("return {map={a=1}}"), E("return nil"),
        E("redis.setresp(3); return redis.call('GET','nokey')"),
    ],
    "resp3_setresp_on_resp2_client": [
        X("HSET", "h", "a", "1", "b", "2"), X("SADD", "s", "x"), X("ZADD", "z", "1.5", "m"),
        E("redis.setresp(3); return redis.call('HGETALL','nohash')"),
        EP("redis.setresp(3); return redis.call('HGETALL','h')"),
        E("redis.setresp(3); return redis.call('SMEMBERS','s')"),
        E("redis.setresp(3); return redis.call('ZSCORE','z','m')"),
        E("redis.setresp(3); return redis.call('ZRANGE','z',0,-1,'WITHSCORES')"),
        X("HSET", "hone", "f", "v"),
        E("redis.setresp(3); return redis.call('HRANDFIELD','hone', -1, 'WITHVALUES')"),
        E("return redis.call('HRANDFIELD','hone', -1, 'WITHVALUES')"),
        E("redis.setresp(3); return redis.call('GET','nokey')"),
        E("redis.setresp(3); return type(redis.call('GET','nokey'))"),
        E("redis.setresp(3); local r = redis.call('HGETALL','h'); return r.map.b"),
        E("redis.setresp(3); return redis.call('SET','k','v')"),
        E("redis.setresp(3); redis.setresp(2); return redis.call('ZSCORE','z','m')"),
        E("return redis.call('ZSCORE','z','m')"),
    ],
    # ---------------------------------------------------------------- errors
    "compile_errors": [
        E("return +"), E("return 'abc"), E("retrun 1"), E("local x = "), E("\n\nreturn +"),
        E("if true then"), E("return )"), E("x = = 1"), E("return 1 end"),
        E("local s = [[unfinished"), E("return '\\300'"), E("goto x"),
        X("SCRIPT", "LOAD", "return +"), X("SCRIPT", "LOAD", "local x = "),
        E("#!lua\nreturn +"), E("#!lua flags=no-writes\nreturn +"),
        X("EVAL_RO", "return +", "0"),
    ],
    "runtime_errors": [
        E("return nil + 1"), E("local x = 1\n\nreturn nil + x"), E("local t = nil; return t.x"),
        E("return 'x' .. nil"), E("return #nil"), E("local a = {} ; return a < a"),
        E("return ({}).x.y"), E("local s = 'abc'; return s()"), E("return math.random(0)"),
        E("return string.rep()"), E("return KEYS[1] .. ARGV[1]"), E("return ('x'):bad()"),
        E("return tostring()"), E("return unpack(nil)"), E("return bit.band('x')"),
        E("#!lua flags=no-writes\nreturn nil + 1"), E("\n\n\n\nreturn nil + 1"),
        E("local function f() return nil + 1 end\nreturn f()"),
    ],
    "command_errors_in_scripts": [
        X("SET", "str", "abc"), X("RPUSH", "lst", "a"),
        E("return redis.call('GET','lst')"), E("return redis.call('LPUSH','str','x')"),
        E("return redis.call('INCR','str')"), E("return redis.call('HGET','str','f')"),
        E("local x = 1\nlocal y = 2\nreturn redis.call('GET','lst')"),
        E("return redis.call('NOSUCH')"), E("return redis.call('NOSUCH', 'a', 'b')"),
        E("return redis.call('')"),
        E("return redis.call('GET')"), E("return redis.call('GET', 'a', 'b')"),
        E("return redis.call('SET', 'k')"), E("return redis.call('ECHO')"),
        E("return redis.call('SELECT')"), E("return redis.call('ping', 'a', 'b')"),
        E("return redis.call('SET','x','1','EX','0')"), E("return redis.call('SET','x','1','FOO')"),
        E("return redis.call('EXPIRE','x','abc')"), E("return redis.call('SELECT','99')"),
        E("return redis.call('SELECT','abc')"), E("return redis.call('LRANGE','lst','a','b')"),
        E("return redis.call('OBJECT','FOO','x')"),
    ],
    "eval_arguments": [
        X("EVAL", "return 1", "2", "a"), X("EVAL", "return 1", "-1"), X("EVAL", "return 1", "abc"),
        X("EVAL", "return 1", "1.5"), X("EVAL", "return 1", ""), X("EVAL", "return 1", " 1"),
        X("EVAL", "return 1", "99999999999999999999"), X("EVAL", "return KEYS[1]", "1"),
        X("EVAL", "return 1"), X("EVAL"), X("EVALSHA", "abc"), X("EVALSHA"), X("EVAL_RO", "return 1"),
        X("EVALSHA_RO", "abc"), X("EVAL", "return 1", "0", "extra"),
        X("EVAL", "return ARGV[1]", "0", "extra"), X("EVAL", "return KEYS[1]", "1", "k"),
        X("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "k1", "k2",
          "a1", "a2"),
        X("EVAL", "return KEYS", "2", "k1", "k2", "a1"), X("EVAL", "return ARGV", "0", "a1", "", "a3"),
        X("EVAL", "return {#KEYS, #ARGV}", "0"), X("EVAL", "return type(ARGV[1])", "0", "5"),
        X("EVAL", "return ARGV[1] + 1", "0", "5"), X("EVAL", "return #KEYS", "3", "a", "b", "c"),
        X("EVAL", "return KEYS[4]", "3", "a", "b", "c"),
        X("EVAL", "return 1", "-0"), X("EVAL", "return 1", "0 "),
    ],
    "noscript_and_not_allowed": [
        X("SCRIPT", "FLUSH"),
        X("EVALSHA", NOSHA, "0"), X("EVALSHA", "abc", "0"), X("EVALSHA", NOSHA.upper(), "0"),
        X("EVALSHA_RO", NOSHA, "0"), X("evalsha", NOSHA, "0"), X("EVALSHA", "", "0"),
        X("EVALSHA", NOSHA, "1"), X("EVALSHA", NOSHA, "-1"),
        E("return redis.call('MULTI')"), E("return redis.call('EXEC')"),
        E("return redis.call('DISCARD')"), E("return redis.call('WATCH','k')"),
        E("return redis.call('UNWATCH')"), E("return redis.call('EVAL','return 1', 0)"),
        E("return redis.call('EVALSHA', 'x', '0')"), E("return redis.call('EVAL_RO', 'return 1', '0')"),
        E("return redis.call('EVALSHA_RO', 'x', '0')"),
        E("return redis.call('SCRIPT', 'LOAD', 'return 1')"),
        E("return redis.call('SCRIPT', 'EXISTS', 'x')"), E("return redis.call('SCRIPT','FLUSH')"),
        E("return redis.call('SCRIPT','KILL')"), E("return redis.call('SUBSCRIBE','ch')"),
        E("return redis.call('PSUBSCRIBE', 'x')"), E("return redis.call('SSUBSCRIBE','x')"),
        E("return redis.call('UNSUBSCRIBE')"), E("return redis.call('PUNSUBSCRIBE')"),
        E("return redis.call('AUTH','x')"), E("return redis.call('HELLO')"),
        E("return redis.call('HELLO','3')"), E("return redis.call('CLIENT','ID')"),
        E("return redis.call('CLIENT','SETNAME','x')"), E("return redis.call('QUIT')"),
        E("return redis.call('RESET')"), E("return redis.call('SHUTDOWN')"),
        E("return redis.call('CONFIG','GET','maxmemory')"),
        E("return redis.call('CONFIG','SET','timeout','0')"), E("return redis.call('DEBUG','SLEEP','0')"),
        E("return redis.call('BGREWRITEAOF')"),
        E("return redis.pcall('MULTI')"), E("return redis.pcall('EVAL','return 1', 0)"),
        # Blocking commands: BLPOP & co. are "noscript" in 7.0; BLMPOP/BZMPOP run non-blocking.
        E("return redis.call('BLPOP','emptylist','0')"), E("return redis.call('BRPOP','emptylist','1')"),
        E("redis.call('RPUSH','bl','x'); return redis.call('BLPOP','bl','0')"),
        E("return redis.call('BLMOVE','emptylist','d','LEFT','RIGHT','0')"),
        E("return redis.call('BRPOPLPUSH','emptylist','d','0')"),
        E("return redis.call('BZPOPMIN','emptyz','0')"), E("return redis.call('BZPOPMAX','emptyz','0')"),
        E("return redis.call('BLMPOP','0','1','emptylist','LEFT')"),
        E("return redis.call('BLMPOP','0','2','emptylist','bl','LEFT')"),
        E("return redis.call('BZMPOP','0','1','emptyz','MIN')"),
        E("redis.call('ZADD','zz','1','m'); return redis.call('BZMPOP','0','1','zz','MIN')"),
        E("return redis.call('LMPOP','1','emptylist','LEFT')"),
        X("EXISTS", "bl", "zz"),
    ],
    "read_only_scripts": [
        X("SET", "k", "v"),
        ER("return redis.call('SET','k','v')", "1", "k"), ER("return redis.pcall('SET','k','v')", "1", "k"),
        ER("return redis.call('GET','k')", "1", "k"), ER("return redis.call('INCR','k')"),
        ER("return redis.call('PUBLISH','ch','x')"), ER("return redis.call('EXPIRE','k','100')"),
        ER("return redis.call('DEL','nokey')"), ER("return redis.call('FLUSHALL')"),
        ER("local r = redis.pcall('SET','k','v'); return r.err"),
        ER("#!lua flags=no-writes\nreturn redis.call('GET','k')"),
        ER("#!lua\nreturn redis.call('SET','k','v')", "1", "k"), ER("#!lua\nreturn 1"),
        E("#!lua flags=no-writes\nreturn redis.call('SET','k','v')", "1", "k"),
        E("#!lua flags=no-writes\nreturn redis.call('GET','k')", "1", "k"),
        E("#!lua flags=no-writes\nreturn redis.pcall('DEL','nokey')"),
        E("#!lua flags=no-writes\nreturn redis.call('PUBLISH','ch','x')"),
        E("#!lua flags=no-writes\nreturn redis.call('FLUSHALL')"),
        E("#!lua flags=no-writes\nreturn redis.call('PING')"),
        E("#!lua flags=no-writes\nreturn redis.call('EXISTS','k')"),
        X("GET", "k"),
    ],
    "shebang": [
        E("#!lua\nreturn 1"), E("#!lua flags=no-writes,bogus\nreturn 1"), E("#!lua flags=bogus\nreturn 1"),
        E("#!lua name=x\nreturn 1"), E("#!python\nreturn 1"), E("#!lua flags=allow-oom\nreturn 1"),
        E("#!lua flags=no-cluster\nreturn 1"), E("#!lua flags=allow-cross-slot-keys\nreturn 1"),
        E("#!lua flags=allow-stale,no-writes\nreturn 1"), E("#!lua flags=\nreturn 1"),
        E("#!lua  flags=no-writes\nreturn 1"), E("#!lua flags=no-writes"), E("#!lua"),
        E("#!lua flags=NO-WRITES\nreturn 1"), E("#!LUA\nreturn 1"), E("#!\nreturn 1"),
        E("#!lua\nreturn redis.call('SET','undeclared','v')"),
        E("#!lua\nreturn redis.call('SET',KEYS[1],'v')", "1", "declared"),
        E("#!lua\nreturn {KEYS[1], ARGV[1]}", "1", "k", "a"), E("#!lua\n\nreturn nil + 1"),
        E("#!lua\nerror('at two')"), E(" #!lua\nreturn 1"),
        X("SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1"),
        X("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1"),
        X("MGET", "undeclared", "declared"),
    ],
    # ---------------------------------------------------------------- sandbox
    "sandbox": [
        E("return os"), E("return type(os)"), E("return os.time()"), E("return io"),
        E("return io.open('/etc/passwd')"), E("return loadfile"), E("return dofile"),
        E("return dofile('/etc/passwd')"), E("return require"), E("return module"),
        E("return package"), E("return debug"), E("return print"), E("return print('x')"),
        E("return setfenv"), E("return getfenv"), E("return newproxy"),
        E("return type(load)"), E("return type(loadstring)"), E("return type(collectgarbage)"),
        E("return type(rawset)"), E("return type(rawget)"), E("return type(setmetatable)"),
        E("return type(getmetatable)"), E("return type(pcall)"), E("return type(xpcall)"),
        E("return type(coroutine)"), E("return type(_G)"), E("return type(cjson)"),
        E("return type(bit)"), E("return type(string)"), E("return type(math)"),
        E("return type(table)"), E("return type(redis)"), E("return _VERSION"),
        E("return x"), E("return undefined_global_xyz"), E("return _G.undefined_global_xyz"),
        E("return rawget(_G, 'undefined_global_xyz')"),
        E("x = 1"), E("x = 1; return x"), E("local x = 1; return x"),
        E("myglobal = function() end"), E("function globalfn() return 1 end"), E("_G.x = 1"),
        E("rawset(_G, 'x', 1)"), E("setmetatable(_G, nil)"), E("return type(getmetatable(_G))"),
        E("KEYS = 1"), E("ARGV = {}"), E("redis = nil"), E("redis.call = nil"), E("redis.foo = 1"),
        E("string.foo = 1"), E("math.huge = 1"), E("table.insert = nil"), E("cjson.encode = nil"),
        E("KEYS[1] = 'x'", "1", "k"), E("KEYS[2] = 'x'; return KEYS", "1", "k"),
        E("ARGV[1] = 'changed'; return ARGV", "0", "orig"),
        E("return loadstring('return 1')()"), E("local f = loadstring('x = 1'); f(); return 1"),
        E("local f = loadstring('return +'); return type(f)"),
        E("local t = setmetatable({}, {__index = function() return 1 end}); return t.x"),
        E("local ok, e = pcall(function() return nosuch end); return e"),
        E("local ok, e = pcall(function() newglobal = 1 end); return e"),
        # The sandbox is the same on the next call (nothing leaked from the failed writes).
        E("return x"),
    ],
    "redis_api": [
        E("return redis.sha1hex('')"), E("return redis.sha1hex('abc')"), E("return redis.sha1hex(123)"),
        E("return redis.sha1hex()"), E("return redis.sha1hex('a', 'b')"),
        E("return redis.sha1hex(ARGV[1])", "0", "return 'viaeval'"),
        E("return type(redis.REDIS_VERSION)"), E("return type(redis.REDIS_VERSION_NUM)"),
        ES(version_string, "return redis.REDIS_VERSION"), ES(tc.is_int, "return redis.REDIS_VERSION_NUM"),
        E("return type(redis.call)"), E("return type(redis.pcall)"), E("return type(redis.log)"),
        E("return type(redis.setresp)"), E("return type(redis.sha1hex)"),
        E("return type(redis.error_reply)"), E("return type(redis.status_reply)"),
        E("return redis.LOG_DEBUG"), E("return redis.LOG_VERBOSE"), E("return redis.LOG_NOTICE"),
        E("return redis.LOG_WARNING"), E("return redis.log(redis.LOG_WARNING, 'hello from a test')"),
        E("return redis.log(redis.LOG_DEBUG, 'a', 'b', 3)"), E("return redis.log(99, 'x')"),
        E("return redis.log(redis.LOG_WARNING)"), E("return redis.log()"),
        E("return redis.replicate_commands()"), E("redis.set_repl(redis.REPL_ALL); return 1"),
        E("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"),
        E("return redis.set_repl(99)"),
        E("return redis.acl_check_cmd('SET','k','v')"), E("return redis.acl_check_cmd('NOSUCH')"),
        ES(tc.time_shape, "return redis.call('TIME')"),
        ES(tc.bulk_contains(b"# Server"), "return redis.call('INFO')"),
        ES(tc.is_int, "return redis.call('COMMAND','COUNT')"),
        E("return type(redis.call('TIME')[1])"),
    ],
    # ---------------------------------------------------------------- libraries
    "cjson": [
        E("return cjson.encode({1,2,3})"), E("return cjson.encode({})"), E("return cjson.encode({a=1})"),
        E(r"""return cjson.encode('a"b\\c\n\t/')"""), E("return cjson.encode(3.14)"),
        E("return cjson.encode(1e100)"), E("return cjson.encode(0.1)"), E("return cjson.encode(-0)"),
        E("return cjson.encode(123456789012)"), E("return cjson.encode(1/3)"),
        E("return cjson.encode({1,'two',true,false,cjson.null})"), E("return cjson.encode(cjson.null)"),
        E("return cjson.encode({[1]=1,[3]=3})"), E("return cjson.encode({[1]=1,[2]=2,[10]=3})"),
        E("return cjson.encode({[1]=1,[20]=3})"), E(r"return cjson.encode('\1\127\200')"),
        E("return cjson.encode({{1,{2,{3}}}})"), E("return cjson.encode('')"),
        E("return cjson.encode(true)"), E("return cjson.encode(function() end)"),
        E("local t = {}; t[1] = t; return cjson.encode(t)"), E("return cjson.encode(0/0)"),
        E("return cjson.encode(1/0)"), E("return cjson.encode()"),
        ES(json_same, "return cjson.encode({a=1, b={1,2}, c='x', d={e=false}})"),
        E("return cjson.decode('[1,2,3]')"), E("""return cjson.decode('{"a":1}').a"""),
        E(r"""return cjson.decode('"a\\u0041\\n"')"""), E("return cjson.decode('3.7')"),
        E("""return cjson.decode('[1.5, "x", true, null, false]')"""),
        E("return type(cjson.decode('null'))"), E("return cjson.decode('null') == cjson.null"),
        E("return cjson.decode('{bad')"), E("return cjson.decode('[1,2')"), E("return cjson.decode('')"),
        E("return cjson.decode('1e400')"), E("return cjson.decode('[[[[[[1]]]]]]')[1][1][1][1][1][1]"),
        E("return cjson.decode('\"\\\\ud83d\\\\ude00\"')"), E("return cjson.decode()"),
        E("""return cjson.encode(cjson.decode('{"a":[1,2,{"b":"c"}]}'))"""),
        E(r"""return cjson.encode(cjson.decode('["\\u00e9", "\\/"]'))"""),
        E("return cjson.encode(cjson.decode(ARGV[1]))", "0", '[1,"two",[3,[4]],null,true,1.25]'),
        E("return cjson.encode(cjson.decode(ARGV[1]))", "0", '"tab\\tquote\\"back\\\\slash"'),
        E("return cjson.encode(cjson.decode(ARGV[1]))", "0", '[0.1,-2.5e-3,1e21,12345678901234]'),
        ES(json_same, "return cjson.encode(cjson.decode(ARGV[1]))", "0",
           '{"name":"x","n":[1,2],"o":{"k":"v"},"t":true}'),
        E("local t = cjson.decode(ARGV[1]); return {t.name, t.n[2], t.o.k}", "0",
          '{"name":"x","n":[1,2],"o":{"k":"v"}}'),
    ],
    "bit": [
        E("return bit.band(0xff, 0x0f)"), E("return bit.bor(1, 2, 4)"), E("return bit.bxor(5, 3)"),
        E("return bit.bnot(0)"), E("return bit.tohex(255)"), E("return bit.tohex(255, 4)"),
        E("return bit.tohex(-1)"), E("return bit.tohex(255, -4)"), E("return bit.lshift(1, 10)"),
        E("return bit.rshift(-1, 28)"), E("return bit.arshift(-256, 4)"), E("return bit.lshift(1, 31)"),
        E("return bit.rol(1, 33)"), E("return bit.ror(1, 1)"), E("return bit.bswap(0x12345678)"),
        E("return bit.tobit(0xffffffff)"), E("return bit.tobit(2^32 + 5)"),
        E("return bit.band(0xffffffff, 0x7fffffff)"), E("return bit.bor()"),
    ],
    "string_table_math": [
        E("""return string.format('%d %s %5.2f %x %q', 42, 'hi', 3.14159, 255, 'a"b')"""),
        E("return string.format('%05d|%-5s|%e', 7, 'ab', 12345.678)"),
        E("return string.format('%g %g %g', 0.1, 1e20, 100)"), E("return string.format('%s', 1.5)"),
        E("return string.format('%d', 3.7)"), E("return string.format('%10.3s|', 'abcdef')"),
        E("return string.format('%c%c', 72, 105)"), E("return string.format('%%')"),
        E("return string.format('%d')"),
        E("return table.concat({1,2,3}, ',')"), E("return table.concat({'a','b','c'})"),
        E("return table.concat({}, ',')"), E("return table.concat({'a','b','c'}, '-', 2, 3)"),
        E("return table.concat({1, {}}, ',')"),
        E("return tostring(1.5)"), E("return tostring(10)"), E("return tostring(1e15)"),
        E("return tostring(1e16)"), E("return tostring(0.1)"), E("return tostring(1/3)"),
        E("return tostring(-0)"), E("return tostring(2^53)"), E("return tostring(nil)"),
        E("return tostring(true)"), E("return tostring(0.1 + 0.2)"), E("return tostring(10 / 4)"),
        E("return tostring(math.pi)"), E("return tostring(math.huge)"), E("return tostring(-math.huge)"),
        E("return tonumber('42')"), E("return tonumber('0x10')"), E("return tonumber('  12  ')"),
        E("return tonumber('1e3')"), E("return tonumber('abc')"), E("return tonumber('ff', 16)"),
        E("return tonumber('z', 36)"), E("return tonumber('1.5') * 2"), E("return tonumber('')"),
        E("return {unpack({1,2,3})}"), E("return select('#', unpack({1,2,3}))"),
        E("return {unpack({1,2,3}, 2)}"), E("return {unpack({1,2,3}, 2, 3)}"),
        E("return select(2, 'a', 'b', 'c')"), E("return {select(2, 'a', 'b', 'c')}"),
        E("return string.upper('abc')"), E("return string.lower('ABC')"),
        E("return string.sub('hello', 2, 4)"), E("return string.sub('hello', -3)"),
        E("return {string.byte('AB', 1, 2)}"), E("return string.char(72, 105)"),
        E("return {string.find('hello world', 'o w')}"), E("return {string.find('a.b', '.', 1, true)}"),
        E("return string.gsub('hello', 'l', 'L')"), E("return {string.gsub('hello', 'l', 'L')}"),
        E("return string.match('key:123', '(%d+)')"), E("return {string.match('k=v', '(%w+)=(%w+)')}"),
        E("local out = {} for w in string.gmatch('one two three', '%a+') do out[#out+1] = w end return out"),
        E("return string.len('abc')"), E("return string.reverse('abc')"), E("return #'hello'"),
        E("return ('x'):rep(3)"), E("return string.rep('ab', 3, ',')"),
        E("local t = {3,1,2}; table.sort(t); return t"),
        E("local t = {'b','a','c'}; table.sort(t, function(a,b) return a > b end); return t"),
        E("local t = {}; table.insert(t, 'a'); table.insert(t, 1, 'b'); return t"),
        E("local t = {1,2,3}; table.remove(t, 1); return t"), E("return table.getn({1,2,3})"),
        E("return #{1,2,3}"), E("return math.max(1,5,3)"), E("return math.min(4,2,8)"),
        E("return math.floor(3.7)"), E("return math.ceil(3.2)"), E("return math.abs(-4)"),
        E("return math.fmod(7,3)"), E("return math.sqrt(16)"), E("return math.pow(2,10)"),
        E("return 2^10"), E("return tostring(math.log(1))"), E("return tostring(math.exp(0))"),
        E("return {math.modf(3.7)}"), E("return tostring(select(2, math.modf(3.75)))"),
        E("return coroutine.wrap(function() coroutine.yield(5) end)()"),
        E("return {next({}) == nil}"), E("return type(collectgarbage('count'))"),
        E("local n = 0; for k, v in pairs({a=1, b=2}) do n = n + v end; return n"),
        E("local n = 0; for i, v in ipairs({5,6,nil,8}) do n = n + v end; return n"),
    ],
    # Redis 7 reseeds redisLrand48 from libc rand() before each script: unseeded values are only
    # checked for range; after math.randomseed(n) the sequence is redisLrand48's and must match.
    "math_random": [
        E("math.randomseed(42); return {math.random(1, 1000000), math.random(1, 1000000), "
          "tostring(math.random())}"),
        E("math.randomseed(42); return {math.random(1, 1000000), math.random(1, 1000000), "
          "tostring(math.random())}"),
        E("math.randomseed(7); return {math.random(10), math.random(10), math.random(10)}"),
        E("math.randomseed(0); return {math.random(1, 1000000), math.random(1, 1000000)}"),
        E("math.randomseed(-5); return {math.random(100), math.random(5, 10), math.random(100)}"),
        E("math.randomseed(123); local t = {} for i = 1, 20 do t[i] = math.random(1000) end return t"),
        E("math.randomseed(1); return tostring(math.random())"),
        E("return math.random(0)"), E("return math.random(5, 1)"), E("return math.random(1, 2, 3)"),
        ES(tc.int_between(1, 1000000), "return math.random(1, 1000000)"),
        ES(tc.int_between(1, 10), "return math.random(10)"),
        ES(random_float_string, "return tostring(math.random())"),
        ES(int_list_between(3, 1, 6), "return {math.random(6), math.random(6), math.random(6)}"),
        E("return math.random(1, 1)"), E("return type(math.random())"),
    ],
    # ---------------------------------------------------------------- side effects and the cache
    "side_effects": [
        E("redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCR', KEYS[2]); "
          "redis.call('RPUSH', KEYS[3], 'a', 'b'); redis.call('HSET', KEYS[4], 'f', ARGV[2]); "
          "return 'ok'", "4", "s", "n", "l", "h", "val", "hv"),
        X("GET", "s"), X("GET", "n"), X("LRANGE", "l", "0", "-1"), X("HGETALL", "h"),
        X("TYPE", "l"), X("OBJECT", "ENCODING", "n"),
        E("redis.call('SET',KEYS[1],'v','EX','100'); redis.call('PEXPIRE',KEYS[2],'50000'); "
          "return redis.call('TTL',KEYS[1])", "2", "t1", "t2"),
        X("TTL", "t1"), X("TTL", "t2"),
        E("redis.call('SET',KEYS[1],'v'); redis.call('EXPIRE',KEYS[1],100); "
          "return redis.call('TTL',KEYS[1])", "1", "t3"),
        X("TTL", "t3"), E("return redis.call('PERSIST', 't3')"), X("TTL", "t3"),
        E("redis.call('SET','t4','v'); return redis.call('EXPIRE','t4','0')"), X("EXISTS", "t4"),
        E("redis.call('SET','t5','v','PX','100000'); return redis.call('PTTL','t5') > 99000"),
        E("redis.call('DEL','s','n'); return redis.call('EXISTS','s','n')"), X("EXISTS", "s", "n"),
        E("return redis.call('FLUSHDB')"), X("DBSIZE"),
        # Undeclared keys (numkeys 0, names from ARGV) work the same in a standalone server.
        E("local p = ARGV[1]; redis.call('SET', p .. ':a', 1); redis.call('INCRBY', p .. ':a', 4); "
          "return redis.call('GET', p .. ':a')", "0", "pre"),
        X("GET", "pre:a"),
        E("for i = 1, 100 do redis.call('RPUSH', 'many', i) end return redis.call('LLEN', 'many')"),
        X("LRANGE", "many", "95", "-1"),
    ],
    "select_in_script": [
        X("SET", "k0", "db0"),
        E("redis.call('SELECT','1'); redis.call('SET','indb1','v'); return redis.call('GET','indb1')"),
        X("GET", "indb1"), E("return redis.call('GET','k0')"),
        E("redis.call('SELECT','1'); return redis.call('GET','k0')"),
        X("SELECT", "1"), X("GET", "indb1"), E("return redis.call('GET','indb1')"),
        E("redis.call('SELECT','0'); return redis.call('GET','k0')"), X("GET", "indb1"),
        X("SELECT", "0"), E("return redis.call('SELECT','1')"), X("SET", "afterselect", "x"),
        X("SELECT", "1"), X("GET", "afterselect"), X("SELECT", "0"), X("GET", "afterselect"),
        E("redis.call('SELECT','99')"), E("redis.call('SELECT','2'); redis.call('SET','x','2'); "
                                          "redis.call('SELECT','3'); redis.call('SET','x','3'); "
                                          "return redis.call('DBSIZE')"),
        X("SELECT", "2"), X("GET", "x"), X("SELECT", "3"), X("GET", "x"), X("SELECT", "0"),
        E("return redis.call('MOVE','k0','5')"), X("EXISTS", "k0"),
    ],
    "script_cache": [
        X("SCRIPT", "FLUSH"),
        X("SCRIPT", "LOAD", "return 'loaded'"),
        X("SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8", NOSHA,
          "B534286061D4B9E4026607613B95C06C06015AE8", "x"),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"),
        X("EVALSHA", "B534286061D4B9E4026607613B95C06C06015AE8", "0"),
        X("EVALSHA", "B534286061d4b9e4026607613b95c06c06015ae8", "0"),
        X("EVALSHA_RO", "b534286061d4b9e4026607613b95c06c06015ae8", "0"),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae80", "0"),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae", "0"),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "1"),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "-1"),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "x"),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "1", "k", "a"),
        # EVAL caches the script too: its sha works with EVALSHA afterwards.
        X("SCRIPT", "EXISTS", "b7e95d68ad91a16e4c8d64c73aec394bb926d43b"),
        E("return 'viaeval'"), X("SCRIPT", "EXISTS", "b7e95d68ad91a16e4c8d64c73aec394bb926d43b"),
        X("EVALSHA", "b7e95d68ad91a16e4c8d64c73aec394bb926d43b", "0"),
        # Loading the same body twice gives the same sha; a script that fails at run time stays.
        X("SCRIPT", "LOAD", "return 'loaded'"), E("return nil + 1"),
        X("SCRIPT", "EXISTS", "d13bc48d895ba57f297c4db70c1d256548a54e2d"),
        X("EVALSHA", "d13bc48d895ba57f297c4db70c1d256548a54e2d", "0"),
        # A script that does not compile is not cached.
        E("return +"), X("SCRIPT", "EXISTS", "1fd5091818ea327c4e55ed84125fdc6179ae44cf"),
        X("SCRIPT", "LOAD", "return KEYS[1] .. ARGV[1]"),
        X("EVALSHA", "dc8235f4444d746adf3374579406c129fb1f0f0a", "0"),
        X("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn redis.call('SET','k','v')"),
        X("EVALSHA", "fa195771282f0e64e1a92805df8bd1020db98e3f", "0"),
        X("EVALSHA_RO", "fa195771282f0e64e1a92805df8bd1020db98e3f", "0"),
        X("SCRIPT", "LOAD", "return redis.call('SET','k','v')"),
        X("EVALSHA_RO", "756928dd1246249109cfe8475bfa267e967ea948", "0"),
        X("EVALSHA", "756928dd1246249109cfe8475bfa267e967ea948", "0"),
        X("SCRIPT", "LOAD", "#!lua\nreturn redis.call('SET','k','v')"),
        X("EVALSHA_RO", "421c10131a946c0c3b551650895cb323e0786ad3", "0"),
        # The cache is the server's, not the connection's.
        Reconnect(),
        X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"),
        X("SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8",
          "b7e95d68ad91a16e4c8d64c73aec394bb926d43b"),
        X("SCRIPT", "FLUSH"), X("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"),
        X("SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8",
          "b7e95d68ad91a16e4c8d64c73aec394bb926d43b"),
        X("SCRIPT", "LOAD", "return 'loaded'"), X("SCRIPT", "FLUSH", "ASYNC"),
        X("SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8"),
        X("SCRIPT", "LOAD", "return 'loaded'"), X("SCRIPT", "FLUSH", "SYNC"),
        X("SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8"),
        X("SCRIPT", "FLUSH", "sync"), X("SCRIPT", "FLUSH", "async"), X("SCRIPT", "FLUSH", "FOO"),
        X("SCRIPT", "FLUSH", "SYNC", "ASYNC"),
        E("return 'viaeval'"), X("EVALSHA", "b7e95d68ad91a16e4c8d64c73aec394bb926d43b", "0"),
        X("FLUSHALL"), X("SCRIPT", "EXISTS", "b7e95d68ad91a16e4c8d64c73aec394bb926d43b"),
    ],
    "script_command": [
        X("SCRIPT", "HELP"), X("SCRIPT", "help"), X("SCRIPT"), X("SCRIPT", "FOO"),
        X("SCRIPT", "LOAD"), X("SCRIPT", "LOAD", "a", "b"), X("SCRIPT", "EXISTS"),
        X("SCRIPT", "EXISTS", "abc"), X("SCRIPT", "EXISTS", ""), X("script", "exists", NOSHA),
        X("SCRIPT", "HELP", "extra"), X("SCRIPT", "LOAD", ""),
        X("EVALSHA", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "0"),
        E("return redis.call('SCRIPT','HELP')"),
    ],
    "multi_exec": [
        X("MULTI"), E("redis.call('SET','m','1'); return redis.call('INCR','m')"), E("return +"),
        E("return redis.call('GET','m')"), E("return nil + 1"), X("EXEC"),
        X("SCRIPT", "FLUSH"),
        X("MULTI"), X("EVALSHA", NOSHA, "0"), X("SET", "m2", "x"), X("EXEC"), X("GET", "m2"),
        X("MULTI"), X("EVAL", "return 1"), X("EXEC"),
        X("MULTI"), X("EVAL", "return 1", "-1"), X("SET", "m3", "x"), X("EXEC"), X("GET", "m3"),
        X("MULTI"), X("SCRIPT", "LOAD", "return 2"),
        X("SCRIPT", "EXISTS", "7f923f79fe76194c868d7e1d0820de36700eb649"),
        X("EVALSHA", "7f923f79fe76194c868d7e1d0820de36700eb649", "0"), X("EXEC"),
        X("MULTI"), ER("return redis.call('GET','m')"), ER("return redis.call('SET','m','9')"),
        X("EXEC"), X("GET", "m"),
        # WATCH, then a script of this very connection writes the key: EXEC aborts.
        X("WATCH", "wk"), E("return redis.call('SET','wk','1')"), X("MULTI"), X("GET", "wk"),
        X("EXEC"),
        # A read-only script does not touch the watched key.
        X("WATCH", "wk"), E("return redis.call('GET','wk')"), X("MULTI"), X("GET", "wk"), X("EXEC"),
        X("MULTI"), E("return redis.call('MULTI')"), X("EXEC"),
    ],
    # cmsgpack: Redis's encoding choices byte for byte (pack returns the raw bytes).
    "cmsgpack": [
        E("return cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296)"),
        E("return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)"),
        E("return cmsgpack.pack(1.5, 0.1, -0.25, 1e300, 2^53, -2^63, 1/0, -1/0)"),
        E("return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('y', 32))"),
        E("return #cmsgpack.pack(string.rep('z', 255)) .. ' ' .. #cmsgpack.pack(string.rep('z', 256)) "
          ".. ' ' .. #cmsgpack.pack(string.rep('z', 65536))"),
        E("return cmsgpack.pack({}, {1, 2, 3}, {a = 1}, {[1] = 'x', [3] = 'y'}, {[0] = 1})"),
        E("return cmsgpack.pack(true, false, nil)"),
        E("local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)"),
        E("return cmsgpack.pack({1, {2, {3, {k = 'v'}}}})"),
        E("return cmsgpack.pack()"),
        E("return {cmsgpack.unpack(cmsgpack.pack(1, 'x', {1, 2}, -7, 2.5, true))}"),
        E("local a, b = cmsgpack.unpack(cmsgpack.pack(false, {k = 'v'})) return {tostring(a), b.k}"),
        E("return {cmsgpack.unpack('')}"), E("return cmsgpack.unpack('\\193')"),
        E("return cmsgpack.unpack('\\146\\1')"), E("return cmsgpack.unpack(1)"),
        E("return cmsgpack.unpack()"),
        E("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}"),
        E("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}"),
        E("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}"),
        E("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}"),
        E("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)}"),
        E("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)}"),
        E("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 2)}"),
        E("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 2, 2)}"),
        E("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 0)}"),
        E("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2), 5, 0)}"),
        E("local t = cmsgpack.unpack(cmsgpack.pack({name = 'job', data = {1, 2}, opts = {delay = 5}})) "
          "return {t.name, t.data[2], t.opts.delay}"),
        E("return type(cmsgpack)"), E("cmsgpack.x = 1"),
    ],
    "struct": [
        E("return struct.pack('>I2', 258)"), E("return struct.pack('<I2', 258)"),
        E("return struct.pack('b B h H', -1, 255, -2, 65535)"),
        E("return struct.pack('>i4 <i4 i8', -5, -5, 123456789)"),
        E("return struct.pack('>l L T', -1, 7, 9)"),
        E("return struct.pack('>f d', 1.5, -2.25)"), E("return struct.pack('<f d', 1.5, -2.25)"),
        E("return struct.pack('s c3 c0', 'ab', 'xyz', 'rest')"),
        E("return struct.pack('!4 b i4 b d', 1, 2, 3, 4)"), E("return struct.pack('! b d', 1, 2)"),
        E("return struct.pack('x b x', 7)"),
        E("return {struct.unpack('<i4 d', struct.pack('<i4 d', -5, 2.5))}"),
        E("return {struct.unpack('>I2 B', '\\1\\2\\3')}"),
        E("return {struct.unpack('b', '\\255')}"), E("return {struct.unpack('B', '\\255')}"),
        E("return {struct.unpack('s s', 'ab\\0cd\\0')}"),
        E("return {struct.unpack('B c0', '\\3abcdef')}"),
        E("return {struct.unpack('c2', 'abcdef', 3)}"),
        E("return {struct.unpack('>h', struct.pack('>h', -300))}"),
        E("return {struct.unpack('i4', 'ab')}"), E("return {struct.unpack('s', 'abc')}"),
        E("return {struct.unpack('c0', 'abc')}"), E("return {struct.unpack('b', 'a', 0)}"),
        E("return struct.size('!4 b i4')"), E("return struct.size('b h l d')"),
        E("return struct.size('>i16 c5')"), E("return struct.size('s')"),
        E("return struct.size('c0')"), E("return struct.pack('z', 1)"),
        E("return struct.pack('i33', 1)"), E("return struct.pack('!3 b', 1)"),
        E("return struct.pack('c5', 'ab')"), E("return struct.pack('i')"),
        E("return {struct.unpack('>i8', struct.pack('>i8', -2^40))}"),
    ],
    # FUNCTION / FCALL (Redis 7.0). One function per library where a reply lists functions:
    # Redis lists a library's functions in its dict's order, strata in registration order.
    "functions": [
        X("FUNCTION", "FLUSH"),
        X("FUNCTION", "LOAD", LIB_A), X("FUNCTION", "LOAD", LIB_A),
        X("FUNCTION", "LOAD", "REPLACE", LIB_A), X("FUNCTION", "LOAD", "replace", LIB_A),
        X("FUNCTION", "LOAD", "FOO", LIB_A),
        X("SET", "fk", "41"), X("FCALL", "fa_get", "1", "fk"), X("FCALL", "fa_get", "0"),
        X("FCALL", "fa_incr", "1", "fk"), X("GET", "fk"), X("FCALL_RO", "fa_incr", "1", "fk"),
        X("FCALL_RO", "fa_ro", "0", "x", "y"), X("FCALL", "fa_ro", "0", "x"),
        X("FCALL", "fa_err", "0"), X("FCALL", "fa_callerr", "1", "fk"),
        X("FCALL", "nosuch", "0"), X("FCALL", "fa_get", "2", "fk"), X("FCALL", "fa_get", "-1"),
        X("FCALL", "fa_get", "x"), X("FCALL"), X("FCALL_RO", "fa_get"),
        X("FUNCTION", "LOAD", LIB_B), X("FUNCTION", "LIST", "LIBRARYNAME", "libb"),
        X("FUNCTION", "LIST", "LIBRARYNAME", "libb", "WITHCODE"),
        X("FUNCTION", "LIST", "libraryname", "nomatch*"), X("FUNCTION", "STATS"),
        X("FUNCTION", "DELETE", "libb"), X("FUNCTION", "DELETE", "libb"),
        X("FUNCTION", "LIST", "LIBRARYNAME", "libb"), X("FCALL", "fb_only", "0"),
        X("FUNCTION", "KILL"), X("FUNCTION", "HELP"), X("FUNCTION", "FOO"),
        X("FUNCTION", "FLUSH", "BAD"), X("FUNCTION", "FLUSH", "SYNC"), X("FUNCTION", "STATS"),
        X("FCALL", "fa_get", "1", "fk"),
        X("MULTI"), X("FUNCTION", "LOAD", LIB_B), X("FCALL", "fb_only", "0"), X("EXEC"),
        E("return redis.call('FCALL', 'fb_only', '0')"),
        X("FUNCTION", "FLUSH", "ASYNC"),
    ],
    "function_restore_errors": [
        X("FUNCTION", "FLUSH"),
        X("FUNCTION", "RESTORE", "garbage"), X("FUNCTION", "RESTORE", ""),
        X("FUNCTION", "RESTORE", "x" * 20, "BAD"), X("FUNCTION", "RESTORE", "a", "b", "c"),
        # An empty dump (no libraries): version 10 and its CRC64, then a payload with a wrong
        # opcode, one with a truncated library string, and one whose library does not load.
        X("FUNCTION", "RESTORE", EMPTY_DUMP), X("FUNCTION", "LIST"),
        X("FUNCTION", "RESTORE", dump_payload(b"\x07abc")),
        X("FUNCTION", "RESTORE", dump_payload(b"\xf6\x03abc")),
        X("FUNCTION", "RESTORE", dump_payload(b"\xf5\x10abc")),
        X("FUNCTION", "RESTORE", dump_payload(b"\xf5\x08return 1")),
        X("FUNCTION", "RESTORE", dump_payload(b"\xf5" + bytes([len(LIB_B)]) + LIB_B.encode())),
        X("FCALL", "fb_only", "0"),
        X("FUNCTION", "RESTORE", dump_payload(b"\xf5" + bytes([len(LIB_B)]) + LIB_B.encode())),
        X("FUNCTION", "RESTORE", dump_payload(b"\xf5" + bytes([len(LIB_B)]) + LIB_B.encode()),
          "REPLACE"),
        X("FUNCTION", "RESTORE", EMPTY_DUMP, "FLUSH"), X("FUNCTION", "LIST"),
    ],
    "function_load_errors": [
        X("FUNCTION", "FLUSH"),
        X("FUNCTION", "LOAD", "return 1"), X("FUNCTION", "LOAD", "#!lua\nreturn 1"),
        X("FUNCTION", "LOAD", "#!python name=p\nreturn 1"),
        X("FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"),
        X("FUNCTION", "LOAD", "#!lua name=y foo=bar\nreturn 1"),
        X("FUNCTION", "LOAD", "#!lua name=e\nreturn 1"),
        X("FUNCTION", "LOAD", "#!lua name=e\nx y z"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.call('ping')"),
        X("FUNCTION", "LOAD", "#!lua name=e\nreturn redis.setresp"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function('a b', function() end)"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function('w')"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function('w', 1)"),
        X("FUNCTION", "LOAD", "#!lua name=e13\nredis.register_function(1, function() end)"),
        X("FUNCTION", "LOAD", "#!lua name=e13\nredis.register_function(1, function() end)"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function('w', function() end)\n"
                              "redis.register_function('w', function() end)"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function{function_name='w', "
                              "callback=function() end, flags={'bogus'}}"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function{function_name='w', "
                              "callback=function() end, foo=1}"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function{callback=function() end}"),
        X("FUNCTION", "LOAD", "#!lua name=e\nredis.register_function{function_name='w'}"),
        X("FUNCTION", "LOAD", "#!lua name=e\nx = 1"),
        X("FUNCTION", "LOAD", "#!lua name=e1\nredis.register_function('same', function() return 1 end)"),
        X("FUNCTION", "LOAD", "#!lua name=e2\nredis.register_function('same', function() return 2 end)"),
        X("FCALL", "same", "0"), X("FUNCTION", "STATS"), X("FUNCTION", "FLUSH"),
    ],
}


class ScriptingCompatTest(tc.DifferentialTestCase):
    """Every group of GROUPS, plus comparisons that need two connections."""

    def test_info_memory_scripting_fields(self):
        # The scripting counters of INFO memory agree with redis-server after the same
        # commands; the Lua memory is reported (not 0) once scripts ran.
        r, s = self._connect()

        def fields(c):
            text = c.call("INFO", "memory")[1].decode()
            return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)

        for c in (r, s):
            c.call("SCRIPT", "FLUSH")
            c.call("FUNCTION", "FLUSH")
            c.call("EVAL", "return 1", "0")
            c.call("EVAL", "return 2", "0")
            c.call("SCRIPT", "LOAD", "return 3")
            c.call("FUNCTION", "LOAD", LIB_A)
        fr, fs = fields(r), fields(s)
        for name in ("number_of_cached_scripts", "number_of_functions", "number_of_libraries"):
            self.assertEqual(fr[name], fs[name], name)
        self.assertGreater(int(fs["used_memory_lua"]), 0)
        self.assertEqual(fs["used_memory_lua"], fs["used_memory_vm_eval"])
        self.assertEqual(int(fs["used_memory_functions"]), len(LIB_A))
        for c in (r, s):
            c.call("FUNCTION", "FLUSH")
            c.call("SCRIPT", "FLUSH")
        self.assertEqual(fields(s)["number_of_cached_scripts"], "0")
        self.assertEqual(fields(s)["number_of_libraries"], "0")

    def test_function_dump_restore_both_ways(self):
        # A DUMP from redis-server (LZF-compressed) restores here, and ours restores there: the
        # libraries and their functions then answer the same.
        r, s = self._connect()
        lib = LIB_B
        for c in (r, s):
            c.call("FUNCTION", "FLUSH")
        r.call("FUNCTION", "LOAD", LIB_A)
        s.call("FUNCTION", "LOAD", lib)
        their_dump = r.call("FUNCTION", "DUMP")[1]
        our_dump = s.call("FUNCTION", "DUMP")[1]
        self.assertEqual(s.call("FUNCTION", "RESTORE", their_dump)[0], b"+OK\r\n")
        self.assertEqual(r.call("FUNCTION", "RESTORE", our_dump)[0], b"+OK\r\n")
        for args in (("FCALL", "fa_ro", "0", "z"), ("FCALL", "fb_only", "0"),
                     ("FUNCTION", "LIST", "LIBRARYNAME", "libb", "WITHCODE")):
            self.assertEqual(r.call(*args)[0], s.call(*args)[0], args)
        # APPEND of what is there already fails on both, REPLACE and FLUSH succeed.
        for policy in ("APPEND", "REPLACE", "FLUSH"):
            self.assertEqual(r.call("FUNCTION", "RESTORE", our_dump, policy)[0],
                             s.call("FUNCTION", "RESTORE", our_dump, policy)[0], policy)
        for c in (r, s):
            c.call("FUNCTION", "FLUSH")

    def _pair_calls(self, conns, *args):
        (r, s) = conns
        return r.call(*args), s.call(*args)

    def _same(self, replies, what):
        (rr, _), (sr, _) = replies
        self.assertEqual(rr, sr, "%s: redis %r, ours %r" % (what, rr, sr))
        return rr

    def test_watch_sees_script_write_from_another_connection(self):
        a = self._connect()
        b = self._connect()
        for c in a:
            c.cmd("FLUSHALL")
        self._same(self._pair_calls(a, "SET", "w", "0"), "SET")
        self._same(self._pair_calls(a, "WATCH", "w"), "WATCH")
        self._same(self._pair_calls(b, "EVAL", "return redis.call('INCR', KEYS[1])", "1", "w"),
                   "EVAL on the other connection")
        self._same(self._pair_calls(a, "MULTI"), "MULTI")
        self._same(self._pair_calls(a, "SET", "w", "tx"), "SET queued")
        raw = self._same(self._pair_calls(a, "EXEC"), "EXEC")
        self.assertEqual(raw, b"*-1\r\n")
        self._same(self._pair_calls(b, "GET", "w"), "GET")

    def test_script_loaded_on_one_connection_runs_on_another(self):
        a = self._connect()
        b = self._connect()
        self._same(self._pair_calls(a, "SCRIPT", "FLUSH"), "SCRIPT FLUSH")
        sha = self._same(self._pair_calls(a, "SCRIPT", "LOAD", "return {KEYS[1], ARGV[1]}"),
                         "SCRIPT LOAD")
        sha = sha.split(b"\r\n")[1].decode()
        self._same(self._pair_calls(b, "EVALSHA", sha, "1", "key", "arg"), "EVALSHA")
        self._same(self._pair_calls(b, "SCRIPT", "FLUSH"), "SCRIPT FLUSH")
        raw = self._same(self._pair_calls(a, "EVALSHA", sha, "1", "key", "arg"), "EVALSHA")
        self.assertTrue(raw.startswith(b"-NOSCRIPT"), raw)

    def test_errors_do_not_break_the_connection(self):
        # A long run of failing scripts, then normal commands on the same connections.
        conns = self._connect()
        for c in conns:
            c.cmd("FLUSHALL")
        for script in ("return +", "return nil + 1", "error('x')", "return redis.call('NOSUCH')",
                       "x = 1", "return os", "return redis.call()") * 5:
            self._same(self._pair_calls(conns, "EVAL", script, "0"), script)
        self._same(self._pair_calls(conns, "SET", "k", "v"), "SET")
        self._same(self._pair_calls(conns, "EVAL", "return redis.call('GET', 'k')", "0"), "EVAL")


ScriptingCompatTest.add_groups(GROUPS)

if __name__ == "__main__":
    unittest.main()
