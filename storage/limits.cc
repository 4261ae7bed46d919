// The one EncodingLimits instance.
#include "storage/limits.h"

namespace strata::storage {

EncodingLimits& Limits() {
  static EncodingLimits limits;
  return limits;
}

}  // namespace strata::storage
