// Test helper: runs commands in-process against a private keyspace and returns the exact RESP
// bytes of each reply, e.g. Run({"SET", "k", "v"}) == "+OK\r\n". Commands go through the
// server's dispatcher (server/dispatcher.h, Mode::kTest: lookup, arity, keys, locks, handler)
// with no WAL, tier or connection; watches() is a real WatchRegistry, so WATCH marks can be
// tested. The clock is a settable value (now_ms) so TTL tests need no sleeping. Also small
// builders for expected replies (Bulk("v"), Int(3), Err("..."), ...).
// Thread: a runner is used by one thread at a time.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "common/buffer.h"
#include "protocol/reply_writer.h"
#include "server/dispatcher.h"
#include "server/transaction.h"
#include "storage/keyspace.h"

namespace strata::testing {

class CommandRunner {
 public:
  // A wall-clock-like default so that absolute times (EXPIREAT) in tests look realistic.
  static constexpr int64_t kDefaultNowMs = 1700000000000;

  explicit CommandRunner(size_t dbs = 16, size_t shards = 16)
      : keyspace_(dbs, shards), writer_(&buf_), dispatcher_(Parts()) {
    cmd::RegisterDataFamilies(registry_);
  }
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;

  // Runs one command; returns its reply bytes.
  std::string Run(std::vector<std::string> args) { return RunDirty(std::move(args)).reply; }

  // A command's reply and the number of changes it reported (ctx.dirty).
  struct DirtyRun {
    std::string reply;
    uint64_t dirty;
  };
  DirtyRun RunDirty(std::vector<std::string> args) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    cmd::CommandContext ctx;
    ctx.argv = argv.data();
    ctx.argc = argv.size();
    ctx.out = &writer_;
    ctx.client = &client_;
    ctx.keyspace = &keyspace_;
    ctx.registry = &registry_;
    ctx.now_ms = now_ms;
    writer_.set_resp3(client_.resp == 3);
    server::Effects fx;
    dispatcher_.Run(ctx, server::Mode::kTest, &fx);
    DirtyRun out{std::string(buf_.Readable()), ctx.dirty};
    buf_.Clear();
    return out;
  }

  // Runs a context the test prepared (its own reply writer, say) through the dispatcher.
  void Dispatch(cmd::CommandContext& ctx) {
    server::Effects fx;
    dispatcher_.Run(ctx, server::Mode::kTest, &fx);
  }

  void Advance(int64_t ms) { now_ms += ms; }

  storage::Keyspace& keyspace() { return keyspace_; }
  server::WatchRegistry& watches() { return watches_; }
  cmd::CommandRegistry& registry() { return registry_; }
  cmd::ClientState& client() { return client_; }

  int64_t now_ms = kDefaultNowMs;  // what handlers see as ctx.now_ms

 private:
  server::DispatchParts Parts() {
    server::DispatchParts p;
    p.keyspace = &keyspace_;
    p.registry = &registry_;
    p.watches = &watches_;
    return p;
  }

  storage::Keyspace keyspace_;
  cmd::CommandRegistry registry_;
  server::WatchRegistry watches_;
  cmd::ClientState client_;
  Buffer buf_;
  protocol::ReplyWriter writer_;
  server::Dispatcher dispatcher_;
};

// A stand-in collection, so WRONGTYPE paths and TYPE/OBJECT can be tested before real lists,
// hashes, ... exist.
class FakeCollection : public storage::Object {
 public:
  const char* EncodingName() const override { return "fakeenc"; }
  storage::Object* Clone() const override { return new FakeCollection(); }
};

// Stores a FakeCollection of type t under key in database db (as a collection command would).
inline void PutFakeCollection(CommandRunner& r, std::string_view key,
                              storage::ObjType t = storage::ObjType::kList, size_t db = 0) {
  storage::KeyRef k = r.keyspace().db(db).Ref(key);
  storage::ShardLock lock(k);
  k.shard->Put(storage::Entry::NewObject(key, t, new FakeCollection(), storage::kNoExpire),
               k.hash);
}

// Expected reply builders (RESP2).
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
inline std::string Err(std::string_view msg) { return "-" + std::string(msg) + "\r\n"; }
inline std::string Simple(std::string_view s) { return "+" + std::string(s) + "\r\n"; }
inline const char kOk[] = "+OK\r\n";
inline const char kNil[] = "$-1\r\n";
inline std::string ArrayOf(const std::vector<std::string>& encoded_items) {
  std::string out = "*" + std::to_string(encoded_items.size()) + "\r\n";
  for (const std::string& item : encoded_items) out += item;
  return out;
}
inline std::string BulkArray(std::initializer_list<std::string_view> items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (std::string_view s : items) out += Bulk(s);
  return out;
}

// Decodes a flat RESP2 array of bulk strings / nils (what KEYS, MGET, SCAN's key list reply);
// nil elements come back as "(nil)". Returns false on anything else.
inline bool ParseBulkArray(std::string_view r, std::vector<std::string>* out, size_t* consumed = nullptr) {
  auto read_line = [&](size_t& pos, std::string_view* line) {
    size_t end = r.find("\r\n", pos);
    if (end == std::string_view::npos) return false;
    *line = r.substr(pos, end - pos);
    pos = end + 2;
    return true;
  };
  size_t pos = 0;
  std::string_view line;
  if (!read_line(pos, &line) || line.empty() || line[0] != '*') return false;
  long n = std::stol(std::string(line.substr(1)));
  out->clear();
  for (long i = 0; i < n; ++i) {
    if (!read_line(pos, &line) || line.empty() || line[0] != '$') return false;
    long len = std::stol(std::string(line.substr(1)));
    if (len < 0) {
      out->push_back("(nil)");
      continue;
    }
    if (pos + static_cast<size_t>(len) + 2 > r.size()) return false;
    out->emplace_back(r.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len) + 2;
  }
  if (consumed != nullptr) *consumed = pos;
  return true;
}

}  // namespace strata::testing
