#include "storage/lazyfree.h"

#include <utility>

namespace strata::storage {

LazyFree::~LazyFree() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LazyFree::Free(Entry* e, Reason why) {
  if (e == nullptr) return;
  if (!lazy(why) || e->type() == ObjType::kString || e->obj()->FreeEffort() <= kThreshold) {
    Entry::Free(e);
    return;
  }
  Job job;
  job.entry = e;
  job.count = 1;
  Push(std::move(job));
}

void LazyFree::FreeTable(std::unique_ptr<Dict> table) {
  if (table == nullptr || table->size() == 0) return;  // (an empty one is freed right here)
  Job job;
  job.count = table->size();
  job.table = std::move(table);
  Push(std::move(job));
}

void LazyFree::Push(Job job) {
  pending_.fetch_add(job.count, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }
  cv_.notify_one();
}

void LazyFree::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and nothing left
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    Entry::Free(job.entry);
    job.table.reset();  // ~Dict frees every entry
    pending_.fetch_sub(job.count, std::memory_order_relaxed);
    freed_.fetch_add(job.count, std::memory_order_relaxed);
    lock.lock();
    busy_ = false;
    if (jobs_.empty()) idle_cv_.notify_all();
  }
}

void LazyFree::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return jobs_.empty() && !busy_; });
}

}  // namespace strata::storage
