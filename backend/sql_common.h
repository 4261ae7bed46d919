// Pieces both SQL backends share: the strata_meta row names, the schema-version check, placing
// fetched rows into Get's output, cutting ScanPage's pages, and the blocking pool that lends
// read connections to Get, ScanPage and KeyAt.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace strata::backend {

// strata_meta's rows.
constexpr char kMetaSchemaVersion[] = "schema_version";
constexpr char kMetaCheckpointLsn[] = "checkpoint_lsn";

// True when this build can serve a table whose strata_meta says `stored` (kSchemaVersion, or an
// older version Open migrates first); else false + error.
bool CheckSchemaVersion(int64_t stored, std::string* error);

// A fetched page: `fetched` holds at most count + 1 rows in position order, the result of
// "pos >= from ORDER BY pos LIMIT count + 1" (count >= 1). Where the page ends:
//   - fetched.size() <= count: the end of the database; keep all, next = 0.
//   - else, with P the position of row `count` (the first row not to return): keep the rows
//     before the first row at P, next = P (the run of rows at P, which may continue past what
//     was fetched, starts the next page whole).
//   - when that leaves nothing (every fetched row is at P): whole_run, run_pos = P; the caller
//     fetches every row at P as the page, and next = P + 1 (0 when P is kMaxKeyPosition).
struct PageCut {
  size_t keep = 0;
  uint64_t next = 0;
  bool whole_run = false;
  uint64_t run_pos = 0;
};
PageCut CutPage(const std::vector<KeyInfo>& fetched, size_t count);

// Stores `row` in (*out)[i] for every i in [begin, end) with keys[i] == row.key (a request may
// name a key twice). The last match takes the row by move, the others copy it.
void PlaceRow(const std::vector<std::string>& keys, size_t begin, size_t end, Row&& row,
              std::vector<std::optional<Row>>* out);

// Counts the engaged entries of *out (Stats::get_found).
uint64_t CountFound(const std::vector<std::optional<Row>>& out);

// A fixed set of connections, each lent to one caller at a time. Thread-safe. Acquire blocks
// while every connection is out; after Close it returns nullptr at once, and a connection
// given back after Close is destroyed.
template <typename Conn>
class ConnPool {
 public:
  ConnPool() = default;
  ConnPool(const ConnPool&) = delete;
  ConnPool& operator=(const ConnPool&) = delete;

  // Open state: Acquire hands out connections again (Open of the backend).
  void Reopen() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = false;
  }
  void Add(std::unique_ptr<Conn> conn) { Release(std::move(conn)); }
  // Open of the backend: reopens the pool with n (at least 1) connections made by
  // make(std::string* error) (nullptr on failure). False + error if one could not be made.
  template <typename Make>
  bool Fill(size_t n, Make make, std::string* error) {
    Reopen();
    for (size_t i = 0; i < std::max<size_t>(n, 1); ++i) {
      std::unique_ptr<Conn> conn = make(error);
      if (!conn) return false;
      Add(std::move(conn));
    }
    return true;
  }

  std::unique_ptr<Conn> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return closed_ || !idle_.empty(); });
    if (closed_) return nullptr;
    std::unique_ptr<Conn> conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }

  void Release(std::unique_ptr<Conn> conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;  // `conn` is destroyed outside the lock
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  // Destroys the idle connections and wakes every waiter (they get nullptr).
  void Close() {
    std::vector<std::unique_ptr<Conn>> idle;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      idle.swap(idle_);
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = true;                       // guarded by mu_
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
};

// A connection borrowed from a ConnPool for one scope; empty (!ok()) when the pool is closed.
template <typename Conn>
class Borrowed {
 public:
  explicit Borrowed(ConnPool<Conn>* pool) : pool_(pool), conn_(pool->Acquire()) {}
  ~Borrowed() {
    if (conn_) pool_->Release(std::move(conn_));
  }
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  bool ok() const { return conn_ != nullptr; }
  Conn* operator->() const { return conn_.get(); }
  Conn& operator*() const { return *conn_; }

 private:
  ConnPool<Conn>* pool_;
  std::unique_ptr<Conn> conn_;
};

}  // namespace strata::backend
