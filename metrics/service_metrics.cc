#include "metrics/service_metrics.h"

#include <cmath>
#include <limits>
#include <vector>

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace stepd::metrics {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

double Load(const std::atomic<std::uint64_t>& value) {
  return static_cast<double>(value.load(std::memory_order_relaxed));
}

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

ClientMetric Labelled(std::initializer_list<ClientMetric::Label> labels) {
  ClientMetric metric;
  metric.label = labels;
  return metric;
}

void AddCounter(MetricFamily& family, std::initializer_list<ClientMetric::Label> labels,
                double value) {
  ClientMetric metric = Labelled(labels);
  metric.counter.value = value;
  family.metric.push_back(std::move(metric));
}

void AddHistogram(MetricFamily& family, std::initializer_list<ClientMetric::Label> labels,
                  const AtomicHistogram& histogram) {
  const AtomicHistogram::Snapshot snapshot = histogram.Read();
  ClientMetric metric = Labelled(labels);
  for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
    ClientMetric::Bucket bucket;
    bucket.cumulative_count = snapshot.cumulative[i];
    bucket.upper_bound =
        i < kDurationBounds.size() ? kDurationBounds[i] : std::numeric_limits<double>::infinity();
    metric.histogram.bucket.push_back(bucket);
  }
  metric.histogram.sample_count = snapshot.cumulative.back();
  metric.histogram.sample_sum = snapshot.sum;
  family.metric.push_back(std::move(metric));
}

// The handle named `name`, created on first use. The caller holds the maps' mutex.
template <typename Handle>
std::shared_ptr<Handle> FindOrAdd(std::map<std::string, std::shared_ptr<Handle>, std::less<>>& map,
                                  std::string_view name) {
  auto it = map.find(name);
  if (it == map.end()) {
    it = map.emplace(std::string(name), std::make_shared<Handle>()).first;
  }
  return it->second;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

void AtomicHistogram::Observe(double seconds) {
  std::size_t bucket = 0;
  while (bucket < kDurationBounds.size() && seconds > kDurationBounds[bucket]) {
    ++bucket;
  }
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  const double nanos = std::max(0.0, seconds) * 1e9;
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(std::llround(nanos)), std::memory_order_relaxed);
}

AtomicHistogram::Snapshot AtomicHistogram::Read() const {
  Snapshot snapshot;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = running;
  }
  snapshot.sum = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return snapshot;
}

ResourceKind ClassifyResource(std::string_view resource) {
  if (Contains(resource, ":activity:")) {
    return ResourceKind::kActivity;
  }
  if (Contains(resource, ":lambda:") || Contains(resource, ":::lambda:")) {
    return ResourceKind::kLambda;
  }
  constexpr std::pair<std::string_view, ResourceKind> kIntegrations[] = {
      {":::http:", ResourceKind::kHttp},      {":::sqs:", ResourceKind::kSqs},
      {":::sns:", ResourceKind::kSns},        {":::dynamodb:", ResourceKind::kDynamoDb},
      {":::events:", ResourceKind::kEvents},  {":::states:", ResourceKind::kStepFunctions},
      {":::aws-sdk:", ResourceKind::kAwsSdk},
  };
  for (const auto& [marker, kind] : kIntegrations) {
    if (Contains(resource, marker)) {
      return kind;
    }
  }
  return ResourceKind::kOther;
}

std::string_view ResourceKindName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kLambda:
      return "lambda";
    case ResourceKind::kHttp:
      return "http";
    case ResourceKind::kSqs:
      return "sqs";
    case ResourceKind::kSns:
      return "sns";
    case ResourceKind::kDynamoDb:
      return "dynamodb";
    case ResourceKind::kEvents:
      return "events";
    case ResourceKind::kStepFunctions:
      return "states";
    case ResourceKind::kAwsSdk:
      return "aws-sdk";
    case ResourceKind::kActivity:
      return "activity";
    case ResourceKind::kOther:
    case ResourceKind::kCount:
      break;
  }
  return "other";
}

ServiceMetrics::ServiceMetrics(std::string_view version)
    : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::BuildGauge()
      .Name("stepd_build_info")
      .Help("stepd's version; always 1")
      .Register(*registry_)
      .Add({{"version", std::string(version)}})
      .Set(1);
}

ServiceMetrics::~ServiceMetrics() = default;

std::shared_ptr<MachineMetrics> ServiceMetrics::ForStateMachine(std::string_view name) {
  const std::lock_guard lock(mutex_);
  return FindOrAdd(machines_, name);
}

std::shared_ptr<LogGroupMetrics> ServiceMetrics::ForLogGroup(std::string_view name) {
  const std::lock_guard lock(mutex_);
  return FindOrAdd(log_groups_, name);
}

void ServiceMetrics::CountApiRequest(std::size_t action_index, unsigned status) {
  std::size_t status_index = kApiStatuses.size();
  for (std::size_t i = 0; i < kApiStatuses.size(); ++i) {
    if (kApiStatuses[i] == status) {
      status_index = i;
      break;
    }
  }
  api_requests_[action_index][status_index].fetch_add(1, std::memory_order_relaxed);
}

std::string ServiceMetrics::Serialize() const {
  std::vector<MetricFamily> families = registry_->Collect();

  MetricFamily started = Family("stepd_executions_started_total",
                                "Executions started, per state machine", MetricType::Counter);
  MetricFamily succeeded =
      Family("stepd_executions_succeeded_total", "Executions that succeeded", MetricType::Counter);
  MetricFamily failed =
      Family("stepd_executions_failed_total", "Executions that failed", MetricType::Counter);
  MetricFamily timed_out =
      Family("stepd_executions_timed_out_total", "Executions that timed out", MetricType::Counter);
  MetricFamily aborted = Family("stepd_executions_aborted_total",
                                "Executions abandoned at shutdown", MetricType::Counter);
  MetricFamily throttled =
      Family("stepd_executions_throttled_total",
             "StartExecution calls refused with ThrottlingException", MetricType::Counter);
  MetricFamily duration =
      Family("stepd_execution_duration_seconds", "Execution time from start to end, in seconds",
             MetricType::Histogram);
  MetricFamily transitions =
      Family("stepd_state_transitions_total", "States entered by executions", MetricType::Counter);
  MetricFamily task_invocations =
      Family("stepd_task_invocations_total", "Task state invocations, by resource kind",
             MetricType::Counter);
  MetricFamily task_errors =
      Family("stepd_task_errors_total",
             "Task invocations that failed or timed out, by resource kind", MetricType::Counter);
  MetricFamily task_duration =
      Family("stepd_task_duration_seconds", "Task invocation time in seconds, by resource kind",
             MetricType::Histogram);
  MetricFamily log_written =
      Family("stepd_log_events_written_total", "Execution log events stored, per log group",
             MetricType::Counter);
  MetricFamily log_dropped =
      Family("stepd_log_events_dropped_total",
             "Execution log events dropped because a log group was full, per log group",
             MetricType::Counter);
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [name, m] : machines_) {
      AddCounter(started, {{"state_machine", name}}, Load(m->started));
      AddCounter(succeeded, {{"state_machine", name}}, Load(m->succeeded));
      AddCounter(failed, {{"state_machine", name}}, Load(m->failed));
      AddCounter(timed_out, {{"state_machine", name}}, Load(m->timed_out));
      AddCounter(aborted, {{"state_machine", name}}, Load(m->aborted));
      AddCounter(throttled, {{"state_machine", name}}, Load(m->throttled));
      AddCounter(transitions, {{"state_machine", name}}, Load(m->transitions));
      AddHistogram(duration, {{"state_machine", name}}, m->duration);
      for (std::size_t k = 0; k < m->tasks.size(); ++k) {
        const TaskMetrics& task = m->tasks[k];
        if (task.invocations.load(std::memory_order_relaxed) == 0) {
          continue;  // only the kinds a machine uses, to keep the exposition short
        }
        const std::string kind(ResourceKindName(static_cast<ResourceKind>(k)));
        AddCounter(task_invocations, {{"state_machine", name}, {"resource_kind", kind}},
                   Load(task.invocations));
        AddCounter(task_errors, {{"state_machine", name}, {"resource_kind", kind}},
                   Load(task.errors));
        AddHistogram(task_duration, {{"state_machine", name}, {"resource_kind", kind}},
                     task.duration);
      }
    }
    for (const auto& [name, g] : log_groups_) {
      AddCounter(log_written, {{"log_group", name}}, Load(g->written));
      AddCounter(log_dropped, {{"log_group", name}}, Load(g->dropped));
    }
  }
  MetricFamily api = Family("stepd_api_requests_total", "HTTP requests, by action and status",
                            MetricType::Counter);
  for (std::size_t a = 0; a < kApiActions.size(); ++a) {
    for (std::size_t s = 0; s <= kApiStatuses.size(); ++s) {
      const double count = Load(api_requests_[a][s]);
      if (count == 0) {
        continue;
      }
      const std::string code =
          s < kApiStatuses.size() ? std::to_string(kApiStatuses[s]) : std::string("other");
      AddCounter(api, {{"action", std::string(kApiActions[a])}, {"code", code}}, count);
    }
  }
  MetricFamily in_flight =
      Family("stepd_executions_in_flight", "Executions running now (synchronous and asynchronous)",
             MetricType::Gauge);
  ClientMetric in_flight_value;
  in_flight_value.gauge.value =
      static_cast<double>(executions_in_flight.load(std::memory_order_relaxed));
  in_flight.metric.push_back(in_flight_value);
  MetricFamily queue =
      Family("stepd_async_queue_depth", "StartExecution executions accepted and not finished",
             MetricType::Gauge);
  ClientMetric queue_value;
  queue_value.gauge.value = static_cast<double>(async_queue_depth.load(std::memory_order_relaxed));
  queue.metric.push_back(queue_value);

  for (MetricFamily* family :
       {&started, &succeeded, &failed, &timed_out, &aborted, &throttled, &duration, &transitions,
        &task_invocations, &task_errors, &task_duration, &api, &in_flight, &queue, &log_written,
        &log_dropped}) {
    families.push_back(std::move(*family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace stepd::metrics
