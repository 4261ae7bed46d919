#include "wal/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/format.h"
#include "common/log.h"
#include "wal/crc32c.h"
#include "wal/record.h"

namespace strata::wal {

namespace {

// How long the writer lets a batch gather under everysec/no before writing it.
constexpr int64_t kGatherUs = 1000;

int64_t MonoUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "<prefix>.<20 digits>.<ext>" -> the number; false for other names.
bool ParseName(const std::string& name, const std::string& prefix, const char* ext,
               uint64_t* lsn) {
  std::string tail = std::string(".") + ext;
  if (name.size() != prefix.size() + 1 + 20 + tail.size()) return false;
  if (name.compare(0, prefix.size(), prefix) != 0 || name[prefix.size()] != '.') return false;
  if (name.compare(name.size() - tail.size(), tail.size(), tail) != 0) return false;
  uint64_t v = 0;
  for (size_t i = prefix.size() + 1; i < prefix.size() + 21; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *lsn = v;
  return true;
}

// A whole file mapped read-only (recovery reads each file once, front to back).
struct MappedFile {
  const char* data = nullptr;
  size_t size = 0;
  bool Open(const std::string& path, std::string* error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = Format("can't open %s: %s", path.c_str(), std::strerror(errno));
      return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      *error = Format("can't stat %s: %s", path.c_str(), std::strerror(errno));
      ::close(fd);
      return false;
    }
    size = static_cast<size_t>(st.st_size);
    if (size > 0) {
      void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        *error = Format("can't map %s: %s", path.c_str(), std::strerror(errno));
        ::close(fd);
        return false;
      }
      madvise(p, size, MADV_SEQUENTIAL);
      data = static_cast<const char*>(p);
    }
    ::close(fd);
    return true;
  }
  ~MappedFile() {
    if (data != nullptr) munmap(const_cast<char*>(data), size);
  }
};

bool WriteAll(int fd, const char* p, size_t n, uint64_t offset, int* err) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

bool TruncateFile(const std::string& path, uint64_t size, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0 || fdatasync(fd) != 0) {
    *error = Format("can't truncate %s: %s", path.c_str(), std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

}  // namespace

bool ParseFsyncPolicy(std::string_view s, FsyncPolicy* out) {
  if (s == "always") *out = FsyncPolicy::kAlways;
  else if (s == "everysec") *out = FsyncPolicy::kEverySec;
  else if (s == "no") *out = FsyncPolicy::kNo;
  else return false;
  return true;
}

Wal::Wal(Options opts) : opts_(std::move(opts)), policy_(opts_.fsync) {}

Wal::~Wal() { Stop(); }

std::string Wal::SegmentPath(uint64_t first_lsn) const {
  return Format("%s/%s.%020llu.log", opts_.dir.c_str(), opts_.prefix.c_str(),
                static_cast<unsigned long long>(first_lsn));
}

std::string Wal::BasePath(uint64_t lsn) const {
  return Format("%s/%s.%020llu.base", opts_.dir.c_str(), opts_.prefix.c_str(),
                static_cast<unsigned long long>(lsn));
}

std::string Wal::BaseTempPath(uint64_t lsn) const { return BasePath(lsn) + ".tmp"; }

bool Wal::SyncDir(std::string* error) const {
  int fd = ::open(opts_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    if (error) *error = Format("can't sync directory %s: %s", opts_.dir.c_str(), std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

void Wal::set_policy(FsyncPolicy p) {
  policy_.store(p, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_one();
}

// ---- recovery ----

namespace {
// Where a scan of one file stopped.
struct ScanEnd {
  enum Kind { kClean, kTorn, kCorrupt } kind = kClean;
  size_t offset = 0;
  std::string reason;
};

// Is there a valid record with an LSN above `after` anywhere past `from`? Tells damage in the
// middle of the log (later records survive) from a torn final write (nothing valid follows).
bool ValidRecordAfter(const MappedFile& f, size_t from, uint64_t after) {
  for (size_t off = from; off + kRecordHeaderSize <= f.size; ++off) {
    RecordHeader h = DecodeRecordHeader(f.data + off);
    if (h.lsn <= after || h.lsn > after + (1ull << 32)) continue;
    if (h.len > f.size - off - kRecordHeaderSize) continue;
    if (RecordValid(f.data + off, h)) return true;
  }
  return false;
}
}  // namespace

bool Wal::Recover(const ReplayFn& fn, std::string* error) {
  if (mkdir(opts_.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = Format("can't create the WAL directory %s: %s", opts_.dir.c_str(), std::strerror(errno));
    return false;
  }
  DIR* d = opendir(opts_.dir.c_str());
  if (d == nullptr) {
    *error = Format("can't open the WAL directory %s: %s", opts_.dir.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<uint64_t> bases, segs;
  std::vector<std::string> temps;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    uint64_t lsn;
    if (ParseName(name, opts_.prefix, "log", &lsn)) segs.push_back(lsn);
    else if (ParseName(name, opts_.prefix, "base", &lsn)) bases.push_back(lsn);
    else if (name.compare(0, opts_.prefix.size(), opts_.prefix) == 0 && name.size() > 4 &&
             name.compare(name.size() - 4, 4, ".tmp") == 0)
      temps.push_back(name);
  }
  closedir(d);
  for (const std::string& t : temps) {  // a rewrite that did not finish
    Log(LogLevel::kNotice, "WAL: removing unfinished rewrite %s", t.c_str());
    ::unlink((opts_.dir + "/" + t).c_str());
  }
  std::sort(bases.begin(), bases.end());
  std::sort(segs.begin(), segs.end());

  uint64_t expected = 0;  // next LSN we must see; 0 = take the first segment's
  uint64_t last = 0;
  std::vector<std::string> set_aside;  // load_corrupt: files past the damage

  auto corrupt = [&](const std::string& path, size_t off, const std::string& why) {
    *error = Format("WAL damaged in %s at offset %zu (%s). Start with 'wal-load-corrupt yes' to "
                    "load the records before the damage (the damaged files are kept as *.corrupt)",
                    path.c_str(), off, why.c_str());
  };

  // Scans one file's records from `off`; calls fn for each record above `skip_upto`.
  auto scan = [&](const MappedFile& f, size_t off, bool is_base, uint64_t skip_upto) {
    ScanEnd end;
    while (off < f.size) {
      if (f.size - off < kRecordHeaderSize) {
        end = {ScanEnd::kTorn, off, "incomplete record header"};
        return end;
      }
      RecordHeader h = DecodeRecordHeader(f.data + off);
      if (h.len > f.size - off - kRecordHeaderSize) {
        end = {ScanEnd::kTorn, off, "record runs past the end of the file"};
        return end;
      }
      if (!RecordValid(f.data + off, h)) {
        end = {ScanEnd::kTorn, off, "checksum mismatch"};
        return end;
      }
      if (!is_base) {
        if (h.lsn <= skip_upto) {  // already in the base
          off += kRecordHeaderSize + h.len;
          continue;
        }
        if (expected != 0 && h.lsn != expected) {
          end = {ScanEnd::kCorrupt, off,
                 Format("LSN %llu where %llu was expected", static_cast<unsigned long long>(h.lsn),
                        static_cast<unsigned long long>(expected))};
          return end;
        }
        expected = h.lsn + 1;
        last = h.lsn;
      }
      fn(h.lsn, std::string_view(f.data + off + kRecordHeaderSize, h.len), is_base);
      off += kRecordHeaderSize + h.len;
    }
    end.offset = off;
    return end;
  };

  uint64_t base_lsn = 0;
  if (!bases.empty()) {
    base_lsn = bases.back();
    std::string path = BasePath(base_lsn);
    MappedFile f;
    if (!f.Open(path, error)) return false;
    uint64_t hdr_lsn = 0;
    ScanEnd end;
    if (f.size < kFileHeaderSize || !DecodeFileHeader(f.data, kBaseMagic, &hdr_lsn) ||
        hdr_lsn != base_lsn) {
      end = {ScanEnd::kCorrupt, 0, "bad file header"};
    } else {
      Log(LogLevel::kNotice, "WAL: loading base %s (LSN %llu)", path.c_str(),
          static_cast<unsigned long long>(base_lsn));
      end = scan(f, kFileHeaderSize, true, 0);
    }
    if (end.kind != ScanEnd::kClean) {  // a base is renamed into place whole: any damage is real
      if (!opts_.load_corrupt) {
        corrupt(path, end.offset, end.reason);
        return false;
      }
      // Records after a partial base would apply to the wrong state: keep the base and every
      // segment aside, untouched, and have the caller write a new base from what was loaded.
      Log(LogLevel::kWarning,
          "WAL: base %s damaged at offset %zu (%s): loaded what precedes it; the base and all "
          "segments are kept aside as *.corrupt and a rewrite will write a new base",
          path.c_str(), end.offset, end.reason.c_str());
      ::rename(path.c_str(), (path + ".corrupt").c_str());
      SetAside(segs, 0);
      segs.clear();
      bases = {};
      needs_rewrite_ = true;
    }
    expected = base_lsn + 1;
    last = base_lsn;
    for (uint64_t older : bases)
      if (older != base_lsn) ::unlink(BasePath(older).c_str());
    if (needs_rewrite_) base_lsn = 0;  // set aside: the next base comes from the rewrite
  }

  for (size_t i = 0; i < segs.size(); ++i) {
    std::string path = SegmentPath(segs[i]);
    bool is_last = i + 1 == segs.size();
    // A segment wholly covered by the base (the next one starts at or below base+1).
    if (base_lsn != 0 && !is_last && segs[i + 1] <= base_lsn + 1) {
      ::unlink(path.c_str());
      continue;
    }
    MappedFile f;
    if (!f.Open(path, error)) return false;
    uint64_t first = 0;
    ScanEnd end;
    if (f.size < kFileHeaderSize) {
      end = {ScanEnd::kTorn, 0, "incomplete file header"};
    } else if (!DecodeFileHeader(f.data, kSegmentMagic, &first) || first != segs[i]) {
      end = {ScanEnd::kCorrupt, 0, "bad file header"};
    } else {
      if (expected == 0) expected = first;
      if (first > expected) {
        end = {ScanEnd::kCorrupt, 0,
               Format("segment starts at LSN %llu but %llu was expected (a segment is missing)",
                      static_cast<unsigned long long>(first),
                      static_cast<unsigned long long>(expected))};
      } else {
        end = scan(f, kFileHeaderSize, false, base_lsn);
      }
    }
    if (end.kind == ScanEnd::kClean) continue;
    // A torn record is the tail of the last segment with nothing valid after it.
    bool torn = end.kind == ScanEnd::kTorn && is_last &&
                !ValidRecordAfter(f, end.offset + 1, last);
    if (torn && opts_.load_truncated) {
      Log(LogLevel::kWarning,
          "WAL: %s ends with a torn record at offset %zu (%s): truncating %zu bytes; the log "
          "ends at LSN %llu",
          path.c_str(), end.offset, end.reason.c_str(), f.size - end.offset,
          static_cast<unsigned long long>(last));
      if (end.offset < kFileHeaderSize) {
        ::unlink(path.c_str());
      } else if (!TruncateFile(path, end.offset, error)) {
        return false;
      }
      break;
    }
    if (torn) {
      *error = Format("WAL %s ends with a torn record at offset %zu (%s). Start with "
                      "'aof-load-truncated yes' to cut it off",
                      path.c_str(), end.offset, end.reason.c_str());
      return false;
    }
    if (!opts_.load_corrupt) {
      corrupt(path, end.offset, end.reason);
      return false;
    }
    // Load what can be loaded: keep the damaged file aside, cut it at the damage, and set
    // aside every later segment (its records would apply to a state with a hole in it).
    Log(LogLevel::kWarning,
        "WAL: %s damaged at offset %zu (%s): loaded the records before it (up to LSN %llu); "
        "later records are set aside as *.corrupt",
        path.c_str(), end.offset, end.reason.c_str(), static_cast<unsigned long long>(last));
    int out = ::open((path + ".corrupt").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int werr = 0;
    bool copied = out >= 0 && WriteAll(out, f.data, f.size, 0, &werr);  // from the mapping
    if (out >= 0) ::close(out);
    if (!copied) {
      *error = Format("can't copy %s aside", path.c_str());
      return false;
    }
    if (end.offset < kFileHeaderSize) ::unlink(path.c_str());
    else if (!TruncateFile(path, end.offset, error)) return false;
    SetAside(segs, i + 1);
    break;
  }

  last_lsn_.store(last);
  written_lsn_.store(last);
  synced_lsn_.store(last);
  {
    std::lock_guard<std::mutex> lock(mu_);
    base_lsn_ = base_lsn;
    RecomputeSizesLocked();
    rewrite_base_size_.store(stats_.current_size);
  }
  return true;
}

// Renames segments[from..] to *.corrupt (records that cannot be replayed after damage).
void Wal::SetAside(const std::vector<uint64_t>& segments, size_t from) const {
  for (size_t j = from; j < segments.size(); ++j) {
    std::string p = SegmentPath(segments[j]);
    ::rename(p.c_str(), (p + ".corrupt").c_str());
  }
}

// Rebuilds the list of closed segments and the size figures from the directory.
void Wal::RecomputeSizesLocked() {
  closed_.clear();
  DIR* d = opendir(opts_.dir.c_str());
  if (d == nullptr) return;
  uint64_t total = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    uint64_t lsn;
    if (ParseName(name, opts_.prefix, "log", &lsn)) {
      if (fd_ >= 0 && lsn == current_first_) continue;  // counted through file_size_
      std::string path = opts_.dir + "/" + name;
      uint64_t size = FileSize(path);
      closed_.push_back({lsn, path, size});
      total += size;
    } else if (ParseName(name, opts_.prefix, "base", &lsn) && lsn == base_lsn_) {
      base_size_ = FileSize(opts_.dir + "/" + name);
    }
  }
  closedir(d);
  std::sort(closed_.begin(), closed_.end(),
            [](const Segment& a, const Segment& b) { return a.first_lsn < b.first_lsn; });
  stats_.base_size = base_lsn_ != 0 ? base_size_ : 0;
  stats_.current_size = total + stats_.base_size + (fd_ >= 0 ? file_size_ : 0);
  stats_.segments = closed_.size() + (fd_ >= 0 ? 1 : 0);
}

// ---- writing ----

bool Wal::OpenSegment(uint64_t first_lsn, std::string* error) {
  std::string path = SegmentPath(first_lsn);
  ::unlink(path.c_str());  // an empty one left by an earlier run
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error) *error = Format("can't create %s: %s", path.c_str(), std::strerror(errno));
    return false;
  }
  char hdr[kFileHeaderSize];
  EncodeFileHeader(hdr, kSegmentMagic, first_lsn);
  int err = 0;
  if (!WriteAll(fd, hdr, sizeof(hdr), 0, &err) || fdatasync(fd) != 0) {
    if (err == 0) err = errno;
    if (error) *error = Format("can't write %s: %s", path.c_str(), std::strerror(err));
    ::close(fd);
    ::unlink(path.c_str());
    errno = err;
    return false;
  }
  // The new name must be durable before any record in it is acknowledged.
  if (!SyncDir(error)) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  file_size_ = kFileHeaderSize;
  std::lock_guard<std::mutex> lock(mu_);
  current_first_ = first_lsn;
  RecomputeSizesLocked();
  return true;
}

void Wal::CloseSegment(bool sync) {
  if (fd_ < 0) return;
  if (sync && unsynced_) Sync();
  ::close(fd_);
  fd_ = -1;
}

bool Wal::Start(std::string* error) {
  if (!OpenSegment(last_lsn() + 1, error)) return false;
  last_sync_us_ = MonoUs();
  started_ = true;
  thread_ = std::thread([this] { WriterLoop(); });
  return true;
}

void Wal::Stop() {
  if (!started_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  thread_.join();
  started_ = false;
  CloseSegment(true);  // a clean stop always syncs, whatever the policy
}


char* Wal::ReserveLocked(size_t size) {
  queue_.EnsureWritable(kRecordHeaderSize + size);
  return queue_.WritePtr();
}

// Completes the record reserved at rec (its payload is in place), given its CRC.
uint64_t Wal::CommitLocked(char* rec, size_t size, uint32_t payload_crc, bool was_empty) {
  uint64_t lsn = last_lsn_.load(std::memory_order_relaxed) + 1;
  uint32_t len = static_cast<uint32_t>(size);
  return PublishLocked(rec, {len, RecordCrc(payload_crc, lsn, len), lsn}, was_empty);
}

uint64_t Wal::CommitInPlaceLocked(char* rec, size_t size, bool was_empty) {
  // RecordCrc(Crc32c(payload), lsn, len) == Crc32c(payload | lsn | len): write the tail after
  // the payload (in reserved, uncommitted space) and checksum once.
  uint64_t lsn = last_lsn_.load(std::memory_order_relaxed) + 1;
  uint32_t len = static_cast<uint32_t>(size);
  char* tail = rec + kRecordHeaderSize + size;
  std::memcpy(tail, &lsn, 8);
  std::memcpy(tail + 8, &len, 4);
  return PublishLocked(rec, {len, Crc32c(rec + kRecordHeaderSize, size + 12), lsn}, was_empty);
}

// The header, the queue's accounting, the new last LSN, and the writer's wake-up. The writer is
// woken by Kick() when the event loop finished its round of callbacks, so one group commit
// takes every record of that round (as Redis writes its AOF buffer before the loop sleeps).
// Callers outside a loop, or a burst that fills half a batch, wake it here.
uint64_t Wal::PublishLocked(char* rec, const RecordHeader& h, bool was_empty) {
  EncodeRecordHeader(rec, h);
  queue_.Commit(kRecordHeaderSize + h.len);
  ++queued_records_;
  queued_bytes_.store(queue_.ReadableBytes(), std::memory_order_relaxed);
  last_lsn_.store(h.lsn, std::memory_order_release);
  if ((was_empty && !loop_kicks_.load(std::memory_order_relaxed)) ||
      queue_.ReadableBytes() >= opts_.batch_max_bytes / 2)
    WakeWriterLocked();
  return h.lsn;
}

void Wal::WakeWriterLocked() {
  if (!writer_waiting_) return;
  writer_waiting_ = false;
  cv_.notify_one();
}

uint64_t Wal::Append(std::string_view payload, uint32_t payload_crc) {
  std::lock_guard<std::mutex> lock(mu_);
  bool was_empty = queue_.ReadableBytes() == 0;
  char* rec = ReserveLocked(payload.size());
  std::memcpy(rec + kRecordHeaderSize, payload.data(), payload.size());
  return CommitLocked(rec, payload.size(), payload_crc, was_empty);
}

void Wal::Kick() {
  if (queued_bytes_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.ReadableBytes() > 0) WakeWriterLocked();
}

void Wal::RotateAfter(uint64_t lsn) {
  std::lock_guard<std::mutex> lock(mu_);
  rotate_after_ = current_first_ > lsn ? 0 : lsn;  // 0: the current segment starts after lsn
  cv_.notify_one();
}

void Wal::TakeBatchLocked() {
  // Walk record headers from the front until a limit (or the rotation point) is reached.
  const char* p = queue_.ReadPtr();
  size_t avail = queue_.ReadableBytes(), n = 0;
  uint64_t records = 0, last = 0;
  while (n + kRecordHeaderSize <= avail && records < opts_.batch_max_records) {
    RecordHeader h = DecodeRecordHeader(p + n);
    size_t rec = kRecordHeaderSize + h.len;
    if (rotate_after_ != 0 && h.lsn > rotate_after_ && current_first_ <= rotate_after_) break;
    if (records > 0 && n + rec > opts_.batch_max_bytes) break;
    n += rec;
    last = h.lsn;
    ++records;
  }
  if (records == 0) return;
  if (n == avail && batch_.ReadableBytes() == 0) {
    batch_.Swap(queue_);  // the usual case: everything queued, no copy
  } else {
    batch_.Append(p, n);
    queue_.Consume(n);
  }
  queued_records_ -= records;
  queued_bytes_.store(queue_.ReadableBytes(), std::memory_order_relaxed);
  batch_records_ += records;
  batch_last_lsn_ = last;
}

void Wal::Fail(int err, const char* what) {
  bool first = write_errno_.load() == 0;
  write_errno_.store(err, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.write_errors;
  }
  if (!first) return;
  Log(LogLevel::kWarning, "WAL: %s failed: %s. Writes are refused until it succeeds again.",
      what, std::strerror(err));
  // Wake the loops: replies of reads waiting for records that may never be durable are
  // answered with the error instead (server/connection.cc).
  if (on_progress_) on_progress_();
}

bool Wal::WriteBatch() {
  if (int64_t d = inject_delay_ms_.load(); d > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(d));
  int err = inject_errno_.load();
  size_t n = batch_.ReadableBytes();
  if (err == 0) WriteAll(fd_, batch_.ReadPtr(), n, file_size_, &err);
  if (err != 0) {
    // Cut what part of the batch may have reached the file, so a retry starts clean.
    if (ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) { /* the retry overwrites it */ }
    Fail(err, "write");
    return false;
  }
  file_size_ += n;
  unsynced_ = true;
  unsynced_bytes_ += n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.batches++;
    stats_.records_written += batch_records_;
    stats_.bytes_written += n;
    stats_.batch_max = std::max(stats_.batch_max, batch_records_);
    stats_.current_size += n;
  }
  written_lsn_.store(batch_last_lsn_, std::memory_order_release);
  batch_.Clear();
  batch_.ShrinkIfIdle(1 << 20);
  batch_records_ = 0;
  return true;
}

bool Wal::Sync() {
  if (int64_t d = inject_sync_delay_ms_.load(); d > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(d));
  int64_t t0 = MonoUs();
  int err = inject_errno_.load();
  if (err == 0 && fdatasync(fd_) != 0) err = errno;
  if (err != 0) {
    // The kernel may have dropped the dirty pages: keep failing until a sync succeeds.
    Fail(err, "fdatasync");
    return false;
  }
  int64_t t1 = MonoUs();
  last_sync_us_ = t1;
  unsynced_ = false;
  unsynced_bytes_ = 0;
  uint64_t us = static_cast<uint64_t>(t1 - t0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.fsyncs++;
    stats_.fsync_last_us = us;
    stats_.fsync_max_us = std::max(stats_.fsync_max_us, us);
    stats_.fsync_total_us += us;
    stats_.last_fsync_unix_ms = WallMs();
  }
  synced_lsn_.store(written_lsn(), std::memory_order_release);
  return true;
}

void Wal::WriterLoop() {
  bool failing = false;
  while (true) {
    bool rotate = false, stop = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto work = [&] {
        return stop_ || queue_.ReadableBytes() > 0 || batch_.ReadableBytes() > 0 ||
               (rotate_after_ != 0 && current_first_ <= rotate_after_ &&
                written_lsn() >= rotate_after_);
      };
      if (!work()) {
        writer_waiting_ = true;
        // everysec: wake for the once-a-second fdatasync; a failing log retries every 100 ms.
        auto wait = failing ? std::chrono::milliseconds(100) : std::chrono::milliseconds(1000);
        if (unsynced_ || failing) cv_.wait_for(lock, wait, work);
        else cv_.wait(lock, work);
        writer_waiting_ = false;
      }
      stop = stop_;
      // everysec / no: nobody waits for this batch, so let it fill for a moment (records stay
      // in memory at most kGatherUs longer; one write() then carries many of them).
      if (policy() != FsyncPolicy::kAlways && !stop_ && batch_.ReadableBytes() == 0 &&
          queue_.ReadableBytes() < opts_.batch_max_bytes / 2 &&
          queued_records_ < opts_.batch_max_records) {
        cv_.wait_for(lock, std::chrono::microseconds(kGatherUs), [&] { return stop_; });
      }
      if (batch_.ReadableBytes() == 0) TakeBatchLocked();
      if (!unsynced_) round_target_ = last_lsn();  // a new group-commit round
      rotate = rotate_after_ != 0 && current_first_ <= rotate_after_ &&
               written_lsn() >= rotate_after_ && batch_.ReadableBytes() == 0;
    }
    FsyncPolicy pol = policy();

    if (rotate || (fd_ >= 0 && file_size_ >= opts_.segment_size && batch_.ReadableBytes() > 0)) {
      uint64_t first = written_lsn() + 1;
      if (unsynced_ && !Sync()) {  // even under `no`: only the last segment may be torn
        failing = true;
        continue;
      }
      CloseSegment(false);
      std::string error;
      if (!OpenSegment(first, &error)) {
        Fail(errno != 0 ? errno : EIO, "creating a segment");
        failing = true;
        // fd_ is closed: retry opening on the next round.
        if (stop) return;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (rotate_after_ != 0 && current_first_ > rotate_after_) rotate_after_ = 0;
      done_cv_.notify_all();
    }
    if (fd_ < 0) {  // a failed rotation: try again
      std::string error;
      if (!OpenSegment(written_lsn() + 1, &error)) {
        Fail(errno != 0 ? errno : EIO, "creating a segment");
        if (stop) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
    }

    bool progressed = false;
    if (batch_.ReadableBytes() > 0) {
      if (!WriteBatch()) {
        failing = true;
        if (stop) return;  // nothing more can be done; unacknowledged records stay unwritten
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      progressed = true;
    }
    if (pol == FsyncPolicy::kAlways && !stop && !failing && unsynced_ &&
        written_lsn() < round_target_ && unsynced_bytes_ < opts_.batch_max_bytes) {
      // Group commit: one fdatasync covers every record that was queued when this round
      // began, written in batches of wal-batch-max records (at most wal-batch-max-bytes per
      // round). Records that arrive meanwhile wait for the next round.
      continue;
    }
    int64_t now = MonoUs();
    bool want_sync = unsynced_ && (pol == FsyncPolicy::kAlways || failing || stop ||
                                   (pol == FsyncPolicy::kEverySec && now - last_sync_us_ >= 1000000));
    if (want_sync) {
      if (!Sync()) {
        failing = true;
        if (stop) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      progressed = true;
    }
    if (failing && !unsynced_) {
      failing = false;
      write_errno_.store(0, std::memory_order_release);
      Log(LogLevel::kWarning, "WAL: writing works again; writes are accepted.");
    }
    if (progressed && on_progress_) on_progress_();
    if (stop) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.ReadableBytes() == 0 && batch_.ReadableBytes() == 0) return;
    }
  }
}

Stats Wal::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.last_lsn = last_lsn();
  s.written_lsn = written_lsn();
  s.synced_lsn = synced_lsn();
  s.pending_records = queued_records_;
  s.pending_bytes = queue_.ReadableBytes();
  s.write_errno = write_errno();
  return s;
}

bool Wal::InstallBase(const std::string& tmp_path, uint64_t lsn, std::string* error) {
  {
    // Records after lsn must be in a segment of their own before older segments can go.
    std::unique_lock<std::mutex> lock(mu_);
    if (!done_cv_.wait_for(lock, std::chrono::seconds(30),
                           [&] { return current_first_ > lsn || stop_; }) ||
        current_first_ <= lsn) {
      *error = "the log did not rotate";
      return false;
    }
  }
  std::string path = BasePath(lsn);
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    *error = Format("can't rename %s: %s", tmp_path.c_str(), std::strerror(errno));
    return false;
  }
  if (!SyncDir(error)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t old_base = base_lsn_;
  base_lsn_ = lsn;
  if (old_base != 0 && old_base != lsn) ::unlink(BasePath(old_base).c_str());
  for (const Segment& s : closed_)
    if (s.first_lsn <= lsn) ::unlink(s.path.c_str());
  RecomputeSizesLocked();
  rewrite_base_size_.store(stats_.current_size);
  return true;
}

void Wal::ContinueAfter(uint64_t lsn) {
  if (last_lsn() >= lsn) return;
  last_lsn_.store(lsn);
  written_lsn_.store(lsn);
  synced_lsn_.store(lsn);
}

void Wal::DropThrough(uint64_t lsn) {
  std::unique_lock<std::mutex> lock(mu_);
  // The rotation asked for at the checkpoint's instant is normally done by now; give the
  // writer a moment if not (the segment holding lsn can only go once it is closed).
  done_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return current_first_ > lsn || stop_; });
  RecomputeSizesLocked();  // the list of closed segments as of now (a rotation may just have run)
  // A closed segment ends where the next one (or the current one) begins.
  for (size_t i = 0; i < closed_.size(); ++i) {
    uint64_t next_first = i + 1 < closed_.size() ? closed_[i + 1].first_lsn : current_first_;
    if (next_first != 0 && next_first - 1 <= lsn) ::unlink(closed_[i].path.c_str());
  }
  if (base_lsn_ != 0 && base_lsn_ <= lsn) {
    ::unlink(BasePath(base_lsn_).c_str());
    base_lsn_ = 0;
  }
  RecomputeSizesLocked();
}

}  // namespace strata::wal
