#include "wal/record.h"

#include <cstring>

#include "wal/crc32c.h"

namespace strata::wal {

namespace {
void Put32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }  // x86-64 and arm64 are LE
void Put64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t Get32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Get64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
}  // namespace

void EncodeFileHeader(char out[kFileHeaderSize], const char magic[9], uint64_t lsn) {
  std::memcpy(out, magic, 8);
  Put64(out + 8, lsn);
}

bool DecodeFileHeader(const char* p, const char magic[9], uint64_t* lsn) {
  if (std::memcmp(p, magic, 8) != 0) return false;
  *lsn = Get64(p + 8);
  return true;
}

uint32_t RecordCrc(uint32_t payload_crc, uint64_t lsn, uint32_t len) {
  char tail[12];
  Put64(tail, lsn);
  Put32(tail + 8, len);
  return Crc32c(tail, sizeof(tail), payload_crc);
}

void EncodeRecordHeader(char out[kRecordHeaderSize], const RecordHeader& h) {
  Put32(out, h.len);
  Put32(out + 4, h.crc);
  Put64(out + 8, h.lsn);
}

RecordHeader DecodeRecordHeader(const char* p) {
  RecordHeader h;
  h.len = Get32(p);
  h.crc = Get32(p + 4);
  h.lsn = Get64(p + 8);
  return h;
}

bool RecordValid(const char* p, const RecordHeader& h) {
  uint32_t crc = Crc32c(p + kRecordHeaderSize, h.len);
  return RecordCrc(crc, h.lsn, h.len) == h.crc;
}

// ---- payloads ----

void PayloadWriter::Clear() {
  buf_.Clear();
  char zero[4] = {};
  buf_.Append(zero, 4);
  count_ = 0;
}

// Reserves one command's bytes, writes its header, returns where the arguments go. One size
// computation and one reservation per command: this runs for every logged write.
char* PayloadWriter::BeginCommand(uint32_t db, int64_t time_ms, size_t argc, size_t args_bytes) {
  if (buf_.ReadableBytes() == 0) Clear();
  size_t n = 16 + 4 * argc + args_bytes;
  buf_.EnsureWritable(n);
  char* p = buf_.WritePtr();
  Put32(p, db);
  Put64(p + 4, static_cast<uint64_t>(time_ms));
  Put32(p + 12, static_cast<uint32_t>(argc));
  buf_.Commit(n);
  ++count_;
  return p + 16;
}

void PayloadWriter::Add(uint32_t db, int64_t time_ms, const std::string_view* argv, size_t argc) {
  size_t bytes = 0;
  for (size_t i = 0; i < argc; ++i) bytes += argv[i].size();
  char* p = BeginCommand(db, time_ms, argc, bytes);
  for (size_t i = 0; i < argc; ++i) {
    Put32(p, static_cast<uint32_t>(argv[i].size()));
    std::memcpy(p + 4, argv[i].data(), argv[i].size());
    p += 4 + argv[i].size();
  }
}

void PayloadWriter::Add(uint32_t db, int64_t time_ms, const std::vector<std::string>& argv) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  Add(db, time_ms, views.data(), views.size());
}

std::string_view PayloadWriter::Finish() {
  if (buf_.ReadableBytes() == 0) Clear();
  Put32(const_cast<char*>(buf_.ReadPtr()), count_);
  return buf_.Readable();
}

size_t SingleCommandSize(const std::string_view* argv, size_t argc) {
  size_t n = 4 + 16 + 4 * argc;
  for (size_t i = 0; i < argc; ++i) n += argv[i].size();
  return n;
}

void EncodeSingleCommand(char* p, uint32_t db, int64_t time_ms, const std::string_view* argv,
                         size_t argc) {
  Put32(p, 1);
  Put32(p + 4, db);
  Put64(p + 8, static_cast<uint64_t>(time_ms));
  Put32(p + 16, static_cast<uint32_t>(argc));
  p += 20;
  for (size_t i = 0; i < argc; ++i) {
    Put32(p, static_cast<uint32_t>(argv[i].size()));
    std::memcpy(p + 4, argv[i].data(), argv[i].size());
    p += 4 + argv[i].size();
  }
}

bool DecodePayload(std::string_view payload, std::vector<DecodedCommand>* out) {
  out->clear();
  const char* p = payload.data();
  const char* end = p + payload.size();
  if (end - p < 4) return false;
  uint32_t count = Get32(p);
  p += 4;
  for (uint32_t c = 0; c < count; ++c) {
    if (end - p < 16) return false;
    DecodedCommand cmd;
    cmd.db = Get32(p);
    cmd.time_ms = static_cast<int64_t>(Get64(p + 4));
    uint32_t argc = Get32(p + 12);
    p += 16;
    if (argc == 0 || argc > static_cast<uint32_t>(end - p) / 4) return false;
    cmd.argv.reserve(argc);
    for (uint32_t i = 0; i < argc; ++i) {
      if (end - p < 4) return false;
      uint32_t len = Get32(p);
      p += 4;
      if (static_cast<size_t>(end - p) < len) return false;
      cmd.argv.emplace_back(p, len);
      p += len;
    }
    out->push_back(std::move(cmd));
  }
  return p == end;
}

}  // namespace strata::wal
