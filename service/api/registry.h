#pragma once
// The state machines this stepd knows, by name.
//
// Records are immutable: an update publishes a new record, and an execution that started on
// the old one keeps it alive through its shared_ptr. Writers (the control plane, the
// definitions directory) are rare and serialised by a mutex; each write publishes a new
// snapshot of the whole map. Readers on the hot path go through a Reader, which keeps its own
// snapshot and only takes the mutex when a write happened since (one relaxed-acquire load per
// lookup otherwise), so executions never contend with each other.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/service_metrics.h"
#include "runtime/machine.h"
#include "service/api/logging_settings.h"

namespace stepd::service {

struct Tag {
  std::string key;
  std::string value;
};

struct StateMachineRecord {
  std::string name;
  std::string arn;
  std::string definition;  // as the user sent it
  std::string role_arn;
  std::string type;  // "EXPRESS" (STANDARD is refused until supported)
  // Canonical JSON of the loggingConfiguration as DescribeStateMachine returns it.
  std::string logging_configuration = R"({"level":"OFF","includeExecutionData":false})";
  std::string tracing_configuration = R"({"enabled":false})";
  std::string description;
  std::string revision_id;
  double creation_date = 0;  // epoch seconds, as the AWS JSON protocol prints timestamps
  double update_date = 0;    // 0: never updated
  std::vector<Tag> tags;
  std::shared_ptr<const runtime::CompiledMachine> machine;
  LoggingSettings logging;  // logging_configuration, parsed
  // This machine's counters, resolved when it is created so executions never look them up.
  // Null only where no metrics are kept (unit tests of the control plane alone).
  std::shared_ptr<metrics::MachineMetrics> metrics;
};

using RecordPtr = std::shared_ptr<const StateMachineRecord>;

class Registry {
 public:
  // Sorted by name, so listings and pagination are stable.
  using Map = std::map<std::string, RecordPtr, std::less<>>;

  Registry() : snapshot_(std::make_shared<const Map>()) {}
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Runs `change` on a copy of the map under the writers' mutex and publishes the result when
  // it returns true. Returns what `change` returned. The one way to write.
  bool Mutate(const std::function<bool(Map&)>& change);

  RecordPtr Find(std::string_view name) const;
  std::shared_ptr<const Map> Snapshot() const;

  // A hot-path view for one thread.
  class Reader {
   public:
    explicit Reader(const Registry& registry) : registry_(&registry) {}
    // The current record for `name`, or null.
    const RecordPtr* Find(std::string_view name);

   private:
    const Registry* registry_;
    std::shared_ptr<const Map> snapshot_;
    std::uint64_t generation_ = ~std::uint64_t{0};
  };

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Map> snapshot_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace stepd::service
