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
  buf_.assign(4, '\0');
  count_ = 0;
}

void PayloadWriter::BeginCommand(uint32_t db, int64_t time_ms, size_t argc) {
  char h[16];
  Put32(h, db);
  Put64(h + 4, static_cast<uint64_t>(time_ms));
  Put32(h + 12, static_cast<uint32_t>(argc));
  buf_.append(h, sizeof(h));
  ++count_;
}

void PayloadWriter::AppendArg(std::string_view a) {
  char len[4];
  Put32(len, static_cast<uint32_t>(a.size()));
  buf_.append(len, 4);
  buf_.append(a.data(), a.size());
}

void PayloadWriter::Add(uint32_t db, int64_t time_ms, const std::string_view* argv, size_t argc) {
  BeginCommand(db, time_ms, argc);
  for (size_t i = 0; i < argc; ++i) AppendArg(argv[i]);
}

void PayloadWriter::Add(uint32_t db, int64_t time_ms, const std::vector<std::string>& argv) {
  BeginCommand(db, time_ms, argv.size());
  for (const std::string& a : argv) AppendArg(a);
}

std::string_view PayloadWriter::Finish() {
  Put32(buf_.data(), count_);
  return buf_;
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
