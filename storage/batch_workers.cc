#include "storage/batch_workers.h"

namespace affonso::storage {

metrics::Histogram* BatchSizeHistogram(metrics::Registry* registry, const std::string& name,
                                       const std::string& help) {
  if (registry == nullptr) return nullptr;
  return &registry->AddHistogram(name, help, {}, {1, 2, 4, 8, 16, 32, 64, 128, 256}).WithLabels({});
}

absl::Status BatchQueueFullError() {
  return absl::UnavailableError("server busy: too many calls waiting for the database; retry");
}

bool IsRowSpecificFailure(const absl::Status& status) {
  // The pool's mapping (internal::CurrentExceptionToStatus): a foreign-key,
  // check or text-representation violation is FAILED_PRECONDITION, a unique
  // violation ALREADY_EXISTS.
  return status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kAlreadyExists;
}

}  // namespace affonso::storage
