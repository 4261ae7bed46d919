# strata: a Redis-protocol key-value server with tiered storage.
#   make          build the server and the unit tests (installs missing Debian packages first)
#   make run      build and start the server on the embedded default (WAL + SQLite);
#                 ARGS="--port 7000 ..." passes directives (--backend none: cache only)
#   make test     build and run every test suite; last line: "N passed, M failed"
#   make bench-quick   this server vs redis-server, pinned, SET/GET at -P 1 and -P 16
#   make bench-script  the same for EVALSHA of a 1-call and a 10-call Lua script
#   make bench-stream  the same for XADD, XRANGE of 10, XREADGROUP and XACK (PING: the ceiling)
#   make bench-cpu | bench-disk | bench-mem | bench-instr | bench-stall   the sweeps (docs/BENCHMARKS.md)
#   make test-asan     every suite again against the AddressSanitizer + UBSan build (CI runs it)
CXX      ?= g++
OPT      ?= -O2
CXXFLAGS ?= $(OPT) -g
CXXFLAGS += -std=c++17 -Wall -Wextra -pthread -I. -MMD -MP
LDLIBS   += -luv -ljemalloc -lxxhash -lpthread -ldl -lrt
# The backing tier: SQLite, the MySQL C API (libmariadb) and abseil's flat_hash_set (key index);
# abseil's btree_map holds a stream's nodes (storage/stream_object.h).
# Evaluated once per make run; `make`/`make test` build in a sub-make, after deps installed them.
BACKEND_PKGS   := sqlite3 libmariadb absl_flat_hash_set absl_btree
BACKEND_CFLAGS := $(shell pkg-config --cflags $(BACKEND_PKGS) 2>/dev/null)
BACKEND_LIBS   := $(shell pkg-config --libs $(BACKEND_PKGS) 2>/dev/null)
CXXFLAGS += $(BACKEND_CFLAGS)
LDLIBS   += $(BACKEND_LIBS)
# Scripting: Lua 5.1 (the language Redis embeds) with Debian's lua-cjson and lua-bitop, SHA1
# from libcrypto. docs/ARCHITECTURE.md ("Scripts") says why Lua 5.1 and not LuaJIT; LUA=luajit
# builds against LuaJIT instead (same C API; its `bit` is built in) for comparisons:
#   make BUILD=build-luajit LUA=luajit build-luajit/strata-server
LUA ?= lua5.1
ifeq ($(LUA),luajit)
CXXFLAGS += $(shell pkg-config --cflags luajit libcrypto 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs luajit libcrypto 2>/dev/null) -llua5.1-cjson
else
CXXFLAGS += $(shell pkg-config --cflags lua5.1 lua5.1-cjson lua5.1-bitop libcrypto 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs lua5.1 lua5.1-cjson lua5.1-bitop libcrypto 2>/dev/null)
endif
# cmsgpack in scripts (server/lua_cmsgpack.cc) is built on msgpack-c; FUNCTION RESTORE reads
# Redis's LZF-compressed strings with liblzf (no .pc file: plain -llzf).
CXXFLAGS += $(shell pkg-config --cflags msgpack 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs msgpack 2>/dev/null) -llzf
BUILD    := build

LIB_SRC  := $(wildcard common/*.cc protocol/*.cc storage/*.cc commands/*.cc wal/*.cc backend/*.cc) \
            $(filter-out server/main.cc,$(wildcard server/*.cc))
LIB_OBJ  := $(LIB_SRC:%.cc=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/*.cc)
TEST_OBJ := $(TEST_SRC:%.cc=$(BUILD)/%.o)
SERVER   := $(BUILD)/strata-server
UNIT     := $(BUILD)/unit_tests

.PHONY: all deps run test bench-quick bench-script bench-stream bench-cpu bench-disk bench-mem bench-instr bench-stall asan test-asan clean
# Builds use every core (nproc): the backend's headers (abseil, MySQL) make a serial build slow.
# (Unless make was given -j already: then the caller's jobserver is used.)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PAR   = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))
all: deps
	@$(MAKE) --no-print-directory $(PAR) $(SERVER) $(UNIT)

deps:
	@scripts/install-deps.sh build

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(SERVER): $(BUILD)/server/main.o $(LIB_OBJ)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

$(UNIT): $(TEST_OBJ) $(LIB_OBJ)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

# The embedded default: WAL + SQLite file under the working directory.
run: all
	$(SERVER) --backend sqlite --appendonly yes $(ARGS)

test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory $(PAR) $(SERVER) $(UNIT)
	@tests/run_all.sh

BENCH := /usr/bin/python3 bench/bench.py
bench-quick bench-script bench-stream bench-cpu bench-disk bench-mem bench-instr bench-stall bench-tier:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory $(PAR) $(SERVER)
	@$(BENCH) $(@:bench-%=%) $(BENCH_ARGS)

# The server and the unit tests built with AddressSanitizer and UBSan (build-asan/), and every
# suite run against them: what .ci/run does after `make test`. Sanitized code runs several
# times slower, so the suites get longer timeouts.
ASAN_OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory $(PAR) BUILD=build-asan OPT="$(ASAN_OPT)" \
	  build-asan/strata-server build-asan/unit_tests

test-asan: asan
	@UNIT_TESTS_BIN=build-asan/unit_tests STRATA_SERVER_BIN=$(CURDIR)/build-asan/strata-server \
	  UNIT_TIMEOUT=600 INTEGRATION_TIMEOUT=1200 \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tests/run_all.sh

clean:
	rm -rf $(BUILD) build-asan build-luajit

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/server/main.d
