// `stepd serve`: the AWS Step Functions API and the native execution endpoints over HTTP.

#include <filesystem>
#include <iostream>
#include <string>

#include <unistd.h>

#include "service/api/arn.h"
#include "service/api/control_plane.h"
#include "service/api/definitions_dir.h"
#include "service/cli/args.h"
#include "service/cli/commands.h"
#include "service/logs/log_store.h"
#include "service/logs/logs_api.h"
#include "service/oplog/oplog.h"
#include "service/server/server.h"

namespace stepd::cli {

namespace {

constexpr const char* kUsage =
    R"(usage: stepd serve [--host ADDR] [--port N] [--threads N] [--definitions DIR]
                   [--region R] [--account A] [--max-async N] [--drain-seconds S]
                   [--log-dir DIR] [--log-level LEVEL] [--log-format FORMAT]

Serves the AWS Step Functions API (JSON 1.0 protocol, for the AWS CLI and SDKs with
--endpoint-url http://HOST:PORT) and stepd's native endpoints for EXPRESS state machines, all
in memory. Prints "stepd: listening on http://HOST:PORT" on standard output once it accepts
connections; its own log (start-up, warnings, the drain report) goes to standard error.

  --host ADDR          address to bind (default 127.0.0.1: loopback only)
  --port N             port (default 8083; 0 picks a free one)
  --threads N          worker threads (default: one per core)
  --definitions DIR    create a state machine from every DIR/NAME.asl.json at start, named
                       NAME, with an optional DIR/NAME.config.json sidecar
  --region R           region in every ARN (default us-east-1)
  --account A          account id in every ARN (default 123456789012)
  --max-async N        StartExecution executions accepted and not finished before callers
                       get ThrottlingException (default 10000)
  --drain-seconds S    on SIGTERM/SIGINT, time allowed to finish requests in progress and
                       accepted asynchronous executions (default 30)
  --log-dir DIR        also write every execution log event as a JSON line to
                       DIR/<log group>.jsonl (rotated), so logs outlive a restart
  --log-level LEVEL    stepd's own log: trace, debug, info, warn, error or off (default info)
  --log-format FORMAT  text (default) or json: one object per line with time, level, logger,
                       message and the record's fields

Endpoints:
  POST / with X-Amz-Target: AWSStepFunctions.<Action>   the AWS API (any path, any Host)
  POST /v1/state-machines/NAME:sync    body: the input JSON; answer: the output JSON (200)
                                       or {"status","error","cause"} (422)
  POST /v1/state-machines/NAME:batch   body: one input per line (NDJSON); answer: one
                                       {"status",...} line per input, streamed
  GET /healthz, GET /readyz            liveness; readiness (503 while draining)
  GET /metrics                         Prometheus metrics (text format 0.0.4)
  POST / with X-Amz-Target: Logs_20140328.<Action>   the CloudWatch Logs API (JSON 1.1) over
                                       the execution logs of machines with a loggingConfiguration

Exit status: 0 after a clean shutdown, 1 when the drain timed out, 2 on a usage error or when
the server cannot start.
)";

// The levels this command logs at, short so that the calls read as the log does.
constexpr auto kDebug = spdlog::level::debug;
constexpr auto kInfo = spdlog::level::info;
constexpr auto kWarn = spdlog::level::warn;
constexpr auto kError = spdlog::level::err;

bool ParseNumber(const std::optional<std::string>& text, std::uint64_t max, std::uint64_t& out) {
  if (!text) {
    return true;
  }
  const std::optional<std::uint64_t> value = ParseUnsigned(*text, max);
  if (value) {
    out = *value;
  }
  return value.has_value();
}

}  // namespace

int ServeCommand(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{"help"},
                                             {"host", true},
                                             {"port", true},
                                             {"threads", true},
                                             {"definitions", true},
                                             {"region", true},
                                             {"account", true},
                                             {"max-async", true},
                                             {"drain-seconds", true},
                                             {"log-dir", true},
                                             {"log-level", true},
                                             {"log-format", true}});
  if (parsed.Has("help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  const auto usage_error = [](const std::string& message) {
    std::cerr << "stepd serve: " << message << "\n" << kUsage;
    return kExitUsage;
  };
  if (!parsed.error.empty()) {
    return usage_error(parsed.error);
  }
  if (!parsed.positional.empty()) {
    return usage_error("unexpected argument '" + parsed.positional[0] + "'");
  }

  service::ServerOptions options;
  service::ServiceConfig config;
  std::uint64_t port = options.port, threads = 0, max_async = options.max_async_executions,
                drain = static_cast<std::uint64_t>(options.drain_timeout.count());
  if (!ParseNumber(parsed.Value("port"), 65535, port)) {
    return usage_error("--port must be a number from 0 to 65535");
  }
  if (!ParseNumber(parsed.Value("threads"), 256, threads)) {
    return usage_error("--threads must be a number from 0 (one per core) to 256");
  }
  if (!ParseNumber(parsed.Value("max-async"), 100'000'000, max_async)) {
    return usage_error("--max-async must be a number up to 100000000");
  }
  if (!ParseNumber(parsed.Value("drain-seconds"), 3600, drain)) {
    return usage_error("--drain-seconds must be a number of seconds up to 3600");
  }
  options.host = parsed.Value("host").value_or(options.host);
  options.port = static_cast<std::uint16_t>(port);
  options.threads = static_cast<unsigned>(threads);
  options.max_async_executions = max_async;
  options.drain_timeout = std::chrono::seconds(drain);
  config.region = parsed.Value("region").value_or(config.region);
  config.account = parsed.Value("account").value_or(config.account);
  if (config.region.empty() || config.region.find(':') != std::string::npos) {
    return usage_error("--region must be a region name such as us-east-1");
  }
  if (config.account.size() != 12 ||
      config.account.find_first_not_of("0123456789") != std::string::npos) {
    return usage_error("--account must be a 12-digit account id");
  }
  const auto level = oplog::ParseLevel(parsed.Value("log-level").value_or("info"));
  if (!level) {
    return usage_error("--log-level must be one of trace, debug, info, warn, error, off");
  }
  const auto format = oplog::ParseFormat(parsed.Value("log-format").value_or("text"));
  if (!format) {
    return usage_error("--log-format must be text or json");
  }

  // From here on, stepd's own messages are log records; only the ready line goes to stdout.
  const oplog::OpLog log({.level = *level, .format = *format});
  oplog::Log(kInfo, "starting", {{"version", STEPD_VERSION}, {"pid", ::getpid()}});
  const std::string definitions = parsed.Value("definitions").value_or("");
  const std::string log_dir = parsed.Value("log-dir").value_or("");
  oplog::Log(kDebug, "configuration",
             {{"host", options.host},
              {"port", options.port},
              {"threads", options.threads},
              {"max_async", options.max_async_executions},
              {"drain_seconds", drain},
              {"region", config.region},
              {"account", config.account},
              {"definitions", definitions},
              {"log_dir", log_dir}});

  metrics::ServiceMetrics metrics(STEPD_VERSION);
  service::Registry registry;
  service::ControlPlane control_plane(registry, config);
  control_plane.set_metrics(&metrics);
  if (!definitions.empty()) {
    std::vector<std::string> warnings;
    auto loaded = service::LoadDefinitionsDirectory(definitions, control_plane, warnings);
    for (const std::string& warning : warnings) {
      oplog::Log(kWarn, warning);
    }
    if (!loaded) {
      // The message names the file and holds every diagnostic, as the API would answer.
      oplog::Log(kError, loaded.error().message,
                 {{"code", loaded.error().code}, {"definitions", definitions}});
      return kExitUsage;
    }
    oplog::Log(kInfo, "state machines loaded", {{"count", *loaded}, {"definitions", definitions}});
  }
  const auto machines = registry.Snapshot();
  for (const auto& [name, record] : *machines) {
    oplog::Log(kDebug, "state machine", {{"name", name}, {"arn", record->arn}});
  }

  logs::LogStore::Options log_options;
  log_options.log_dir = log_dir;
  logs::LogStore log_store(log_options);
  logs::LogsApi logs_api(log_store, {config.region, config.account, config.partition});
  service::Server server(options, control_plane, metrics, log_store, logs_api);
  if (auto listen_error = server.Listen()) {
    oplog::Log(kError, *listen_error, {{"host", options.host}, {"port", options.port}});
    return kExitUsage;
  }
  const std::string url = "http://" + options.host + ":" + std::to_string(server.port());
  oplog::Log(kInfo, "listening", {{"url", url}, {"threads", server.threads()}});
  if (*format == oplog::Format::kText) {  // for a person at a terminal, not for a log shipper
    if (!machines->empty()) {
      oplog::Log(kInfo, "Try: curl -s -X POST " + url + "/v1/state-machines/" +
                            machines->begin()->first + ":sync -d '{}'");
    }
    oplog::Log(kInfo, "Try: aws --endpoint-url " + url +
                          " stepfunctions list-state-machines   (see README.md for "
                          "StartSyncExecution)");
    oplog::Log(kInfo, "Ctrl-C to stop (drains for up to " + std::to_string(drain) + "s)");
  }
  std::cout << "stepd: listening on " << url << std::endl;

  const service::DrainReport report = server.Run();
  // A timed-out drain abandoned accepted work: an error, and exit status 1.
  oplog::Log(report.timed_out ? kError : kInfo, "stopped",
             {{"async_completed_while_draining", report.async_completed_while_draining},
              {"async_abandoned", report.async_abandoned},
              {"requests_abandoned", report.requests_abandoned},
              {"timed_out", report.timed_out}});
  return report.timed_out ? kExitFailed : kExitOk;
}

}  // namespace stepd::cli
