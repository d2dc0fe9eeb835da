#include "service/api/registry.h"

#include "jsonpath/document.h"

namespace stepd::service {

LogSettings ParseLogSettings(std::string_view canonical_json) {
  LogSettings settings;
  Document document;
  auto root = document.Parse(canonical_json);
  if (!root || !root->IsObject()) {
    return settings;
  }
  const Value level = root->Find("level");
  const std::string_view name = level.IsString() ? level.AsString() : "OFF";
  settings.level = name == "ALL"     ? LogLevel::kAll
                   : name == "ERROR" ? LogLevel::kError
                   : name == "FATAL" ? LogLevel::kFatal
                                     : LogLevel::kOff;
  const Value include = root->Find("includeExecutionData");
  settings.include_execution_data = include.IsBool() && include.AsBool();
  // destinations[0].cloudWatchLogsLogGroup.logGroupArn = arn:aws:logs:R:A:log-group:NAME:*
  const Value destinations = root->Find("destinations");
  const Value arn = destinations.IsArray() && destinations.Size() > 0
                        ? destinations.At(0).Find("cloudWatchLogsLogGroup").Find("logGroupArn")
                        : Value();
  if (arn.IsString()) {
    std::string_view text = arn.AsString();
    constexpr std::string_view kMarker = ":log-group:";
    const std::size_t at = text.find(kMarker);
    if (at != std::string_view::npos) {
      text.remove_prefix(at + kMarker.size());
      if (text.ends_with(":*")) {
        text.remove_suffix(2);
      }
      settings.log_group.assign(text);
    }
  }
  if (settings.log_group.empty()) {
    settings.level = LogLevel::kOff;  // nowhere to write
  }
  return settings;
}

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
