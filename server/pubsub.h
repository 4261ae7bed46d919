// Pub/Sub across worker threads (being written). Contract with the rest of server/:
//  - Server owns one PubSub (Server::pubsub()).
//  - Connection::Close calls OnClientClosed() so a closed client leaves every channel/pattern.
//  - ClientState::subscriptions counts this client's channels + patterns (the dispatcher uses it
//    for the RESP2 "subscribed context" rules).
#pragma once

#include <cstdint>

#include "commands/command.h"

namespace strata::server {

class Server;
class Connection;

class PubSub {
 public:
  explicit PubSub(Server* server) : server_(server) {}
  // Loop thread of c.
  void OnClientClosed(Connection& c) { (void)c; }

 private:
  Server* server_;
};

// SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB (server/pubsub.cc).
void RegisterPubSubFamily(cmd::CommandRegistry& r);

}  // namespace strata::server
