// Config: directive parsing, file errors, CONFIG GET globs and CONFIG SET rules.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "server/config.h"

using namespace strata::server;

TEST_CASE("memory units follow Redis") {
  int64_t v;
  CHECK(ParseMemory("100", &v));
  CHECK(v == 100);
  CHECK(ParseMemory("1k", &v));
  CHECK(v == 1000);
  CHECK(ParseMemory("1kb", &v));
  CHECK(v == 1024);
  CHECK(ParseMemory("512mb", &v));
  CHECK(v == 512LL * 1024 * 1024);
  CHECK(ParseMemory("1GB", &v));
  CHECK(v == 1024LL * 1024 * 1024);
  CHECK_FALSE(ParseMemory("12xb", &v));
  CHECK_FALSE(ParseMemory("", &v));
  CHECK_FALSE(ParseMemory("mb", &v));
}

TEST_CASE("cpu lists") {
  std::vector<int> c;
  CHECK(ParseCpuList("0-3", &c));
  CHECK(c == std::vector<int>{0, 1, 2, 3});
  CHECK(ParseCpuList("0,2,5-6", &c));
  CHECK(c == std::vector<int>{0, 2, 5, 6});
  CHECK_FALSE(ParseCpuList("3-1", &c));
  CHECK_FALSE(ParseCpuList("a", &c));
  CHECK_FALSE(ParseCpuList("", &c));
}

TEST_CASE("config lines split like redis.conf") {
  std::vector<std::string> w;
  CHECK(SplitConfigLine("  bind 127.0.0.1   -::1 ", &w));
  CHECK(w == std::vector<std::string>{"bind", "127.0.0.1", "-::1"});
  CHECK(SplitConfigLine("requirepass \"a b\"", &w));
  CHECK(w == std::vector<std::string>{"requirepass", "a b"});
  CHECK(SplitConfigLine("save ''", &w));
  CHECK(w == std::vector<std::string>{"save", ""});
  CHECK_FALSE(SplitConfigLine("requirepass \"open", &w));
}

TEST_CASE("config file: values applied, unknown directive names file and line") {
  std::string path = "/tmp/strata_config_test.conf";
  {
    std::ofstream f(path);
    f << "# comment\n\nport 7777\nmaxclients 12\nproto-max-bulk-len 2mb\n";
  }
  Config c;
  std::string err;
  REQUIRE(c.LoadFile(path, &err));
  CHECK(c.port.load() == 7777);
  CHECK(c.maxclients.load() == 12);
  CHECK(c.proto_max_bulk_len.load() == 2 * 1024 * 1024);
  {
    std::ofstream f(path);
    f << "port 7777\nnot-a-directive 1\n";
  }
  Config c2;
  CHECK_FALSE(c2.LoadFile(path, &err));
  CHECK(err.find("line 2") != std::string::npos);
  CHECK(err.find(path) != std::string::npos);
  CHECK(err.find("not-a-directive") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("command line overrides") {
  Config c;
  std::string err;
  CHECK(c.LoadArgs({"--port", "7001", "--bind", "127.0.0.1", "::1", "--save", ""}, &err));
  CHECK(c.port.load() == 7001);
  CHECK(c.bind() == "127.0.0.1 ::1");
  CHECK_FALSE(c.LoadArgs({"--port", "notanumber"}, &err));
  CHECK_FALSE(c.LoadArgs({"port", "1"}, &err));
}

TEST_CASE("CONFIG GET globs and CONFIG SET errors in Redis's words") {
  Config c;
  auto got = c.Get("max*");
  bool has_maxclients = false, has_policy = false;
  for (auto& [k, v] : got) {
    if (k == "maxclients") has_maxclients = v == "10000";
    if (k == "maxmemory-policy") has_policy = v == "noeviction";
    CHECK(k.rfind("max", 0) == 0);
  }
  CHECK(has_maxclients);
  CHECK(has_policy);
  CHECK(c.Get("PORT").size() == 1);  // case-insensitive

  std::string err;
  CHECK(c.SetAtRuntime("maxclients", "50", &err));
  CHECK(c.maxclients.load() == 50);
  CHECK_FALSE(c.SetAtRuntime("maxclients", "x", &err));
  CHECK(err == "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
               "couldn't be parsed into an integer");
  CHECK_FALSE(c.SetAtRuntime("port", "1234", &err));
  CHECK(err == "ERR CONFIG SET failed (possibly related to argument 'port') - can't set "
               "immutable config");
  CHECK_FALSE(c.SetAtRuntime("nosuch", "1", &err));
  CHECK(err == "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  CHECK(c.SetAtRuntime("maxmemory-policy", "ALLKEYS-LRU", &err));
  CHECK(c.maxmemory_policy() == "allkeys-lru");
  CHECK_FALSE(c.SetAtRuntime("maxmemory-policy", "lol", &err));
  CHECK(c.SetAtRuntime("maxmemory", "1mb", &err));
  CHECK(c.GetString("maxmemory") == "1048576");
}

TEST_CASE("redis.conf.example loads: it documents only directives the server knows") {
  Config c;
  std::string err;
  bool ok = c.LoadFile("redis.conf.example", &err);
  INFO(err);
  CHECK(ok);
  CHECK(c.port.load() == 6379);
  CHECK(c.shards.load() == 16);
}

TEST_CASE("redis.conf.example mentions every directive the server knows") {
  std::ifstream f("redis.conf.example");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(text.empty());
  Config c;
  for (auto& [name, value] : c.Get("*")) {
    if (name.find("-ziplist-") != std::string::npos) continue;  // aliases, documented as such
    INFO(name);
    CHECK(text.find(name) != std::string::npos);
  }
}
