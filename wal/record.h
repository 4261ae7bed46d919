// The WAL's byte formats: record framing and the command payload. Pure functions, no I/O.
//
// A WAL file (segment or base) starts with a 16-byte file header:
//   8 bytes magic "STRWAL1L" (log segment) or "STRWAL1B" (base snapshot) | u64 LSN
// where the LSN is the first record's LSN for a segment and the snapshot's LSN for a base.
// Then records, each:
//   u32 payload length | u32 CRC32C | u64 LSN | payload          (16-byte header)
// All integers little-endian. The CRC covers the payload, then the LSN, then the length (in
// that order, so the payload's part is computed before the LSN is known, outside the queue
// lock). A payload is one or more commands applied atomically (a transaction is one record):
//   u32 count, then per command: u32 db | i64 time_ms | u32 argc | argc x (u32 len | bytes)
// time_ms is the wall clock the command ran with: replay runs it with the same clock, so TTLs,
// expiry decisions and relative times replay exactly (a relative TTL becomes the same
// absolute time it had).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/buffer.h"

namespace strata::wal {

constexpr size_t kFileHeaderSize = 16;
constexpr size_t kRecordHeaderSize = 16;
constexpr char kSegmentMagic[9] = "STRWAL1L";
constexpr char kBaseMagic[9] = "STRWAL1B";
// A record payload larger than this is treated as damage, not as a length to trust.
constexpr uint32_t kMaxPayload = 1u << 31;

struct RecordHeader {
  uint32_t len = 0;
  uint32_t crc = 0;
  uint64_t lsn = 0;
};

void EncodeFileHeader(char out[kFileHeaderSize], const char magic[9], uint64_t lsn);
// False if the bytes are not a file header with this magic.
bool DecodeFileHeader(const char* p, const char magic[9], uint64_t* lsn);

// The CRC of a record, from the CRC of its payload (Crc32c(payload)).
uint32_t RecordCrc(uint32_t payload_crc, uint64_t lsn, uint32_t len);
void EncodeRecordHeader(char out[kRecordHeaderSize], const RecordHeader& h);
RecordHeader DecodeRecordHeader(const char* p);
// True if p..p+16+h.len holds a record whose CRC matches (caller checked the length fits).
bool RecordValid(const char* p, const RecordHeader& h);

// Builds one payload.
class PayloadWriter {
 public:
  void Clear();
  void Add(uint32_t db, int64_t time_ms, const std::string_view* argv, size_t argc);
  void Add(uint32_t db, int64_t time_ms, const std::vector<std::string>& argv);
  size_t count() const { return count_; }
  // The finished payload (patches the count in front). Valid until the next Add/Clear.
  std::string_view Finish();
  size_t size() const { return buf_.ReadableBytes(); }

 private:
  char* BeginCommand(uint32_t db, int64_t time_ms, size_t argc, size_t args_bytes);
  Buffer buf_;  // starts with 4 bytes for the count
  uint32_t count_ = 0;
};

// One command as a whole payload (count 1), written straight into dst: the hot path of logging
// a write without an intermediate buffer. SingleCommandSize gives the bytes it needs.
size_t SingleCommandSize(const std::string_view* argv, size_t argc);
void EncodeSingleCommand(char* dst, uint32_t db, int64_t time_ms, const std::string_view* argv,
                         size_t argc);

struct DecodedCommand {
  uint32_t db = 0;
  int64_t time_ms = 0;
  std::vector<std::string_view> argv;  // views into the payload
};

// False if the payload is malformed (its CRC matched, so this means a bug or a format change).
bool DecodePayload(std::string_view payload, std::vector<DecodedCommand>* out);

}  // namespace strata::wal
