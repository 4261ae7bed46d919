// storage/codec.h, the backing tier's value codec: the documented byte layout, round trips of
// every type built by real commands (RPUSH, HSET, SADD, ZADD) at and across the compact-encoding
// thresholds, decoded encodings equal to what the commands produce, and malformed values
// (every truncation, bogus counts, bad versions, NaN, duplicates, random corruption) rejected
// without crashing.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "storage/codec.h"
#include "storage/hash_object.h"
#include "storage/limits.h"
#include "storage/list_object.h"
#include "storage/set_object.h"
#include "storage/stream_object.h"
#include "storage/zset_object.h"
#include "tests/unit/command_runner.h"

using namespace strata::storage;
using strata::testing::CommandRunner;

namespace {

// Restores every encoding limit on scope exit.
class LimitsScope {
 public:
  LimitsScope()
      : he_(Limits().hash_max_listpack_entries), hv_(Limits().hash_max_listpack_value),
        si_(Limits().set_max_intset_entries), ze_(Limits().zset_max_listpack_entries),
        zv_(Limits().zset_max_listpack_value), ls_(Limits().list_max_listpack_size) {}
  ~LimitsScope() {
    Limits().hash_max_listpack_entries = he_;
    Limits().hash_max_listpack_value = hv_;
    Limits().set_max_intset_entries = si_;
    Limits().zset_max_listpack_entries = ze_;
    Limits().zset_max_listpack_value = zv_;
    Limits().list_max_listpack_size = ls_;
  }

 private:
  int64_t he_, hv_, si_, ze_, zv_, ls_;
};

struct EntryDeleter {
  void operator()(Entry* e) const { Entry::Free(e); }
};
using EntryPtr = std::unique_ptr<Entry, EntryDeleter>;

EntryPtr Decode(std::string_view key, ObjType t, std::string_view v, int64_t exp,
                std::string* error) {
  return EntryPtr(DecodeEntry(key, t, v, exp, error));
}

// The entry under key in db 0 of r (nullptr if none).
const Entry* Find(CommandRunner& r, const std::string& key) {
  KeyRef k = r.keyspace().db(0).Ref(key);
  ShardLock lock(k);
  return k.shard->Find(key, k.hash, r.now_ms);
}

std::string Encode(const Entry& e) {
  std::string out = "stale bytes that must be replaced";
  EncodeValue(e, &out);
  return out;
}

std::string U32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
std::string Str(std::string_view s) { return U32(static_cast<uint32_t>(s.size())) + std::string(s); }
std::string Score(double d) {
  uint64_t v;
  std::memcpy(&v, &d, 8);
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
std::string Header(uint32_t n) { return std::string(1, '\x01') + U32(n); }

// A canonical, encoding-independent view of a value, read through the object APIs: the list in
// order, the zset in rank order with exact score bits, hash pairs and set members sorted.
std::vector<std::string> Contents(const Entry& e) {
  std::vector<std::string> out;
  switch (e.type()) {
    case ObjType::kString:
      out.emplace_back(e.str());
      break;
    case ObjType::kList: {
      auto* l = static_cast<const ListObject*>(e.obj());
      for (auto c = l->At(0); c.valid(); c.Next()) out.emplace_back(c.Get());
      break;
    }
    case ObjType::kHash:
      static_cast<const HashObject*>(e.obj())->ForEach([&](std::string_view f, std::string_view v) {
        out.push_back(Str(f) + Str(v));
      });
      std::sort(out.begin(), out.end());
      break;
    case ObjType::kSet:
      static_cast<const SetObject*>(e.obj())->ForEach(
          [&](std::string_view m) { out.emplace_back(m); });
      std::sort(out.begin(), out.end());
      break;
    case ObjType::kZSet: {
      auto* z = static_cast<const ZSetObject*>(e.obj());
      for (auto it = z->Begin(); it.valid(); it.Next())
        out.push_back(Str(it.member()) + Score(it.score()));
      break;
    }
    case ObjType::kStream: {  // the header, then each entry with its pairs
      auto* st = static_cast<const StreamObject*>(e.obj());
      out.push_back(st->last_id().ToString() + " " + st->max_deleted_id().ToString() + " " +
                    std::to_string(st->entries_added()) + " " + std::to_string(st->length()));
      st->Range({}, StreamID::Max(), false, 0, [&](StreamID id, const StreamFields& f) {
        std::string line = id.ToString();
        for (size_t i = 0; i < f.size(); ++i) line += Str(f.fields[i]) + Str(f.values[i]);
        out.push_back(line);
        return true;
      });
      for (const auto& [name, g] : st->groups()) {  // consumer groups, whole
        out.push_back("group " + name + " " + g.last_id.ToString() + " " +
                      std::to_string(g.entries_read));
        for (const auto& [cname, c] : g.consumers)
          out.push_back("consumer " + cname + " " + std::to_string(c.seen_time) + " " +
                        std::to_string(c.pending.size()));
        for (const auto& [id, n] : g.pel)
          out.push_back("pending " + id.ToString() + " " + n.consumer->first + " " +
                        std::to_string(n.delivery_time) + " " + std::to_string(n.delivery_count));
      }
      break;
    }
  }
  return out;
}


// Element i of a generated collection: integers (intset / listpack integers), binary strings with
// NULs and CR/LF, and every `long_every`-th one longer than the 64-byte listpack value limit.
std::string Elem(size_t i, size_t long_every = 0, bool ints_only = false) {
  if (ints_only || i % 3 == 0) return std::to_string(static_cast<int64_t>(i) * 7919 - 1000);
  if (long_every != 0 && i % long_every == long_every - 1)
    return std::string(100, 'L') + std::to_string(i);
  std::string s = "m" + std::to_string(i);
  s.push_back('\0');
  s += "\r\n\xff";
  return s;
}

// A stream of n entries under key (fields vary every 4th entry; every 5th is deleted after).
void BuildStream(CommandRunner& r, const std::string& key, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> args = {"XADD", key, std::to_string(i + 1) + "-" + std::to_string(i % 3),
                                     "f", Elem(i, 50)};
    if (i % 4 == 3) args.insert(args.end(), {"g" + std::to_string(i), ""});
    REQUIRE(r.Run(args)[0] == '$');
  }
  for (size_t i = 4; i < n; i += 5)
    r.Run({"XDEL", key, std::to_string(i + 1) + "-" + std::to_string(i % 3)});
}

// Encodes the entry under key in r, decodes it, and checks the decoded entry against the
// original: same type, contents, expiry and OBJECT ENCODING. Returns the encoding.
std::string RoundTrip(CommandRunner& r, const std::string& key) {
  const Entry* orig = Find(r, key);
  REQUIRE(orig != nullptr);
  std::string enc = Encode(*orig);
  std::string error;
  EntryPtr back = Decode(key, orig->type(), enc, orig->expire_ms(), &error);
  REQUIRE_MESSAGE(back != nullptr, error);
  CHECK(back->key() == key);
  CHECK(back->type() == orig->type());
  CHECK(back->expire_ms() == orig->expire_ms());
  CHECK(back->epoch() == kEpochUnmarked);
  CHECK(Contents(*back) == Contents(*orig));
  if (orig->type() != ObjType::kString)
    CHECK(std::string(back->obj()->EncodingName()) == orig->obj()->EncodingName());
  if (orig->type() == ObjType::kZSet) CHECK(static_cast<ZSetObject*>(back->obj())->Verify());
  // Lists, zsets, listpack hashes and intsets keep their order, so they re-encode identically.
  std::string again = Encode(*back);
  CHECK(again.size() == enc.size());
  bool ordered = orig->type() == ObjType::kList || orig->type() == ObjType::kZSet ||
                 orig->type() == ObjType::kString ||
                 (orig->type() == ObjType::kHash &&
                  static_cast<const HashObject*>(orig->obj())->is_listpack()) ||
                 (orig->type() == ObjType::kSet &&
                  static_cast<const SetObject*>(orig->obj())->is_intset());
  if (ordered) CHECK(again == enc);
  return enc;
}

// Builds a collection of n generated elements under key with one command.
void Build(CommandRunner& r, ObjType t, const std::string& key, size_t n, size_t long_every = 0,
           bool ints_only = false) {
  std::vector<std::string> args;
  switch (t) {
    case ObjType::kList: args = {"RPUSH", key}; break;
    case ObjType::kHash: args = {"HSET", key}; break;
    case ObjType::kSet: args = {"SADD", key}; break;
    case ObjType::kZSet: args = {"ZADD", key}; break;
    case ObjType::kString:
    case ObjType::kStream: FAIL("not built by one command"); break;
  }
  for (size_t i = 0; i < n; ++i) {
    std::string m = Elem(i, long_every, ints_only);
    if (t == ObjType::kZSet) args.push_back(std::to_string(static_cast<double>(i % 17) / 4));
    args.push_back(m);
    if (t == ObjType::kHash) args.push_back(i % 5 == 0 ? std::string() : "v" + m);
  }
  std::string reply = r.Run(args);
  REQUIRE(reply[0] == ':');
}

const ObjType kCollections[] = {ObjType::kList, ObjType::kHash, ObjType::kSet, ObjType::kZSet};

// Valid encodings of every collection type, small and medium, for the corruption tests.
std::vector<std::pair<ObjType, std::string>> SampleEncodings() {
  std::vector<std::pair<ObjType, std::string>> out;
  CommandRunner r;
  int k = 0;
  for (ObjType t : kCollections) {
    for (size_t n : {1, 3, 140}) {
      std::string key = "k" + std::to_string(k++);
      Build(r, t, key, n, 50);
      out.emplace_back(t, Encode(*Find(r, key)));
    }
  }
  for (size_t n : {1, 3, 140}) {
    std::string key = "st" + std::to_string(n);
    BuildStream(r, key, n);
    out.emplace_back(ObjType::kStream, Encode(*Find(r, key)));
  }
  return out;
}

}  // namespace

TEST_CASE("codec: strings are stored as their raw bytes") {
  const std::string values[] = {"", "x", "12345", std::string("a\0b\0\r\n\xff", 7),
                                std::string(100000, 'z')};
  for (const std::string& v : values) {
    EntryPtr e(Entry::NewString("key", v, 1700000000123));
    std::string enc = Encode(*e);
    CHECK(enc == v);
    std::string error;
    EntryPtr back = Decode("key", ObjType::kString, enc, 1700000000123, &error);
    REQUIRE(back != nullptr);
    CHECK(back->type() == ObjType::kString);
    CHECK(back->str() == v);
    CHECK(back->expire_ms() == 1700000000123);
  }
  std::string error;
  EntryPtr noexp = Decode(std::string("bin\0key", 7), ObjType::kString, "v", kNoExpire, &error);
  REQUIRE(noexp != nullptr);
  CHECK(noexp->key() == std::string("bin\0key", 7));
  CHECK_FALSE(noexp->HasExpire());
}

TEST_CASE("codec: the byte layout documented in codec.h") {
  CommandRunner r;
  r.Run({"RPUSH", "l", "a", ""});
  CHECK(Encode(*Find(r, "l")) == std::string("\x01\x02\0\0\0\x01\0\0\0a\0\0\0\0", 14));
  r.Run({"ZADD", "z", "1.5", "x"});
  CHECK(Encode(*Find(r, "z")) ==
        std::string("\x01\x01\0\0\0\x01\0\0\0x\0\0\0\0\0\0\xf8\x3f", 18));
  r.Run({"HSET", "h", "f", "vv"});
  CHECK(Encode(*Find(r, "h")) == Header(1) + Str("f") + Str("vv"));
  r.Run({"SADD", "s", "-7"});
  CHECK(Encode(*Find(r, "s")) == Header(1) + Str("-7"));
  // A value written by another tool decodes.
  std::string error;
  EntryPtr z = Decode("z", ObjType::kZSet,
                      Header(2) + Str("b") + Score(2) + Str("a") + Score(-0.5), kNoExpire, &error);
  REQUIRE(z != nullptr);
  CHECK(Contents(*z) ==
        std::vector<std::string>{Str("a") + Score(-0.5), Str("b") + Score(2)});
}

TEST_CASE("codec: small collections round-trip, with their compact encodings") {
  CommandRunner r;
  r.Run({"RPUSH", "l1", ""});
  r.Run({"RPUSH", "l2", std::string("\0", 1), "0", "-1", "9223372036854775807", "x"});
  r.Run({"HSET", "h1", "", ""});
  r.Run({"HSET", "h2", std::string("f\0", 2), std::string("\0v", 2), "1", "2"});
  r.Run({"SADD", "s1", "5"});
  r.Run({"SADD", "s2", "", std::string("\0\0", 2), "-9223372036854775808"});
  r.Run({"ZADD", "z1", "0", ""});
  r.Run({"ZADD", "z2", "1", "b", "1", "a", "1", "ab", "-inf", "lo", "+inf", "hi", "1",
         std::string("a\0", 2)});
  for (const char* key : {"l1", "l2", "h1", "h2", "s1", "s2", "z1", "z2"}) {
    CAPTURE(key);
    RoundTrip(r, key);
  }
  CHECK(std::string(Find(r, "s1")->obj()->EncodingName()) == "intset");
  CHECK(std::string(Find(r, "h2")->obj()->EncodingName()) == "listpack");
  CHECK(std::string(Find(r, "z2")->obj()->EncodingName()) == "listpack");
}

TEST_CASE("codec: zset scores: infinities, equal scores in member order, exact bits") {
  CommandRunner r;
  std::vector<std::string> args = {"ZADD", "z"};
  const char* scores[] = {"-inf", "+inf", "0", "1e308", "-1e-300", "3.14159", "1", "1", "1"};
  const char* members[] = {"ninf", "pinf", "zero", "big", "tiny", "pi", "c", "a", "b"};
  for (size_t i = 0; i < 9; ++i) {
    args.push_back(scores[i]);
    args.push_back(members[i]);
  }
  r.Run(args);
  std::string expected = Header(9) + Str("ninf") + Score(-INFINITY) + Str("tiny") + Score(-1e-300) +
                         Str("zero") + Score(0) + Str("a") + Score(1) + Str("b") + Score(1) +
                         Str("c") + Score(1) + Str("pi") + Score(3.14159) + Str("big") +
                         Score(1e308) + Str("pinf") + Score(INFINITY);
  CHECK(RoundTrip(r, "z") == expected);
  // The same set as a skiplist.
  LimitsScope limits;
  Limits().zset_max_listpack_entries = 4;
  args[1] = "zs";
  r.Run(args);
  CHECK(std::string(Find(r, "zs")->obj()->EncodingName()) == "skiplist");
  CHECK(RoundTrip(r, "zs") == expected);
}

TEST_CASE("codec: collections across the encoding thresholds and up to 10k elements") {
  CommandRunner r;
  struct Case {
    ObjType t;
    size_t n;
    size_t long_every;
    bool ints;
  };
  const Case cases[] = {
      {ObjType::kList, 1000, 0, false}, {ObjType::kList, 10000, 97, false},
      {ObjType::kHash, 128, 0, false},  {ObjType::kHash, 129, 0, false},
      {ObjType::kHash, 100, 60, false}, {ObjType::kHash, 10000, 0, false},
      {ObjType::kSet, 512, 0, true},    {ObjType::kSet, 513, 0, true},
      {ObjType::kSet, 20, 0, false},    {ObjType::kSet, 10000, 0, false},
      {ObjType::kZSet, 128, 0, false},  {ObjType::kZSet, 129, 0, false},
      {ObjType::kZSet, 100, 60, false}, {ObjType::kZSet, 10000, 0, false},
  };
  int k = 0;
  for (const Case& c : cases) {
    std::string key = "key" + std::to_string(k++);
    CAPTURE(key);
    CAPTURE(c.n);
    Build(r, c.t, key, c.n, c.long_every, c.ints);
    r.Run({"PEXPIREAT", key, std::to_string(r.now_ms + 1000 + k)});
    RoundTrip(r, key);
  }
  // The thresholds were crossed as intended.
  CHECK(std::string(Find(r, "key2")->obj()->EncodingName()) == "listpack");
  CHECK(std::string(Find(r, "key3")->obj()->EncodingName()) == "hashtable");
  CHECK(std::string(Find(r, "key4")->obj()->EncodingName()) == "hashtable");
  CHECK(std::string(Find(r, "key6")->obj()->EncodingName()) == "intset");
  CHECK(std::string(Find(r, "key7")->obj()->EncodingName()) == "hashtable");
  CHECK(std::string(Find(r, "key10")->obj()->EncodingName()) == "listpack");
  CHECK(std::string(Find(r, "key11")->obj()->EncodingName()) == "skiplist");
  CHECK(std::string(Find(r, "key12")->obj()->EncodingName()) == "skiplist");
}

TEST_CASE("codec: decoded encodings follow the current limits, as commands would") {
  LimitsScope limits;
  CommandRunner r;
  for (ObjType t : kCollections) Build(r, t, "small" + std::to_string(int(t)), 6, 0, true);
  std::vector<std::string> encs;
  for (ObjType t : kCollections) encs.push_back(Encode(*Find(r, "small" + std::to_string(int(t)))));
  // Tighter limits: a command building the same value now gets the big encodings, and so does
  // the decoder.
  Limits().hash_max_listpack_entries = 4;
  Limits().set_max_intset_entries = 4;
  Limits().zset_max_listpack_entries = 4;
  Limits().list_max_listpack_size = 2;
  CommandRunner r2;
  size_t i = 0;
  for (ObjType t : kCollections) {
    std::string key = "small" + std::to_string(int(t));
    Build(r2, t, key, 6, 0, true);
    std::string error;
    EntryPtr e = Decode(key, t, encs[i++], kNoExpire, &error);
    REQUIRE(e != nullptr);
    CHECK(std::string(e->obj()->EncodingName()) == Find(r2, key)->obj()->EncodingName());
    CHECK(Contents(*e) == Contents(*Find(r2, key)));
    if (t == ObjType::kList)
      CHECK(static_cast<ListObject*>(e->obj())->node_count() ==
            static_cast<const ListObject*>(Find(r2, key)->obj())->node_count());
  }
  CHECK(std::string(Find(r2, "small2")->obj()->EncodingName()) == "hashtable");
  CHECK(std::string(Find(r2, "small3")->obj()->EncodingName()) == "hashtable");
  CHECK(std::string(Find(r2, "small4")->obj()->EncodingName()) == "skiplist");
  // A long value passes hash-max-listpack-value / zset-max-listpack-value.
  Limits().hash_max_listpack_value = 3;
  Limits().zset_max_listpack_value = 3;
  std::string error;
  EntryPtr h = Decode("h", ObjType::kHash, Header(1) + Str("f") + Str("four"), kNoExpire, &error);
  EntryPtr z = Decode("z", ObjType::kZSet, Header(1) + Str("four") + Score(1), kNoExpire, &error);
  REQUIRE(h != nullptr);
  REQUIRE(z != nullptr);
  CHECK(std::string(h->obj()->EncodingName()) == "hashtable");
  CHECK(std::string(z->obj()->EncodingName()) == "skiplist");
}

TEST_CASE("codec: every truncation and every extension of a valid encoding is rejected") {
  for (const auto& [t, enc] : SampleEncodings()) {
    CAPTURE(static_cast<int>(t));
    CAPTURE(enc.size());
    std::string error;
    REQUIRE(Decode("k", t, enc, kNoExpire, &error) != nullptr);
    for (size_t len = 0; len < enc.size(); ++len) {
      error.clear();
      EntryPtr e = Decode("k", t, std::string_view(enc).substr(0, len), kNoExpire, &error);
      CHECK(e == nullptr);
      CHECK_FALSE(error.empty());
    }
    error.clear();
    CHECK(Decode("k", t, enc + '\0', kNoExpire, &error) == nullptr);
    CHECK(error.find("trailing") != std::string::npos);
  }
}

TEST_CASE("codec: malformed values are rejected with a message") {
  struct Bad {
    ObjType t;
    std::string v;
    const char* why;
  };
  const Bad bad[] = {
      {ObjType::kList, Header(0xffffffffu) + Str("a"), "does not fit"},
      {ObjType::kZSet, Header(0x40000000u) + std::string(1 << 16, '\0'), "does not fit"},
      {ObjType::kHash, Header(2) + Str("f") + Str("v") + Str("g"), "does not fit"},
      {ObjType::kList, Header(3) + Str("a") + Str("bb") + U32(5) + "ab", "truncated"},
      {ObjType::kSet, Header(2) + Str("a") + U32(0xfffffff0u), "truncated"},
      {ObjType::kList, Header(0), "empty"},
      {ObjType::kList, std::string("\x02") + U32(1) + Str("a"), "version"},
      {ObjType::kList, std::string("\x00", 1) + U32(1) + Str("a"), "version"},
      {ObjType::kZSet, Header(1) + Str("a") + Score(std::nan("")), "NaN"},
      {ObjType::kZSet, Header(2) + Str("a") + Score(1) + Str("a") + Score(2), "duplicate"},
      {ObjType::kZSet, Header(2) + Str("a") + Score(1) + Str("a") + Score(1), "duplicate"},
      {ObjType::kHash, Header(2) + Str("f") + Str("1") + Str("f") + Str("2"), "duplicate"},
      {ObjType::kSet, Header(2) + Str("1") + Str("1"), "duplicate"},
      {ObjType::kSet, Header(2) + Str("x") + Str("x"), "duplicate"},
      {static_cast<ObjType>(6), Header(1) + Str("a"), "unknown type"},
      {ObjType::kStream, Header(0) + std::string(39, '\0'), "truncated"},
      {ObjType::kStream, Header(0x7fffffffu) + std::string(40, '\0'), "does not fit"},
      {static_cast<ObjType>(255), "raw", "unknown type"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.why);
    std::string error;
    EntryPtr e = Decode("k", b.t, b.v, kNoExpire, &error);
    CHECK(e == nullptr);
    CHECK(error.find(b.why) != std::string::npos);
  }
  // A duplicate past the compact encodings' limits is caught as well.
  std::string big = Header(1001);
  for (int i = 0; i < 1000; ++i) big += Str("m" + std::to_string(i)) + Score(i);
  big += Str("m3") + Score(-1);
  std::string error;
  CHECK(Decode("k", ObjType::kZSet, big, kNoExpire, &error) == nullptr);
  CHECK(error.find("duplicate") != std::string::npos);
  // The same in ascending order (the FromSorted path).
  big = Header(1001);
  for (int i = 0; i < 1000; ++i) big += Str("m" + std::to_string(i)) + Score(i);
  big += Str("m3") + Score(5000);
  error.clear();
  CHECK(Decode("k", ObjType::kZSet, big, kNoExpire, &error) == nullptr);
  CHECK(error.find("duplicate") != std::string::npos);
}

TEST_CASE("codec: streams round-trip with deletions, IDs, the header and empty streams") {
  CommandRunner r;
  BuildStream(r, "s", 300);  // several nodes
  r.Run({"XSETID", "s", "1000-5", "ENTRIESADDED", "900", "MAXDELETEDID", "999-1"});
  r.Run({"XADD", "e", "5-5", "a", "b"});
  r.Run({"XDEL", "e", "5-5"});  // empty, but it exists and remembers its last ID
  // Consumer groups with pending entries, an idle consumer and a NOACK reader's progress.
  r.Run({"XGROUP", "CREATE", "s", "g1", "0"});
  r.Run({"XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "7"});
  r.Run({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "10", "STREAMS", "s", ">"});
  r.Run({"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "NOACK", "STREAMS", "s", ">"});
  r.Run({"XGROUP", "CREATECONSUMER", "s", "g2", "idle"});
  r.Run({"XGROUP", "CREATE", "e", "empty", "$"});
  for (const char* key : {"s", "e"}) {
    CAPTURE(key);
    std::string enc = RoundTrip(r, key);
    std::string error;
    EntryPtr back = Decode(key, ObjType::kStream, enc, kNoExpire, &error);
    REQUIRE(back != nullptr);
    // New entries after a read-through go after the remembered last ID.
    auto* st = static_cast<StreamObject*>(back->obj());
    CHECK(st->last_id() == static_cast<const StreamObject*>(Find(r, key)->obj())->last_id());
  }
  // Out-of-order IDs, an ID past the header's last, and a zero field count are refused.
  auto u64 = [](uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
    return s;
  };
  auto head = [&](uint32_t n, uint64_t last_ms) {
    return Header(n) + u64(last_ms) + u64(0) + u64(0) + u64(0) + u64(n);
  };
  auto entry = [&](uint64_t ms, uint32_t pairs) {
    std::string e = u64(ms) + u64(0) + U32(pairs);
    for (uint32_t i = 0; i < pairs; ++i) e += Str("f") + Str("v");
    return e;
  };
  std::string error;
  const std::string none = U32(0);  // no consumer groups
  CHECK(Decode("k", ObjType::kStream, head(2, 9) + entry(1, 1) + entry(2, 1) + none, kNoExpire, &error) != nullptr);
  CHECK(Decode("k", ObjType::kStream, head(2, 9) + entry(2, 1) + entry(1, 1) + none, kNoExpire, &error) == nullptr);
  CHECK(error.find("order") != std::string::npos);
  CHECK(Decode("k", ObjType::kStream, head(1, 1) + entry(2, 1) + none, kNoExpire, &error) == nullptr);
  CHECK(Decode("k", ObjType::kStream, head(1, 9) + entry(1, 0) + std::string(8, 0), kNoExpire,
               &error) == nullptr);
  CHECK(error.find("field count") != std::string::npos);
  // A pending entry must belong to one of its group's consumers.
  std::string group = U32(1) + Str("g") + u64(1) + u64(0) + u64(1) + U32(1) + Str("alice") + u64(5) +
                      U32(1) + u64(1) + u64(0) + u64(5) + u64(1);
  CHECK(Decode("k", ObjType::kStream, head(1, 9) + entry(1, 1) + group + Str("alice"), kNoExpire,
               &error) != nullptr);
  CHECK(Decode("k", ObjType::kStream, head(1, 9) + entry(1, 1) + group + Str("mallory"), kNoExpire,
               &error) == nullptr);
  CHECK(error.find("unknown consumer") != std::string::npos);
  // An ID is pending once, with one consumer.
  const std::string nack = u64(1) + u64(0) + u64(5) + u64(1);
  std::string twice = U32(1) + Str("g") + u64(1) + u64(0) + u64(1) + U32(2) + Str("alice") +
                      u64(5) + Str("bob") + u64(5) + U32(2) + nack + Str("alice") + nack + Str("bob");
  CHECK(Decode("k", ObjType::kStream, head(1, 9) + entry(1, 1) + twice, kNoExpire, &error) ==
        nullptr);
  CHECK(error.find("twice") != std::string::npos);
}

TEST_CASE("codec: a zset in any order decodes to the same set as in ZRANGE order") {
  for (size_t n : {5, 300}) {
    CAPTURE(n);
    std::vector<std::pair<std::string, double>> items;
    for (size_t i = 0; i < n; ++i) items.emplace_back("m" + std::to_string(i), double(i % 7));
    std::mt19937_64 rng(n);
    std::shuffle(items.begin(), items.end(), rng);
    std::string shuffled = Header(static_cast<uint32_t>(n));
    for (const auto& [m, s] : items) shuffled += Str(m) + Score(s);
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
      return a.second < b.second || (a.second == b.second && a.first < b.first);
    });
    std::string sorted = Header(static_cast<uint32_t>(n));
    for (const auto& [m, s] : items) sorted += Str(m) + Score(s);
    std::string error;
    EntryPtr a = Decode("k", ObjType::kZSet, shuffled, kNoExpire, &error);
    EntryPtr b = Decode("k", ObjType::kZSet, sorted, kNoExpire, &error);
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(Contents(*a) == Contents(*b));
    CHECK(std::string(a->obj()->EncodingName()) == b->obj()->EncodingName());
    CHECK(std::string(a->obj()->EncodingName()) == (n == 5 ? "listpack" : "skiplist"));
    CHECK(Encode(*a) == sorted);
    CHECK(static_cast<ZSetObject*>(a->obj())->Verify());
    CHECK(static_cast<ZSetObject*>(b->obj())->Verify());
  }
}

TEST_CASE("codec: random corruption never crashes the decoder") {
  std::mt19937_64 rng(20240611);
  auto samples = SampleEncodings();
  int decoded = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    const auto& [t, orig] = samples[iter % samples.size()];
    std::string v = orig;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t pos = rng() % v.size();
      // Favour the length fields' low bytes and the header, where damage is structural.
      v[pos] = static_cast<char>(rng() % 4 == 0 ? v[pos] ^ 1 : rng());
    }
    std::string error;
    EntryPtr e = Decode("k", t, v, kNoExpire, &error);
    if (e != nullptr) {
      ++decoded;
      std::string again = Encode(*e);  // whatever decoded is a well-formed value
      CHECK(again.size() >= 5);
    } else {
      CHECK_FALSE(error.empty());
    }
  }
  CHECK(decoded > 0);  // flips inside element bytes still decode
}
