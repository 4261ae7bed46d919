// The write-ahead log: CRC32C, the record and payload formats, and the Wal itself (append,
// recovery, segment rotation, torn tails, corruption, injected write errors, base install) in
// temporary directories.
#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "wal/crc32c.h"
#include "wal/record.h"
#include "wal/wal.h"

using namespace strata::wal;

namespace {

// Bit-at-a-time CRC32C (reflected polynomial 0x82F63B78), same chaining convention as Crc32c.
uint32_t RefCrc32c(const void* data, size_t n, uint32_t crc = 0) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// A fresh directory under /tmp, removed (with its files) at the end of the scope.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/strata_wal_test_XXXXXX";
    char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") ::unlink((path + "/" + n).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(path.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Full paths of the directory's files ending with `suffix`, sorted by name (the 20-digit LSNs in
// segment names make name order LSN order).
std::vector<std::string> ListFiles(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && EndsWith(n, suffix)) out.push_back(dir + "/" + n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

uint64_t FileSizeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

std::string ReadFile(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  char buf[65536];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(r));
  ::close(fd);
  return out;
}

void WriteFileSynced(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    REQUIRE(w > 0);
    off += static_cast<size_t>(w);
  }
  REQUIRE(::fsync(fd) == 0);
  ::close(fd);
}

void FlipByte(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  char c = 0;
  REQUIRE(::pread(fd, &c, 1, static_cast<off_t>(offset)) == 1);
  c = static_cast<char>(c ^ 0x5a);
  REQUIRE(::pwrite(fd, &c, 1, static_cast<off_t>(offset)) == 1);
  ::close(fd);
}

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms = 2000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A payload of one SET command; sizes vary with i so records have different lengths.
std::string MakePayload(int i, size_t value_size = 0) {
  PayloadWriter pw;
  std::string value = value_size ? std::string(value_size, static_cast<char>('a' + i % 26))
                                 : std::string(static_cast<size_t>(i % 37), 'v') + std::to_string(i);
  pw.Add(static_cast<uint32_t>(i % 16), 1700000000000 + i, {"SET", "key:" + std::to_string(i), value});
  return std::string(pw.Finish());
}

struct Rec {
  uint64_t lsn;
  std::string payload;
  bool base;
};

// MakePayload(0..n-1, value_size).
std::vector<std::string> Payloads(int n, size_t value_size = 0) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(MakePayload(i, value_size));
  return v;
}

bool RecoverInto(Wal& w, std::vector<Rec>* out, std::string* error) {
  out->clear();
  return w.Recover(
      [out](uint64_t lsn, std::string_view payload, bool base) {
        out->push_back({lsn, std::string(payload), base});
      },
      error);
}

// Recovers w, which must succeed, and returns the records it replayed.
std::vector<Rec> MustRecover(Wal& w) {
  std::vector<Rec> got;
  std::string err;
  bool ok = RecoverInto(w, &got, &err);
  INFO(err);
  REQUIRE(ok);
  return got;
}

Options Opts(const std::string& dir, FsyncPolicy p = FsyncPolicy::kEverySec) {
  Options o;
  o.dir = dir;
  o.fsync = p;
  return o;
}

uint64_t AppendPayload(Wal& w, const std::string& payload) {
  return w.Append(payload, Crc32c(payload.data(), payload.size()));
}

// Writes payloads[0..n) to a fresh WAL in dir (Recover on the empty dir, Start, Append, Stop).
void WriteLog(const Options& o, const std::vector<std::string>& payloads) {
  Wal w(o);
  std::vector<Rec> got = MustRecover(w);
  std::string err;
  REQUIRE(got.empty());
  REQUIRE(w.Start(&err));
  for (size_t i = 0; i < payloads.size(); ++i) REQUIRE(AppendPayload(w, payloads[i]) == i + 1);
  w.Stop();
  REQUIRE(w.written_lsn() == payloads.size());
}

// Checks that recs are exactly payloads with LSNs first_lsn, first_lsn+1, ..., not from a base.
void CheckRecords(const std::vector<Rec>& recs, const std::vector<std::string>& payloads,
                  uint64_t first_lsn = 1) {
  REQUIRE(recs.size() == payloads.size());
  for (size_t i = 0; i < recs.size(); ++i) {
    CAPTURE(i);
    CHECK(recs[i].lsn == first_lsn + i);
    CHECK(recs[i].payload == payloads[i]);
    CHECK_FALSE(recs[i].base);
  }
}

// Byte offset of record `lsn` (1-based) in a segment that starts at LSN 1 and holds payloads.
// Reopens o's directory: recovers exactly `before`, appends `more` (LSNs continue after
// before), stops; then a fresh Wal recovers before + more. Returns those records.
std::vector<Rec> ContinueLog(const Options& o, const std::vector<std::string>& before,
                             const std::vector<std::string>& more) {
  std::string err;
  {
    Wal w(o);
    std::vector<Rec> got;
    REQUIRE(RecoverInto(w, &got, &err));
    CheckRecords(got, before);
    CHECK(w.last_lsn() == before.size());
    REQUIRE(w.Start(&err));
    for (size_t i = 0; i < more.size(); ++i)
      CHECK(AppendPayload(w, more[i]) == before.size() + 1 + i);
    w.Stop();
  }
  Wal w(o);
  std::vector<Rec> got;
  REQUIRE(RecoverInto(w, &got, &err));
  std::vector<std::string> all = before;
  all.insert(all.end(), more.begin(), more.end());
  CheckRecords(got, all);
  return got;
}

uint64_t RecordOffset(const std::vector<std::string>& payloads, uint64_t lsn) {
  uint64_t off = kFileHeaderSize;
  for (uint64_t i = 1; i < lsn; ++i) off += kRecordHeaderSize + payloads[i - 1].size();
  return off;
}

std::string FramedRecord(uint64_t lsn, std::string_view payload) {
  RecordHeader h;
  h.len = static_cast<uint32_t>(payload.size());
  h.lsn = lsn;
  h.crc = RecordCrc(Crc32c(payload.data(), payload.size()), lsn, h.len);
  char hdr[kRecordHeaderSize];
  EncodeRecordHeader(hdr, h);
  return std::string(hdr, sizeof(hdr)) + std::string(payload);
}

const char* PolicyName(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways: return "always";
    case FsyncPolicy::kEverySec: return "everysec";
    case FsyncPolicy::kNo: return "no";
  }
  return "?";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// CRC32C

TEST_CASE("CRC32C: standard check value and trivial inputs") {
  CHECK(Crc32c("123456789", 9) == 0xE3069283u);
  CHECK(RefCrc32c("123456789", 9) == 0xE3069283u);  // the reference itself is right
  CHECK(Crc32c("", 0) == 0u);
  CHECK(Crc32c("", 0, 0x12345678u) == 0x12345678u);  // extending by nothing changes nothing
  // 32 zero bytes / 32 0xFF bytes: the iSCSI test vectors (RFC 3720 B.4).
  std::string zeros(32, '\0'), ones(32, '\xff');
  CHECK(Crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(Crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
}

TEST_CASE("CRC32C: incremental extension equals one-shot over random splits") {
  std::mt19937 rng(12345);
  std::string data = RandomBytes(rng, 3000);
  for (int iter = 0; iter < 300; ++iter) {
    size_t n = rng() % (data.size() + 1);
    size_t a = n ? rng() % (n + 1) : 0;
    size_t b = a + (n - a ? rng() % (n - a + 1) : 0);
    CAPTURE(n);
    CAPTURE(a);
    CAPTURE(b);
    uint32_t whole = Crc32c(data.data(), n);
    CHECK(Crc32c(data.data() + a, n - a, Crc32c(data.data(), a)) == whole);
    uint32_t three = Crc32c(data.data(), a);
    three = Crc32c(data.data() + a, b - a, three);
    three = Crc32c(data.data() + b, n - b, three);
    CHECK(three == whole);
  }
  // Byte by byte.
  uint32_t c = 0;
  for (size_t i = 0; i < 200; ++i) c = Crc32c(data.data() + i, 1, c);
  CHECK(c == Crc32c(data.data(), 200));
}

TEST_CASE("CRC32C: matches a bitwise reference for lengths 0..100 at unaligned starts") {
  // Whatever path the CPU takes (SSE4.2 8-byte steps plus a byte tail, or the table), every
  // length and alignment must give the reference value, with zero and non-zero seeds.
  std::mt19937 rng(777);
  std::string buf = RandomBytes(rng, 4096 + 16);
  const uint32_t seeds[] = {0u, 0xFFFFFFFFu, 0xE3069283u, 0x1u};
  for (size_t start = 0; start < 16; ++start) {
    for (size_t len = 0; len <= 100; ++len) {
      for (uint32_t seed : seeds) {
        uint32_t want = RefCrc32c(buf.data() + start, len, seed);
        uint32_t got = Crc32c(buf.data() + start, len, seed);
        if (got != want) {  // one CHECK per mismatch only, to keep the output readable
          CAPTURE(start);
          CAPTURE(len);
          CAPTURE(seed);
          CHECK(got == want);
        }
      }
    }
  }
  for (size_t start = 0; start < 8; ++start) {
    CAPTURE(start);
    CHECK(Crc32c(buf.data() + start, 4096) == RefCrc32c(buf.data() + start, 4096));
  }
  CHECK(Crc32c(buf.data(), buf.size()) == RefCrc32c(buf.data(), buf.size()));
}

// ---------------------------------------------------------------------------------------------
// Record and payload formats

TEST_CASE("WAL payload: PayloadWriter -> DecodePayload round trip with binary arguments") {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) & 0xff);
  std::vector<std::vector<std::string>> cmds = {
      {"SET", std::string("k\0ey", 4), std::string("\0\0\xff\r\n", 5)},
      {"DEL", ""},                         // an empty argument
      {"APPEND", "big", big},              // a large argument
      {"MSET", "", "", std::string(1, '\0'), "x"},
      {"PING"},
  };
  const uint32_t dbs[] = {0, 15, 0xFFFFFFFFu, 7, 1};
  const int64_t times[] = {0, -1, INT64_MAX, 1700000000123, INT64_MIN};

  PayloadWriter pw;
  CHECK(pw.count() == 0);
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i % 2 == 0) {
      pw.Add(dbs[i], times[i], cmds[i]);
    } else {  // the string_view overload
      std::vector<std::string_view> views(cmds[i].begin(), cmds[i].end());
      pw.Add(dbs[i], times[i], views.data(), views.size());
    }
  }
  CHECK(pw.count() == cmds.size());
  std::string payload(pw.Finish());
  CHECK(pw.size() == payload.size());

  size_t want_size = 4;
  for (auto& c : cmds) {
    want_size += 16;
    for (auto& a : c) want_size += 4 + a.size();
  }
  CHECK(payload.size() == want_size);

  std::vector<DecodedCommand> out;
  REQUIRE(DecodePayload(payload, &out));
  REQUIRE(out.size() == cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    CAPTURE(i);
    CHECK(out[i].db == dbs[i]);
    CHECK(out[i].time_ms == times[i]);
    REQUIRE(out[i].argv.size() == cmds[i].size());
    for (size_t j = 0; j < cmds[i].size(); ++j) CHECK(out[i].argv[j] == cmds[i][j]);
  }

  // Clear starts over; an empty payload is a count of zero and decodes to nothing.
  pw.Clear();
  CHECK(pw.count() == 0);
  std::string empty(pw.Finish());
  CHECK(empty == std::string(4, '\0'));
  CHECK(DecodePayload(empty, &out));
  CHECK(out.empty());

  // Finish then Add again: the count in front is patched again.
  pw.Add(3, 42, {"SET", "a", "b"});
  std::string one(pw.Finish());
  pw.Add(4, 43, {"SET", "c", "d"});
  std::string two(pw.Finish());
  REQUIRE(DecodePayload(one, &out));
  CHECK(out.size() == 1);
  REQUIRE(DecodePayload(two, &out));
  REQUIRE(out.size() == 2);
  CHECK(out[1].db == 4);
  CHECK(out[1].time_ms == 43);
  CHECK(out[1].argv[2] == "d");
}

TEST_CASE("WAL payload: EncodeSingleCommand matches PayloadWriter with one command") {
  std::vector<std::string> args = {"SET", std::string("\0k", 2), "", std::string(300, 'z')};
  std::vector<std::string_view> views(args.begin(), args.end());
  PayloadWriter pw;
  pw.Add(9, -123456, args);
  std::string want(pw.Finish());
  size_t n = SingleCommandSize(views.data(), views.size());
  REQUIRE(n == want.size());
  std::string got(n, '\x7f');
  EncodeSingleCommand(&got[0], 9, -123456, views.data(), views.size());
  CHECK(got == want);
}

TEST_CASE("WAL payload: truncated or extended payloads fail to decode") {
  PayloadWriter pw;
  pw.Add(1, 100, {"SET", "key", std::string("va\0lue", 6)});
  pw.Add(2, 200, {"DEL", "", "other"});
  pw.Add(3, 300, {"INCR", "n"});
  std::string payload(pw.Finish());
  std::vector<DecodedCommand> out;
  REQUIRE(DecodePayload(payload, &out));
  for (size_t n = 0; n < payload.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(DecodePayload(std::string_view(payload.data(), n), &out));
  }
  for (size_t extra = 1; extra <= 40; ++extra) {
    CAPTURE(extra);
    std::string longer = payload + std::string(extra, '\0');
    CHECK_FALSE(DecodePayload(longer, &out));
    longer = payload + std::string(extra, '\x01');
    CHECK_FALSE(DecodePayload(longer, &out));
  }
  // A count larger than the commands present.
  std::string more = payload;
  more[0] = 4;
  CHECK_FALSE(DecodePayload(more, &out));
  // An argument length running past the end.
  std::string bad = payload;
  uint32_t huge = 0xFFFFFFF0u;
  std::memcpy(&bad[4 + 16], &huge, 4);  // first argument's length
  CHECK_FALSE(DecodePayload(bad, &out));
}

TEST_CASE("WAL record: header and file header encode/decode round trip") {
  const RecordHeader cases[] = {
      {0, 0, 0},
      {1, 0xDEADBEEFu, 1},
      {kMaxPayload, 0xFFFFFFFFu, 0xFFFFFFFFFFFFFFFFull},
      {123456, 0x01020304u, 0x1122334455667788ull},
  };
  for (const RecordHeader& h : cases) {
    char buf[kRecordHeaderSize];
    EncodeRecordHeader(buf, h);
    RecordHeader d = DecodeRecordHeader(buf);
    CHECK(d.len == h.len);
    CHECK(d.crc == h.crc);
    CHECK(d.lsn == h.lsn);
  }
  // Little-endian layout: u32 len | u32 crc | u64 lsn.
  char buf[kRecordHeaderSize];
  EncodeRecordHeader(buf, {0x04030201u, 0x08070605u, 0x100F0E0D0C0B0A09ull});
  for (int i = 0; i < 16; ++i) CHECK(static_cast<unsigned char>(buf[i]) == i + 1);

  char fh[kFileHeaderSize];
  EncodeFileHeader(fh, kSegmentMagic, 0x0102030405060708ull);
  CHECK(std::string(fh, 8) == "STRWAL1L");
  uint64_t lsn = 0;
  CHECK(DecodeFileHeader(fh, kSegmentMagic, &lsn));
  CHECK(lsn == 0x0102030405060708ull);
  CHECK_FALSE(DecodeFileHeader(fh, kBaseMagic, &lsn));
  EncodeFileHeader(fh, kBaseMagic, 77);
  CHECK(DecodeFileHeader(fh, kBaseMagic, &lsn));
  CHECK(lsn == 77);
  CHECK_FALSE(DecodeFileHeader(fh, kSegmentMagic, &lsn));
}

TEST_CASE("WAL record: RecordCrc covers payload, then LSN, then length") {
  std::string payload = "hello payload";
  uint64_t lsn = 0x0123456789ABCDEFull;
  uint32_t len = static_cast<uint32_t>(payload.size());
  std::string all = payload;
  all.append(reinterpret_cast<const char*>(&lsn), 8);
  all.append(reinterpret_cast<const char*>(&len), 4);
  CHECK(RecordCrc(Crc32c(payload.data(), payload.size()), lsn, len) ==
        RefCrc32c(all.data(), all.size()));
}

TEST_CASE("WAL record: RecordValid is false after flipping any single byte") {
  std::mt19937 rng(99);
  std::string payload = RandomBytes(rng, 200);
  std::string rec = FramedRecord(424242, payload);
  REQUIRE(rec.size() == kRecordHeaderSize + payload.size());
  REQUIRE(RecordValid(rec.data(), DecodeRecordHeader(rec.data())));

  // Slack after the record so that a flipped length that still "fits" is checked by the CRC.
  const size_t slack = 1 << 17;
  const unsigned char masks[] = {0x01, 0x80, 0xFF, 0x10};
  int checked = 0, too_long = 0;
  for (size_t i = 0; i < rec.size(); ++i) {
    for (unsigned char m : masks) {
      std::string buf = rec + std::string(slack, '\0');
      buf[i] = static_cast<char>(buf[i] ^ m);
      RecordHeader h = DecodeRecordHeader(buf.data());
      if (h.len > buf.size() - kRecordHeaderSize) {
        ++too_long;  // the caller's length check rejects it before the CRC is consulted
        CHECK(i < 4);
        continue;
      }
      CAPTURE(i);
      CAPTURE(static_cast<int>(m));
      CHECK_FALSE(RecordValid(buf.data(), h));
      ++checked;
    }
  }
  CHECK(checked > 800);
  CHECK(too_long > 0);
  // Empty payload: header flips are still caught.
  std::string e = FramedRecord(5, "");
  std::string ebuf = e + std::string(slack, '\0');
  REQUIRE(RecordValid(ebuf.data(), DecodeRecordHeader(ebuf.data())));
  for (size_t i = 4; i < kRecordHeaderSize; ++i) {
    std::string b = ebuf;
    b[i] = static_cast<char>(b[i] ^ 1);
    CAPTURE(i);
    CHECK_FALSE(RecordValid(b.data(), DecodeRecordHeader(b.data())));
  }
}

// ---------------------------------------------------------------------------------------------
// The Wal

TEST_CASE("WAL: ParseFsyncPolicy") {
  FsyncPolicy p = FsyncPolicy::kNo;
  CHECK(ParseFsyncPolicy("always", &p));
  CHECK(p == FsyncPolicy::kAlways);
  CHECK(ParseFsyncPolicy("everysec", &p));
  CHECK(p == FsyncPolicy::kEverySec);
  CHECK(ParseFsyncPolicy("no", &p));
  CHECK(p == FsyncPolicy::kNo);
  CHECK_FALSE(ParseFsyncPolicy("sometimes", &p));
  CHECK(p == FsyncPolicy::kNo);
}

TEST_CASE("WAL: append, stop, recover in order, restart continues the LSNs (every fsync policy)") {
  for (FsyncPolicy pol : {FsyncPolicy::kAlways, FsyncPolicy::kEverySec, FsyncPolicy::kNo}) {
    const std::string policy_name = PolicyName(pol);
    CAPTURE(policy_name);
    TempDir dir;
    Options o = Opts(dir.path, pol);
    std::vector<std::string> payloads;
    const int n = 25;
    for (int i = 0; i < n; ++i) payloads.push_back(MakePayload(i));
    {
      PayloadWriter pw;  // a binary, multi-command payload among them
      pw.Add(0, 1, {"SET", std::string("\0\r\n", 3), ""});
      pw.Add(5, 2, {"DEL", std::string(5000, '\xff')});
      payloads[3] = std::string(pw.Finish());
    }
    {
      Wal w(o);
      std::vector<Rec> got = MustRecover(w);  // empty directory
      std::string err;
      CHECK(got.empty());
      CHECK(w.last_lsn() == 0);
      REQUIRE(w.Start(&err));
      CHECK(ListFiles(dir.path, ".log").size() == 1);
      for (int i = 0; i < n; ++i) {
        if (i % 3 == 2) {  // AppendInPlace: the payload encoded straight into the queue
          const std::string& p = payloads[static_cast<size_t>(i)];
          uint64_t lsn = w.AppendInPlace(p.size(), [&](char* dst) { std::memcpy(dst, p.data(), p.size()); });
          CHECK(lsn == static_cast<uint64_t>(i + 1));
        } else {
          CHECK(AppendPayload(w, payloads[static_cast<size_t>(i)]) == static_cast<uint64_t>(i + 1));
        }
      }
      CHECK(w.last_lsn() == static_cast<uint64_t>(n));
      CHECK(WaitFor([&] { return w.written_lsn() == static_cast<uint64_t>(n); }));
      if (pol == FsyncPolicy::kAlways) {
        CHECK(WaitFor([&] { return w.synced_lsn() == static_cast<uint64_t>(n); }));
        CHECK(w.release_lsn() == w.synced_lsn());
      }
      CHECK(w.write_errno() == 0);
      w.Stop();
      CHECK(w.written_lsn() == static_cast<uint64_t>(n));
      CHECK(w.synced_lsn() == static_cast<uint64_t>(n));  // a clean stop syncs
      Stats s = w.GetStats();
      CHECK(s.records_written == static_cast<uint64_t>(n));
      CHECK(s.write_errors == 0);
    }
    std::vector<std::string> more;
    for (int i = 0; i < 10; ++i) more.push_back(MakePayload(1000 + i));
    std::vector<Rec> got = ContinueLog(o, payloads, more);
    // Recovered payloads decode to what was written.
    std::vector<DecodedCommand> cmds;
    REQUIRE(DecodePayload(got[3].payload, &cmds));
    REQUIRE(cmds.size() == 2);
    CHECK(cmds[0].argv[1] == std::string("\0\r\n", 3));
    CHECK(cmds[1].db == 5);
    CHECK(cmds[1].argv[1].size() == 5000);
  }
}

TEST_CASE("WAL: segment rotation at segment_size; recovery reads every segment in order") {
  TempDir dir;
  Options o = Opts(dir.path, FsyncPolicy::kEverySec);
  o.segment_size = 4096;
  o.batch_max_records = 10;  // batches of ~2.3 KB: several batches per segment
  std::vector<std::string> payloads;
  for (int i = 0; i < 200; ++i) payloads.push_back(MakePayload(i, 180 + i % 40));
  size_t max_record = 0;
  for (auto& p : payloads) max_record = std::max(max_record, kRecordHeaderSize + p.size());
  {
    Wal w(o);
    std::vector<Rec> got = MustRecover(w);
    std::string err;
    REQUIRE(w.Start(&err));
    for (size_t i = 0; i < payloads.size(); ++i) REQUIRE(AppendPayload(w, payloads[i]) == i + 1);
    REQUIRE(WaitFor([&] { return w.written_lsn() == payloads.size(); }));
    CHECK(w.GetStats().segments == ListFiles(dir.path, ".log").size());
    w.Stop();
  }
  std::vector<std::string> segs = ListFiles(dir.path, ".log");
  CHECK(segs.size() >= 3);
  // Each segment: header LSN == the LSN in its name == its first record's LSN, records
  // contiguous, and no segment grows much past segment_size (rotation is checked per batch).
  uint64_t next = 1;
  for (size_t i = 0; i < segs.size(); ++i) {
    CAPTURE(segs[i]);
    std::string data = ReadFile(segs[i]);
    REQUIRE(data.size() >= kFileHeaderSize);
    uint64_t first = 0;
    REQUIRE(DecodeFileHeader(data.data(), kSegmentMagic, &first));
    CHECK(first == next);
    char name_lsn[32];
    std::snprintf(name_lsn, sizeof(name_lsn), ".%020llu.log", static_cast<unsigned long long>(first));
    CHECK(EndsWith(segs[i], name_lsn));
    size_t off = kFileHeaderSize;
    while (off < data.size()) {
      REQUIRE(data.size() - off >= kRecordHeaderSize);
      RecordHeader h = DecodeRecordHeader(data.data() + off);
      REQUIRE(h.len <= data.size() - off - kRecordHeaderSize);
      CHECK(RecordValid(data.data() + off, h));
      CHECK(h.lsn == next);
      ++next;
      off += kRecordHeaderSize + h.len;
    }
    if (i + 1 < segs.size()) {
      CHECK(data.size() > kFileHeaderSize);
      CHECK(data.size() < o.segment_size + o.batch_max_records * max_record);
    }
  }
  CHECK(next == payloads.size() + 1);

  std::vector<std::string> more = {MakePayload(7777), MakePayload(7778, 3000)};
  ContinueLog(o, payloads, more);
}

TEST_CASE("WAL: a torn tail is cut at the record boundary (or refused without load_truncated)") {
  const int n = 10;
  std::vector<std::string> payloads = Payloads(n, 100);
  const uint64_t last_off = RecordOffset(payloads, n);  // where record n starts
  const uint64_t cuts[] = {last_off + 1, last_off + 7, last_off + kRecordHeaderSize,
                           last_off + kRecordHeaderSize + 50, RecordOffset(payloads, n + 1) - 1};
  for (uint64_t cut : cuts) {
    CAPTURE(cut);
    TempDir dir;
    Options o = Opts(dir.path);
    WriteLog(o, payloads);
    std::vector<std::string> segs = ListFiles(dir.path, ".log");
    REQUIRE(segs.size() == 1);
    const std::string path = segs[0];
    REQUIRE(FileSizeOf(path) == RecordOffset(payloads, n + 1));
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(cut)) == 0);

    {  // aof-load-truncated no: refused, the error names the file, nothing is cut
      Options strict = o;
      strict.load_truncated = false;
      Wal w(strict);
      std::vector<Rec> got;
      std::string err;
      CHECK_FALSE(RecoverInto(w, &got, &err));
      CHECK(err.find(path) != std::string::npos);
      CHECK(FileSizeOf(path) == cut);
    }
    {
      Wal w(o);
      std::vector<Rec> got = MustRecover(w);
      std::string err;
      CheckRecords(got, std::vector<std::string>(payloads.begin(), payloads.end() - 1));
      CHECK(w.last_lsn() == static_cast<uint64_t>(n - 1));
      CHECK(FileSizeOf(path) == last_off);  // cut back to the end of record n-1
      // The log goes on from there: the next record gets LSN n.
      REQUIRE(w.Start(&err));
      CHECK(AppendPayload(w, "replacement") == static_cast<uint64_t>(n));
      w.Stop();
    }
    {
      Wal w(o);
      std::vector<Rec> got = MustRecover(w);
      std::vector<std::string> want(payloads.begin(), payloads.end() - 1);
      want.push_back("replacement");
      CheckRecords(got, want);
    }
  }
}

TEST_CASE("WAL: a torn tail followed by stale copies of older records is still a torn tail") {
  // Only a valid record with a *later* LSN after the damage means damage in the middle; bytes
  // of older records (e.g. a recycled region) after a torn write do not.
  const int n = 10;
  std::vector<std::string> payloads = Payloads(n, 40);
  TempDir dir;
  Options o = Opts(dir.path);
  WriteLog(o, payloads);
  const std::string path = ListFiles(dir.path, ".log").at(0);
  std::string data = ReadFile(path);
  const uint64_t off10 = RecordOffset(payloads, n);
  const std::string rec2 = data.substr(RecordOffset(payloads, 2), RecordOffset(payloads, 3) - RecordOffset(payloads, 2));
  std::string torn = data.substr(0, off10) + data.substr(off10, 9) + rec2;  // 9 bytes of a header
  WriteFileSynced(path, torn);
  Wal w(o);
  std::vector<Rec> got = MustRecover(w);
  CheckRecords(got, std::vector<std::string>(payloads.begin(), payloads.end() - 1));
  CHECK(FileSizeOf(path) == off10);
}

TEST_CASE("WAL: corruption in the middle is refused, or loaded up to it with load_corrupt") {
  const int n = 50;
  std::vector<std::string> payloads = Payloads(n, 60);
  TempDir dir;
  Options o = Opts(dir.path);
  WriteLog(o, payloads);
  std::vector<std::string> segs = ListFiles(dir.path, ".log");
  REQUIRE(segs.size() == 1);
  const std::string path = segs[0];
  const uint64_t full = FileSizeOf(path);
  const uint64_t off3 = RecordOffset(payloads, 3);
  FlipByte(path, off3 + kRecordHeaderSize + 10);  // a payload byte of record 3

  {
    Wal w(o);
    std::vector<Rec> got;
    std::string err;
    CHECK_FALSE(RecoverInto(w, &got, &err));
    CHECK(err.find(path) != std::string::npos);
    CHECK(err.find("offset") != std::string::npos);
    CHECK(err.find("offset " + std::to_string(off3)) != std::string::npos);
    CHECK(FileSizeOf(path) == full);  // nothing cut: this is not a torn tail
    CHECK_FALSE(FileExists(path + ".corrupt"));
  }
  {
    Options lc = o;
    lc.load_corrupt = true;
    Wal w(lc);
    std::vector<Rec> got = MustRecover(w);
    std::string err;
    CheckRecords(got, {payloads[0], payloads[1]});
    CHECK(w.last_lsn() == 2);
    CHECK(FileExists(path + ".corrupt"));
    CHECK(FileSizeOf(path + ".corrupt") == full);  // the whole damaged file kept aside
    CHECK(FileSizeOf(path) == off3);
    REQUIRE(w.Start(&err));
    CHECK(AppendPayload(w, "after repair") == 3);
    w.Stop();
  }
  {
    Wal w(o);  // the repaired log loads without load_corrupt
    std::vector<Rec> got = MustRecover(w);
    CheckRecords(got, {payloads[0], payloads[1], "after repair"});
  }
}

TEST_CASE("WAL: a missing middle segment fails recovery") {
  TempDir dir;
  Options o = Opts(dir.path, FsyncPolicy::kNo);
  o.segment_size = 4096;
  o.batch_max_records = 10;
  std::vector<std::string> payloads;
  for (int i = 0; i < 120; ++i) payloads.push_back(MakePayload(i, 200));
  WriteLog(o, payloads);
  std::vector<std::string> segs = ListFiles(dir.path, ".log");
  REQUIRE(segs.size() >= 3);
  // The deleted segment's first LSN, from its name "<prefix>.<20 digits>.log".
  const uint64_t hole = std::stoull(segs[1].substr(segs[1].size() - 24, 20));
  REQUIRE(hole > 1);
  REQUIRE(::unlink(segs[1].c_str()) == 0);
  {
    Wal w(o);
    std::vector<Rec> got;
    std::string err;
    CHECK_FALSE(RecoverInto(w, &got, &err));
    CHECK(err.find(segs[2]) != std::string::npos);
    CHECK(err.find("missing") != std::string::npos);
    CHECK(FileExists(segs[2]));  // refused: nothing renamed or cut
  }
  {  // with load_corrupt: the records of the first segment only, later segments set aside
    Options oo = o;
    oo.load_corrupt = true;
    Wal w(oo);
    std::vector<Rec> got = MustRecover(w);
    uint64_t first_of_third = 0;
    std::string data = ReadFile(segs[2] + ".corrupt");
    REQUIRE(DecodeFileHeader(data.data(), kSegmentMagic, &first_of_third));
    CHECK(first_of_third > hole);
    REQUIRE(got.size() == hole - 1);  // exactly the records before the hole
    CheckRecords(got, std::vector<std::string>(payloads.begin(), payloads.begin() + got.size()));
    CHECK(ListFiles(dir.path, ".log").size() == 1);
  }
}

TEST_CASE("WAL: injected write errors stop the log until cleared") {
  for (FsyncPolicy pol : {FsyncPolicy::kEverySec, FsyncPolicy::kAlways}) {
    const std::string policy_name = PolicyName(pol);
    CAPTURE(policy_name);
    TempDir dir;
    Options o = Opts(dir.path, pol);
    Wal w(o);
    std::vector<Rec> got = MustRecover(w);
    std::string err;
    REQUIRE(w.Start(&err));
    std::vector<std::string> payloads;
    for (int i = 0; i < 5; ++i) payloads.push_back(MakePayload(i));
    for (int i = 0; i < 3; ++i) AppendPayload(w, payloads[static_cast<size_t>(i)]);
    REQUIRE(WaitFor([&] { return w.written_lsn() == 3; }));
    if (pol == FsyncPolicy::kAlways) REQUIRE(WaitFor([&] { return w.synced_lsn() == 3; }));
    CHECK(w.write_errno() == 0);

    w.InjectWriteError(ENOSPC);
    CHECK(AppendPayload(w, payloads[3]) == 4);
    CHECK(WaitFor([&] { return w.write_errno() == ENOSPC; }, 2000));
    CHECK(w.written_lsn() == 3);
    CHECK(w.GetStats().write_errors >= 1);
    CHECK(w.GetStats().write_errno == ENOSPC);
    CHECK(AppendPayload(w, payloads[4]) == 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // a retry or two: still failing
    CHECK(w.written_lsn() == 3);
    CHECK(w.synced_lsn() <= 3);
    CHECK(w.release_lsn() == 3);
    CHECK(w.write_errno() == ENOSPC);

    w.InjectWriteError(0);
    CHECK(WaitFor([&] { return w.written_lsn() == 5 && w.write_errno() == 0; }, 2000));
    CHECK(w.written_lsn() == 5);
    CHECK(w.write_errno() == 0);
    w.Stop();

    Wal r(o);
    REQUIRE(RecoverInto(r, &got, &err));
    CheckRecords(got, payloads);
  }
}

TEST_CASE("WAL: rewrite plumbing: RotateAfter, base file, InstallBase, recovery from the base") {
  TempDir dir;
  Options o = Opts(dir.path, FsyncPolicy::kEverySec);
  std::vector<std::string> before, after;
  for (int i = 0; i < 10; ++i) before.push_back(MakePayload(i, 50));
  for (int i = 0; i < 5; ++i) after.push_back(MakePayload(100 + i, 70));
  std::vector<std::string> base_payloads = {MakePayload(500, 10), MakePayload(501, 400),
                                            MakePayload(502, 0)};
  const uint64_t lsn = before.size();
  {
    Wal w(o);
    std::vector<Rec> got = MustRecover(w);
    std::string err;
    REQUIRE(w.Start(&err));
    for (auto& p : before) AppendPayload(w, p);
    REQUIRE(w.last_lsn() == lsn);
    w.RotateAfter(w.last_lsn());
    // Records logged while the rewrite runs go to the new segment.
    CHECK(AppendPayload(w, after[0]) == lsn + 1);
    CHECK(AppendPayload(w, after[1]) == lsn + 2);

    std::string base;
    char hdr[kFileHeaderSize];
    EncodeFileHeader(hdr, kBaseMagic, lsn);
    base.append(hdr, sizeof(hdr));
    for (auto& p : base_payloads) base += FramedRecord(lsn, p);
    std::string tmp = w.BaseTempPath(lsn);
    CHECK(tmp.rfind(dir.path + "/", 0) == 0);
    CHECK(EndsWith(tmp, ".tmp"));
    WriteFileSynced(tmp, base);

    const std::string old_seg = ListFiles(dir.path, ".log").at(0);
    REQUIRE(EndsWith(old_seg, ".00000000000000000001.log"));
    const std::string old_seg_data = ReadFile(old_seg);
    REQUIRE(w.InstallBase(tmp, lsn, &err));
    CHECK_FALSE(FileExists(tmp));
    CHECK_FALSE(FileExists(old_seg));
    std::vector<std::string> bases = ListFiles(dir.path, ".base");
    REQUIRE(bases.size() == 1);
    CHECK(EndsWith(bases[0], ".00000000000000000010.base"));
    std::vector<std::string> segs = ListFiles(dir.path, ".log");
    REQUIRE(segs.size() == 1);  // the segment holding LSNs 1..10 is gone
    CHECK(EndsWith(segs[0], ".00000000000000000011.log"));
    CHECK(w.GetStats().base_size == base.size());

    for (size_t i = 2; i < after.size(); ++i) CHECK(AppendPayload(w, after[i]) == lsn + 1 + i);
    w.Stop();
    // As if the process died after the base was renamed into place but before the segments
    // it replaces were deleted: recovery must skip (and delete) the covered segment.
    WriteFileSynced(old_seg, old_seg_data);
  }
  {
    Wal w(o);
    std::vector<Rec> got = MustRecover(w);
    std::string err;
    REQUIRE(got.size() == base_payloads.size() + after.size());
    for (size_t i = 0; i < base_payloads.size(); ++i) {
      CAPTURE(i);
      CHECK(got[i].base);
      CHECK(got[i].lsn == lsn);
      CHECK(got[i].payload == base_payloads[i]);
    }
    CheckRecords(std::vector<Rec>(got.begin() + static_cast<long>(base_payloads.size()), got.end()),
                 after, lsn + 1);
    CHECK(w.last_lsn() == lsn + after.size());
    CHECK(ListFiles(dir.path, ".log").size() == 1);  // the covered segment was removed

    // A second rewrite at LSN 16, where the segment being written starts at exactly 16: it
    // replaces the first base, the segment 11..15 and the segment holding only 16. A leftover
    // .tmp from an unfinished rewrite is removed at the next recovery.
    REQUIRE(w.Start(&err));
    CHECK(AppendPayload(w, "sixteen") == 16);
    const uint64_t lsn2 = w.last_lsn();
    REQUIRE(lsn2 == 16);
    w.RotateAfter(lsn2);
    std::string base2;
    char hdr[kFileHeaderSize];
    EncodeFileHeader(hdr, kBaseMagic, lsn2);
    base2.append(hdr, sizeof(hdr));
    base2 += FramedRecord(lsn2, "everything");
    std::string tmp = w.BaseTempPath(lsn2);
    WriteFileSynced(tmp, base2);
    REQUIRE(w.InstallBase(tmp, lsn2, &err));
    std::vector<std::string> bases = ListFiles(dir.path, ".base");
    REQUIRE(bases.size() == 1);
    CHECK(EndsWith(bases[0], ".00000000000000000016.base"));
    std::vector<std::string> segs = ListFiles(dir.path, ".log");
    REQUIRE(segs.size() == 1);
    CHECK(EndsWith(segs[0], ".00000000000000000017.log"));
    CHECK(AppendPayload(w, "tail") == lsn2 + 1);
    w.Stop();
    WriteFileSynced(w.BaseTempPath(99), "junk from an unfinished rewrite");
  }
  {
    Wal w(o);
    std::vector<Rec> got = MustRecover(w);
    REQUIRE(got.size() == 2);
    CHECK(got[0].base);
    CHECK(got[0].lsn == 16);
    CHECK(got[0].payload == "everything");
    CHECK_FALSE(got[1].base);
    CHECK(got[1].lsn == 17);
    CHECK(got[1].payload == "tail");
    CHECK(ListFiles(dir.path, ".tmp").empty());
  }
}

// A damaged base with wal-load-corrupt: the header promises that load_corrupt "renames the
// damaged files to *.corrupt", and the refusal message says "the damaged files are kept as
// *.corrupt". For a base, Recover keeps nothing aside, and the segment after the base (records
// base+1..) is then deleted by Start, which opens a fresh segment under the same name.
TEST_CASE("WAL: load_corrupt with a damaged base keeps the damaged data aside") {
  TempDir dir;
  Options o = Opts(dir.path, FsyncPolicy::kEverySec);
  const uint64_t lsn = 4;
  std::vector<std::string> after = {MakePayload(11), MakePayload(12), MakePayload(13)};
  std::string base_path;
  {
    Wal w(o);
    std::vector<Rec> got = MustRecover(w);
    std::string err;
    REQUIRE(w.Start(&err));
    for (int i = 0; i < 4; ++i) AppendPayload(w, MakePayload(i));
    w.RotateAfter(w.last_lsn());
    std::string base;
    char hdr[kFileHeaderSize];
    EncodeFileHeader(hdr, kBaseMagic, lsn);
    base.append(hdr, sizeof(hdr));
    base += FramedRecord(lsn, "base record one");
    base += FramedRecord(lsn, "base record two");
    std::string tmp = w.BaseTempPath(lsn);
    WriteFileSynced(tmp, base);
    REQUIRE(w.InstallBase(tmp, lsn, &err));
    for (auto& p : after) AppendPayload(w, p);
    w.Stop();
    base_path = ListFiles(dir.path, ".base").at(0);
  }
  // Damage the second base record's payload.
  FlipByte(base_path, kFileHeaderSize + kRecordHeaderSize + 15 + kRecordHeaderSize + 3);
  {
    Wal w(o);
    std::vector<Rec> got;
    std::string err;
    CHECK_FALSE(RecoverInto(w, &got, &err));
    CHECK(err.find(base_path) != std::string::npos);
    CHECK(err.find("offset") != std::string::npos);
  }
  {
    Options lc = o;
    lc.load_corrupt = true;
    Wal w(lc);
    std::vector<Rec> got = MustRecover(w);
    std::string err;
    REQUIRE(!got.empty());
    CHECK(got[0].payload == "base record one");
    CHECK(got.size() == 1);  // nothing after a partial base
    // (Today the segment holding records 5..7 is left in place, not set aside, and Start then
    // replaces it by an empty segment of the same name: OpenSegment unlinks it.)
    REQUIRE(w.Start(&err));
    w.Stop();
  }
  // Records 5..7 were durable in the segment after the base: they must survive somewhere
  // (a *.corrupt file), as for damaged segments.
  std::vector<std::string> kept = ListFiles(dir.path, ".corrupt");
  CHECK_MESSAGE(!kept.empty(), "no *.corrupt file: the damaged base and the records after it "
                               "were not set aside");
  bool found = false;
  for (const std::string& f : kept) {
    std::string data = ReadFile(f);
    if (data.find(after[0]) != std::string::npos) found = true;
  }
  CHECK_MESSAGE(found, "records logged after the damaged base were deleted");
}

TEST_CASE("WAL: backing tier: DropThrough deletes only segments wholly checkpointed; ContinueAfter") {
  TempDir dir;
  Options o = Opts(dir.path, FsyncPolicy::kEverySec);
  std::string err;
  {
    Wal w(o);
    std::vector<Rec> got;
    REQUIRE(RecoverInto(w, &got, &err));
    REQUIRE(w.Start(&err));
    for (int i = 0; i < 5; ++i) AppendPayload(w, MakePayload(i, 20));  // LSNs 1..5
    w.RotateAfter(5);  // a checkpoint's instant at LSN 5
    for (int i = 5; i < 8; ++i) AppendPayload(w, MakePayload(i, 20));  // LSNs 6..8
    w.DropThrough(5);  // its commit: waits for the rotation, deletes the segment 1..5
    std::vector<std::string> segs = ListFiles(dir.path, ".log");
    REQUIRE(segs.size() == 1);
    CHECK(EndsWith(segs[0], ".00000000000000000006.log"));
    w.RotateAfter(8);
    AppendPayload(w, MakePayload(8, 20));  // LSN 9, in a new segment
    w.DropThrough(7);  // the segment 6..8 holds LSN 8, above 7: it stays
    segs = ListFiles(dir.path, ".log");
    REQUIRE(segs.size() == 2);
    CHECK(EndsWith(segs[0], ".00000000000000000006.log"));
    CHECK(EndsWith(segs[1], ".00000000000000000009.log"));
    w.DropThrough(8);  // now it goes; the current segment is never deleted
    segs = ListFiles(dir.path, ".log");
    REQUIRE(segs.size() == 1);
    CHECK(EndsWith(segs[0], ".00000000000000000009.log"));
    w.Stop();
  }
  {
    // Recovery starts from the first remaining segment.
    Wal w(o);
    std::vector<Rec> got;
    REQUIRE(RecoverInto(w, &got, &err));
    REQUIRE(got.size() == 1);
    CHECK(got[0].lsn == 9);
  }
  {
    // Everything checkpointed and no segment left: LSNs continue after the checkpoint.
    for (const std::string& f : ListFiles(dir.path, ".log")) ::unlink(f.c_str());
    Wal w(o);
    std::vector<Rec> got;
    REQUIRE(RecoverInto(w, &got, &err));
    CHECK(w.last_lsn() == 0);
    w.ContinueAfter(42);
    REQUIRE(w.Start(&err));
    CHECK(AppendPayload(w, "next") == 43);
    w.Stop();
  }
}
