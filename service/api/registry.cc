#include "service/api/registry.h"

namespace stepd::service {

bool Registry::Mutate(const std::function<bool(Map&)>& change) {
  const std::lock_guard lock(mutex_);
  auto next = std::make_shared<Map>(*snapshot_);
  if (!change(*next)) {
    return false;
  }
  snapshot_ = std::move(next);
  generation_.fetch_add(1, std::memory_order_release);
  return true;
}

RecordPtr Registry::Find(std::string_view name) const {
  const std::shared_ptr<const Map> map = Snapshot();
  const auto it = map->find(name);
  return it == map->end() ? nullptr : it->second;
}

std::shared_ptr<const Registry::Map> Registry::Snapshot() const {
  const std::lock_guard lock(mutex_);
  return snapshot_;
}

const RecordPtr* Registry::Reader::Find(std::string_view name) {
  const std::uint64_t generation = registry_->generation_.load(std::memory_order_acquire);
  if (generation != generation_) {
    snapshot_ = registry_->Snapshot();
    generation_ = generation;
  }
  const auto it = snapshot_->find(name);
  return it == snapshot_->end() ? nullptr : &it->second;
}

}  // namespace stepd::service
