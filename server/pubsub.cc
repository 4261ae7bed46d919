// Pub/Sub: the shared registry, per-worker client subscriptions, cross-worker delivery, the
// pubsub output buffer limit, and the command handlers (see pubsub.h for the design).
#include "server/pubsub.h"

#include <uv.h>

#include <algorithm>

#include "common/errors.h"
#include "common/format.h"
#include "common/log.h"
#include "common/strutil.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/worker.h"

namespace strata::server {

using cmd::CommandContext;
using cmd::CommandSpec;

namespace {
int K(SubKind k) { return static_cast<int>(k); }

// The words of Redis's confirmation and message replies, by kind.
const char* const kSubscribeWord[kNumSubKinds] = {"subscribe", "psubscribe", "ssubscribe"};
const char* const kUnsubscribeWord[kNumSubKinds] = {"unsubscribe", "punsubscribe",
                                                    "sunsubscribe"};
}  // namespace

// ---- PubSubRegistry ----

void PubSubRegistry::Add(SubKind kind, std::string_view name, Subscriber s) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  maps_[K(kind)][std::string(name)].push_back(s);
}

void PubSubRegistry::RemoveLocked(SubKind kind, const std::string& name, Subscriber s) {
  Map& m = maps_[K(kind)];
  auto it = m.find(name);
  if (it == m.end()) return;
  std::vector<Subscriber>& v = it->second;
  // erase, not swap-and-pop: Redis delivers in subscription order.
  auto pos = std::find(v.begin(), v.end(), s);
  if (pos != v.end()) v.erase(pos);
  if (v.empty()) m.erase(it);  // PUBSUB CHANNELS lists only channels with subscribers
}

void PubSubRegistry::Remove(SubKind kind, std::string_view name, Subscriber s) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  RemoveLocked(kind, std::string(name), s);
}

void PubSubRegistry::RemoveAll(Subscriber s,
                               const std::vector<std::pair<SubKind, std::string>>& names) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const auto& [kind, name] : names) RemoveLocked(kind, name, s);
}

size_t PubSubRegistry::Collect(SubKind kind, std::string_view channel,
                               std::vector<Delivery>* out) const {
  out->clear();
  auto batch = [out](Worker* w) -> Delivery& {
    for (Delivery& d : *out)
      if (d.worker == w) return d;
    out->emplace_back();
    out->back().worker = w;
    return out->back();
  };
  size_t receivers = 0;
  std::shared_lock<std::shared_mutex> lock(mu_);
  const Map& exact = maps_[K(kind)];
  if (!exact.empty()) {
    auto it = exact.find(std::string(channel));
    if (it != exact.end()) {
      for (const Subscriber& s : it->second) batch(s.worker).targets.push_back({s.client_id, -1});
      receivers += it->second.size();
    }
  }
  if (kind == SubKind::kChannel) {
    // Like Redis: every pattern is matched against every published channel.
    for (const auto& [pattern, subs] : maps_[K(SubKind::kPattern)]) {
      if (!GlobMatch(pattern, channel)) continue;
      for (const Subscriber& s : subs) {
        Delivery& d = batch(s.worker);
        if (d.patterns.empty() || d.patterns.back() != pattern) d.patterns.push_back(pattern);
        d.targets.push_back({s.client_id, static_cast<int32_t>(d.patterns.size() - 1)});
      }
      receivers += subs.size();
    }
  }
  return receivers;
}

std::vector<std::string> PubSubRegistry::Names(SubKind kind, std::string_view pattern,
                                               bool all) const {
  std::vector<std::string> names;
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [name, subs] : maps_[K(kind)])
    if (all || GlobMatch(pattern, name)) names.push_back(name);
  return names;
}

size_t PubSubRegistry::NumSubscribers(SubKind kind, std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  const Map& m = maps_[K(kind)];
  auto it = m.find(std::string(name));
  return it == m.end() ? 0 : it->second.size();
}

size_t PubSubRegistry::Count(SubKind kind) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return maps_[K(kind)].size();
}

// ---- output limit ----

bool OverOutputLimit(const OutputLimit& limit, size_t used, int64_t now_ms,
                     int64_t* soft_since_ms) {
  bool hard = limit.hard > 0 && used >= limit.hard;
  bool soft = limit.soft > 0 && used >= limit.soft;
  if (soft) {
    if (*soft_since_ms == 0) {
      *soft_since_ms = now_ms;  // the clock starts now
      soft = false;
    } else if (now_ms - *soft_since_ms <= limit.soft_seconds * 1000) {
      soft = false;
    }
  } else {
    *soft_since_ms = 0;
  }
  return hard || soft;
}

// ---- PubSub ----

struct PubSub::Payload {
  std::string channel;
  std::string body;  // "$<n>\r\n<channel>\r\n$<n>\r\n<message>\r\n", the same in RESP2 and 3
};

PubSub::PubSub(Server* server) : server_(server) { SetOutputLimit(OutputLimit()); }

PubSub::~PubSub() = default;

void PubSub::SetOutputLimit(const OutputLimit& limit) {
  limit_hard_.store(limit.hard, std::memory_order_relaxed);
  limit_soft_.store(limit.soft, std::memory_order_relaxed);
  limit_soft_seconds_.store(limit.soft_seconds, std::memory_order_relaxed);
}

OutputLimit PubSub::output_limit() const {
  OutputLimit l;
  l.hard = limit_hard_.load(std::memory_order_relaxed);
  l.soft = limit_soft_.load(std::memory_order_relaxed);
  l.soft_seconds = limit_soft_seconds_.load(std::memory_order_relaxed);
  return l;
}

PubSub::Local& PubSub::LocalOf(Worker* w) {
  // The workers all exist before any of them runs a command (Server::Start).
  std::call_once(locals_once_, [this] {
    num_locals_ = std::max<size_t>(1, server_->workers().size());
    locals_.reset(new Local[num_locals_]);
  });
  return locals_[static_cast<size_t>(w->index()) % num_locals_];
}

// The client's subscription counts: ClientState::subscriptions for the dispatcher (RESP2
// subscribed context) and the connection's atomics for CLIENT LIST on other threads.
void PubSub::PublishCounts(Connection& c, const ClientSubs* subs) {
  size_t n[kNumSubKinds] = {0, 0, 0};
  if (subs != nullptr)
    for (int k = 0; k < kNumSubKinds; ++k) n[k] = subs->names[k].size();
  c.client().subscriptions = n[0] + n[1] + n[2];
  c.sub.store(static_cast<int>(n[K(SubKind::kChannel)]), std::memory_order_relaxed);
  c.psub.store(static_cast<int>(n[K(SubKind::kPattern)]), std::memory_order_relaxed);
  c.ssub.store(static_cast<int>(n[K(SubKind::kShard)]), std::memory_order_relaxed);
}

void PubSub::Confirm(protocol::ReplyWriter& out, const char* what, SubKind kind,
                     const std::string* name, const ClientSubs* subs) {
  size_t count = 0;
  if (subs != nullptr) {
    // Shard subscriptions are counted apart, as in Redis.
    count = kind == SubKind::kShard
                ? subs->names[K(SubKind::kShard)].size()
                : subs->names[K(SubKind::kChannel)].size() + subs->names[K(SubKind::kPattern)].size();
  }
  out.PushHeader(3);
  out.Bulk(what);
  if (name != nullptr) {
    out.Bulk(*name);
  } else {
    out.NullBulk();
  }
  out.Integer(static_cast<int64_t>(count));
}

void PubSub::Subscribe(Connection& c, protocol::ReplyWriter& out, SubKind kind,
                       std::string_view name) {
  ClientSubs& subs = LocalOf(c.worker()).clients[c.id];
  auto [it, added] = subs.names[K(kind)].emplace(name);
  if (added) {
    registry_.Add(kind, name, {c.worker(), c.id});
    PublishCounts(c, &subs);
  }
  Confirm(out, kSubscribeWord[K(kind)], kind, &*it, &subs);
}

void PubSub::Unsubscribe(Connection& c, protocol::ReplyWriter& out, SubKind kind,
                         std::string_view name) {
  std::string key(name);
  auto& clients = LocalOf(c.worker()).clients;
  auto it = clients.find(c.id);
  ClientSubs* subs = it == clients.end() ? nullptr : &it->second;
  if (subs != nullptr && subs->names[K(kind)].erase(key) > 0) {
    registry_.Remove(kind, key, {c.worker(), c.id});
    PublishCounts(c, subs);
  }
  Confirm(out, kUnsubscribeWord[K(kind)], kind, &key, subs);
  if (subs != nullptr && subs->total() == 0) clients.erase(it);
}

void PubSub::UnsubscribeAll(Connection& c, protocol::ReplyWriter& out, SubKind kind) {
  auto& clients = LocalOf(c.worker()).clients;
  auto it = clients.find(c.id);
  if (it == clients.end() || it->second.names[K(kind)].empty()) {
    Confirm(out, kUnsubscribeWord[K(kind)], kind, nullptr,
            it == clients.end() ? nullptr : &it->second);
    return;
  }
  ClientSubs& subs = it->second;
  std::vector<std::string> names(subs.names[K(kind)].begin(), subs.names[K(kind)].end());
  for (const std::string& name : names) {
    subs.names[K(kind)].erase(name);
    registry_.Remove(kind, name, {c.worker(), c.id});
    PublishCounts(c, &subs);
    Confirm(out, kUnsubscribeWord[K(kind)], kind, &name, &subs);
  }
  if (subs.total() == 0) clients.erase(it);
}

void PubSub::OnClientClosed(Connection& c) {
  auto& clients = LocalOf(c.worker()).clients;
  auto it = clients.find(c.id);
  PublishCounts(c, nullptr);
  if (it == clients.end()) return;
  std::vector<std::pair<SubKind, std::string>> names;
  for (int k = 0; k < kNumSubKinds; ++k)
    for (const std::string& n : it->second.names[k]) names.emplace_back(static_cast<SubKind>(k), n);
  clients.erase(it);
  registry_.RemoveAll({c.worker(), c.id}, names);
}

size_t PubSub::Publish(Connection* from, SubKind kind, std::string_view channel,
                       std::string_view message) {
  std::vector<Delivery> batches;
  size_t receivers = registry_.Collect(kind, channel, &batches);
  if (receivers == 0) return 0;

  // Encode the part every receiver shares once; each receiver adds its own header.
  auto msg = std::make_shared<Payload>();
  msg->channel.assign(channel);
  char num[24];
  std::string& b = msg->body;
  b.reserve(channel.size() + message.size() + 32);
  for (std::string_view part : {channel, message}) {
    b += '$';
    b.append(num, FormatUint64(part.size(), num));
    b += "\r\n";
    b.append(part.data(), part.size());
    b += "\r\n";
  }

  Worker* self = from != nullptr ? from->worker() : nullptr;
  Delivery* local = nullptr;
  for (Delivery& d : batches) {
    if (d.worker == self) {
      local = &d;
      continue;
    }
    // One task per worker per message: the worker's inbox keeps the publisher's order.
    d.worker->Post([this, kind, msg, d = std::move(d)](Worker& w) {
      Deliver(w, kind, *msg, d, nullptr);
    });
  }
  // Receivers on the publisher's own worker: written now (the publisher's own RESP3 pushes
  // precede its PUBLISH reply, as in Redis).
  if (local != nullptr) Deliver(*self, kind, *msg, *local, from);
  return receivers;
}

void PubSub::Deliver(Worker& w, SubKind kind, const Payload& msg, const Delivery& d,
                     Connection* publisher) {
  // Past this many unsent bytes a receiver is flushed now rather than with the burst: large
  // messages gain nothing from waiting, and the output limit should see only what the kernel
  // could not take.
  constexpr size_t kFlushNowBytes = 64 * 1024;
  Local& local = LocalOf(&w);
  const OutputLimit limit = output_limit();
  int64_t now_ms = 0;
  for (const Delivery::Target& t : d.targets) {
    Connection* c = w.FindClient(t.client_id);
    if (c == nullptr || c->closing() || c->kill_requested.load(std::memory_order_relaxed))
      continue;
    auto it = local.clients.find(t.client_id);
    if (it == local.clients.end()) continue;
    // Still subscribed? (It may have unsubscribed since the message was published.)
    protocol::ReplyWriter& out = c->writer();
    if (t.pattern < 0) {
      if (it->second.names[K(kind)].count(msg.channel) == 0) continue;
      out.PushHeader(3);
      out.Bulk(kind == SubKind::kShard ? "smessage" : "message");
    } else {
      const std::string& pattern = d.patterns[static_cast<size_t>(t.pattern)];
      if (it->second.names[K(SubKind::kPattern)].count(pattern) == 0) continue;
      out.PushHeader(4);
      out.Bulk("pmessage");
      out.Bulk(pattern);
    }
    out.Raw(msg.body);
    // The publisher's own replies leave at the end of its read batch.
    if (c == publisher) continue;
    // (Not for a client blocked in BLPOP & co: a failed write closes the client, which takes
    // its BlockedClient lock, and a publisher inside EXEC may hold shard locks here.)
    if (out.buffer()->ReadableBytes() >= kFlushNowBytes && !c->blocked()) {
      c->FlushReplies();
      if (c->closing()) continue;  // the write failed; it left `clients` too
    }
    size_t pending = c->pending_output();
    int64_t& soft_since = it->second.soft_since_ms;
    bool near = soft_since != 0 || (limit.soft > 0 && pending >= limit.soft) ||
                (limit.hard > 0 && pending >= limit.hard);
    if (near && now_ms == 0) now_ms = NowMs();  // the clock only when it can matter
    if (near && OverOutputLimit(limit, pending, now_ms, &soft_since)) {
      Log(LogLevel::kWarning,
          "Client id=%llu addr=%s laddr=%s name=%s omem=%zu scheduled to be closed ASAP for "
          "overcoming of output buffer limits.",
          static_cast<unsigned long long>(c->id), c->addr.c_str(), c->laddr.c_str(),
          c->client().name.c_str(), pending);
      // Closed by its own loop, as CLIENT KILL does (never in the middle of a command).
      c->kill_requested.store(true, std::memory_order_relaxed);
      w.Wake();
      continue;
    }
    if (out.buffer()->ReadableBytes() > 0 && !it->second.unflushed) {
      it->second.unflushed = true;
      local.unflushed.push_back(t.client_id);
      if (!local.flush_scheduled) ScheduleFlush(w, local);
    }
  }
}

namespace {
// A one-shot check handle: runs once after this loop iteration's I/O callbacks (the moment
// Redis calls beforeSleep), then closes and frees itself. One per burst, so nothing of
// pub/sub stays on the loop to keep it from ending at shutdown.
struct FlushCheck {
  uv_check_t handle;
  PubSub* pubsub;
  Worker* worker;
};
}  // namespace

void PubSub::ScheduleFlush(Worker& w, Local& local) {
  local.flush_scheduled = true;
  auto* fc = new FlushCheck{};
  fc->pubsub = this;
  fc->worker = &w;
  fc->handle.data = fc;
  uv_check_init(w.loop(), &fc->handle);
  uv_check_start(&fc->handle, [](uv_check_t* h) {
    auto* fc = static_cast<FlushCheck*>(h->data);
    fc->pubsub->FlushUnflushed(*fc->worker);
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* closed) { delete static_cast<FlushCheck*>(closed->data); });
  });
}

void PubSub::FlushUnflushed(Worker& w) {
  Local& local = LocalOf(&w);
  local.flush_scheduled = false;
  std::vector<uint64_t> ids;
  ids.swap(local.unflushed);
  for (uint64_t id : ids) {
    auto it = local.clients.find(id);
    if (it != local.clients.end()) it->second.unflushed = false;
    // Unsubscribed meanwhile or not, what was written still has to go out.
    Connection* c = w.FindClient(id);
    if (c != nullptr && !c->closing()) c->FlushReplies();
  }
}

// ---- commands ----

namespace {

bool HasConnection(CommandContext& ctx) {
  if (ctx.conn != nullptr && ctx.server != nullptr) return true;
  ctx.out->Error(err::kPubSubNeedsConnection);
  return false;
}

template <SubKind kKind>
void SubscribeCmd(CommandContext& ctx) {
  if (!HasConnection(ctx)) return;
  for (size_t i = 1; i < ctx.argc; ++i)
    ctx.server->pubsub().Subscribe(*ctx.conn, *ctx.out, kKind, ctx.arg(i));
}

template <SubKind kKind>
void UnsubscribeCmd(CommandContext& ctx) {
  if (!HasConnection(ctx)) return;
  PubSub& ps = ctx.server->pubsub();
  if (ctx.argc == 1) return ps.UnsubscribeAll(*ctx.conn, *ctx.out, kKind);
  for (size_t i = 1; i < ctx.argc; ++i) ps.Unsubscribe(*ctx.conn, *ctx.out, kKind, ctx.arg(i));
}

template <SubKind kKind>
void PublishCmd(CommandContext& ctx) {
  if (ctx.server == nullptr) return ctx.out->Integer(0);
  size_t n = ctx.server->pubsub().Publish(ctx.conn, kKind, ctx.arg(1), ctx.arg(2));
  ctx.out->Integer(static_cast<int64_t>(n));
}

// Redis's addReplySubcommandSyntaxError.
void SubcommandSyntaxError(CommandContext& ctx) {
  std::string_view sub = ctx.arg(1);
  ctx.out->Error(Format(err::kUnknownSubcommandOrArity,
                        static_cast<int>(std::min<size_t>(sub.size(), 128)), sub.data(), "PUBSUB"));
}

template <SubKind kKind>
void PubSubChannels(CommandContext& ctx) {
  if (ctx.argc > 3) return SubcommandSyntaxError(ctx);
  std::vector<std::string> names = ctx.server->pubsub().registry().Names(
      kKind, ctx.argc == 3 ? ctx.arg(2) : std::string_view(), ctx.argc == 2);
  ctx.out->ArrayHeader(names.size());
  for (const std::string& n : names) ctx.out->Bulk(n);
}

template <SubKind kKind>
void PubSubNumSub(CommandContext& ctx) {
  const PubSubRegistry& reg = ctx.server->pubsub().registry();
  ctx.out->ArrayHeader((ctx.argc - 2) * 2);  // an array in RESP3 too, as Redis 7.0
  for (size_t i = 2; i < ctx.argc; ++i) {
    ctx.out->Bulk(ctx.arg(i));
    ctx.out->Integer(static_cast<int64_t>(reg.NumSubscribers(kKind, ctx.arg(i))));
  }
}

void PubSubNumPat(CommandContext& ctx) {
  ctx.out->Integer(static_cast<int64_t>(ctx.server->pubsub().registry().Count(SubKind::kPattern)));
}

void PubSubHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help."};
  ctx.out->ArrayHeader(sizeof(kLines) / sizeof(kLines[0]));
  for (const char* l : kLines) ctx.out->SimpleString(l);
}

// Shard channels have key specs flagged not_key (cluster hashes them like keys); no other
// pub/sub command has any.
CommandSpec Spec(const char* name, int arity, uint32_t flags, cmd::Handler h, const char* since,
                 const char* summary, const char* syntax, std::vector<cmd::KeySpec> keys = {}) {
  return cmd::MakeSpec(name, arity, flags, std::move(keys), h, "pubsub", since, summary, syntax);
}

}  // namespace

void RegisterPubSubFamily(cmd::CommandRegistry& r) {
  using namespace cmd;
  // Redis 7.0's flags; the (un)subscribe commands may run in the RESP2 subscribed context.
  const uint32_t kSub = kPubSub | kNoScript | kLoading | kStale | kPubSubContext;
  const uint32_t kPub = kPubSub | kLoading | kStale | kFast | kMayReplicate;
  const uint32_t kInfo = kPubSub | kLoading | kStale;
  r.Register(Spec("subscribe", -2, kSub, SubscribeCmd<SubKind::kChannel>, "2.0.0",
                  "Listen for messages published to the given channels", "channel [channel ...]"));
  r.Register(Spec("unsubscribe", -1, kSub, UnsubscribeCmd<SubKind::kChannel>, "2.0.0",
                  "Stop listening for messages posted to the given channels",
                  "[channel [channel ...]]"));
  r.Register(Spec("psubscribe", -2, kSub, SubscribeCmd<SubKind::kPattern>, "2.0.0",
                  "Listen for messages published to channels matching the given patterns",
                  "pattern [pattern ...]"));
  r.Register(Spec("punsubscribe", -1, kSub, UnsubscribeCmd<SubKind::kPattern>, "2.0.0",
                  "Stop listening for messages posted to channels matching the given patterns",
                  "[pattern [pattern ...]]"));
  r.Register(Spec("publish", 3, kPub, PublishCmd<SubKind::kChannel>, "2.0.0",
                  "Post a message to a channel", "channel message"));
  // Shard channels: in standalone Redis 7.0 a separate namespace with no patterns.
  r.Register(Spec("ssubscribe", -2, kSub, SubscribeCmd<SubKind::kShard>, "7.0.0",
                  "Listen for messages published to the given shard channels",
                  "shardchannel [shardchannel ...]", {KeyRange(1, -1, 1, kKeyNotKey)}));
  r.Register(Spec("sunsubscribe", -1, kSub, UnsubscribeCmd<SubKind::kShard>, "7.0.0",
                  "Stop listening for messages posted to the given shard channels",
                  "[shardchannel [shardchannel ...]]", {KeyRange(1, -1, 1, kKeyNotKey)}));
  r.Register(Spec("spublish", 3, kPub, PublishCmd<SubKind::kShard>, "7.0.0",
                  "Post a message to a shard channel", "shardchannel message",
                  {Key(1, kKeyNotKey)}));

  CommandSpec pubsub = Spec("pubsub", -2, 0, nullptr, "2.8.0", "A container for Pub/Sub commands", "");
  pubsub.subcommands = {
      Spec("pubsub|channels", -2, kInfo, PubSubChannels<SubKind::kChannel>, "2.8.0",
           "List active channels", "[pattern]"),
      Spec("pubsub|numpat", 2, kInfo, PubSubNumPat, "2.8.0",
           "Get the count of unique patterns pattern subscriptions", ""),
      Spec("pubsub|numsub", -2, kInfo, PubSubNumSub<SubKind::kChannel>, "2.8.0",
           "Get the count of subscribers for channels", "[channel [channel ...]]"),
      Spec("pubsub|shardchannels", -2, kInfo, PubSubChannels<SubKind::kShard>, "7.0.0",
           "List active shard channels", "[pattern]"),
      Spec("pubsub|shardnumsub", -2, kInfo, PubSubNumSub<SubKind::kShard>, "7.0.0",
           "Get the count of subscribers for shard channels",
           "[shardchannel [shardchannel ...]]"),
      Spec("pubsub|help", 2, kLoading | kStale, PubSubHelp, "6.2.0",
           "Show helpful text about the different subcommands", ""),
  };
  r.Register(std::move(pubsub));
}

}  // namespace strata::server
