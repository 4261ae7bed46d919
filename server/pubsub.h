// Pub/Sub across worker threads: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBEs,
// PUBLISH, SPUBLISH and PUBSUB, with Redis 7.0's replies.
//
// Two levels of state:
//  - PubSubRegistry (shared by all threads, one shared_mutex): channel / pattern / shard
//    channel -> the subscribers, each a (worker, client id). PUBLISH reads it under the shared
//    lock, so publishers on different workers do not serialize; (un)subscribes write it.
//  - Per worker (loop thread only, no lock): client id -> the names that client is subscribed
//    to. It answers "unsubscribe from everything", keeps ClientState::subscriptions equal to
//    channels + patterns + shard channels, and is checked again when a message is delivered.
//
// PUBLISH on worker A collects the receivers, encodes the payload once, and hands each other
// worker one task (Worker::Post) holding all of that worker's receivers; receivers on A itself
// are written at once. A task looks each receiver up by id (it may be gone), checks that it is
// still subscribed (a message must not follow its unsubscribe confirmation, or a RESP2 client
// would read it as the reply of its next command) and writes the message through that
// connection's own writer (so RESP2 arrays or RESP3 pushes follow the receiver). Like Redis's
// write-before-sleep, small messages are sent once the loop iteration's I/O callbacks are done
// (a one-shot uv_check handle on that worker's loop), not one write per message per
// subscriber; a receiver holding 64 KiB or more unsent is flushed at once.
// Messages from one publisher to one subscriber keep their order: the publisher's commands run
// in order on one thread, a subscriber's worker never changes, and a worker's inbox is FIFO.
//
// Slow subscribers: after each message the receiver's pending output is checked against
// client-output-buffer-limit pubsub (Redis's defaults: hard 32mb, soft 8mb for 60 s). A client
// over it is logged and marked for closing (kill_requested + Wake: its loop closes it, like
// CLIENT KILL), so memory stays bounded while everyone else is served.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands/command.h"

namespace strata::server {

class Server;
class Connection;
class Worker;

enum class SubKind : int { kChannel = 0, kPattern = 1, kShard = 2 };
inline constexpr int kNumSubKinds = 3;

struct Subscriber {
  Worker* worker = nullptr;
  uint64_t client_id = 0;
  bool operator==(const Subscriber& o) const {
    return worker == o.worker && client_id == o.client_id;
  }
};

// The receivers of one published message on one worker.
struct Delivery {
  Worker* worker = nullptr;
  std::vector<std::string> patterns;  // the matching patterns, each once
  struct Target {
    uint64_t client_id;
    int32_t pattern;  // index into patterns, or -1: subscribed to the channel itself
  };
  std::vector<Target> targets;  // channel subscribers first, then pattern matches (as Redis)
};

// Who is subscribed to what. Thread-safe. Knows nothing of connections: a Subscriber's worker
// is only an identity here (the unit tests use made-up pointers).
class PubSubRegistry {
 public:
  // The caller keeps each (kind, name, subscriber) unique (the per-client sets do).
  void Add(SubKind kind, std::string_view name, Subscriber s);
  void Remove(SubKind kind, std::string_view name, Subscriber s);
  // Removes s from every (kind, name) listed, under one lock.
  void RemoveAll(Subscriber s, const std::vector<std::pair<SubKind, std::string>>& names);

  // The receivers of a message on `channel` (kChannel: its subscribers, then every matching
  // pattern's; kShard: the shard channel's subscribers), grouped by worker into *out (cleared
  // first). Returns the number of receivers, counted like Redis's PUBLISH.
  size_t Collect(SubKind kind, std::string_view channel, std::vector<Delivery>* out) const;

  // PUBSUB CHANNELS / SHARDCHANNELS: names with subscribers, matching the glob (empty: all).
  std::vector<std::string> Names(SubKind kind, std::string_view pattern, bool all) const;
  // PUBSUB NUMSUB / SHARDNUMSUB.
  size_t NumSubscribers(SubKind kind, std::string_view name) const;
  // Distinct names of a kind (PUBSUB NUMPAT for patterns; INFO's pubsub_channels...).
  size_t Count(SubKind kind) const;

 private:
  using Map = std::unordered_map<std::string, std::vector<Subscriber>>;
  void RemoveLocked(SubKind kind, const std::string& name, Subscriber s);

  mutable std::shared_mutex mu_;
  Map maps_[kNumSubKinds];  // guarded by mu_
};

// client-output-buffer-limit pubsub <hard> <soft> <soft seconds>; 0 disables a limit.
struct OutputLimit {
  size_t hard = 32u << 20;
  size_t soft = 8u << 20;
  int64_t soft_seconds = 60;
};

// Redis's checkClientOutputBufferLimits: true when a client with `used` bytes of pending output
// must be closed. *soft_since_ms remembers when it went over the soft limit (0: it is not).
bool OverOutputLimit(const OutputLimit& limit, size_t used, int64_t now_ms,
                     int64_t* soft_since_ms);

class PubSub {
 public:
  explicit PubSub(Server* server);
  ~PubSub();

  // Loop thread of c. Each writes its confirmation reply(ies) to out (c's reply writer).
  void Subscribe(Connection& c, protocol::ReplyWriter& out, SubKind kind, std::string_view name);
  void Unsubscribe(Connection& c, protocol::ReplyWriter& out, SubKind kind,
                   std::string_view name);
  // Leaves every name of that kind, one confirmation each (UNSUBSCRIBE with no arguments);
  // with none, one confirmation with a null name.
  void UnsubscribeAll(Connection& c, protocol::ReplyWriter& out, SubKind kind);
  // Loop thread of `from` (may be null: then every receiver is reached through its worker's
  // inbox). Returns the number of receivers.
  size_t Publish(Connection* from, SubKind kind, std::string_view channel,
                 std::string_view message);

  // Loop thread of c: leaves everything without replying (disconnect, RESET).
  void OnClientClosed(Connection& c);

  const PubSubRegistry& registry() const { return registry_; }

  // client-output-buffer-limit pubsub (any thread).
  void SetOutputLimit(const OutputLimit& limit);
  OutputLimit output_limit() const;

 private:
  struct ClientSubs {
    std::unordered_set<std::string> names[kNumSubKinds];
    int64_t soft_since_ms = 0;  // over the soft output limit since (0: not over)
    bool unflushed = false;     // listed in Local::unflushed
    size_t total() const { return names[0].size() + names[1].size() + names[2].size(); }
  };
  // One per worker, touched only by that worker's loop thread.
  static void PublishCounts(Connection& c, const ClientSubs* subs);
  struct alignas(64) Local {
    std::unordered_map<uint64_t, ClientSubs> clients;
    // Receivers with small messages written but not yet sent: flushed together once the
    // loop's current iteration has run its I/O callbacks, so a burst of PUBLISHes costs one
    // write per subscriber.
    std::vector<uint64_t> unflushed;
    bool flush_scheduled = false;
  };

  Local& LocalOf(Worker* w);
  static void Confirm(protocol::ReplyWriter& out, const char* what, SubKind kind,
                      const std::string* name, const ClientSubs* subs);
  struct Payload;  // one published message, encoded once for every receiver
  void Deliver(Worker& w, SubKind kind, const Payload& msg, const Delivery& d,
               Connection* publisher);
  void ScheduleFlush(Worker& w, Local& local);  // FlushUnflushed at the end of this iteration
  void FlushUnflushed(Worker& w);

  Server* server_;
  PubSubRegistry registry_;
  std::once_flag locals_once_;
  std::unique_ptr<Local[]> locals_;
  size_t num_locals_ = 0;
  std::atomic<size_t> limit_hard_, limit_soft_;
  std::atomic<int64_t> limit_soft_seconds_;
};

// SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB
// (server/pubsub.cc).
void RegisterPubSubFamily(cmd::CommandRegistry& r);

}  // namespace strata::server
