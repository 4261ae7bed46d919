// Pub/Sub (being written).
#include "server/pubsub.h"

namespace strata::server {

void RegisterPubSubFamily(cmd::CommandRegistry& r) { (void)r; }

}  // namespace strata::server
