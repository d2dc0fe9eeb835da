#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "jsonpath/writer.h"
#include "runtime/compiler.h"
#include "runtime/driver.h"
#include "runtime/events.h"
#include "service/api/arn.h"
#include "service/api/config.h"
#include "service/cli/args.h"
#include "service/cli/commands.h"

namespace stepd::cli {

namespace {

constexpr const char* kUsage =
    R"(usage: stepd run DEFINITION [--input FILE|-] [--name NAME] [--wait-scale F]
                 [--events[=FILE]] [--standard]

Runs one execution of an Amazon States Language definition and prints exactly one JSON object:
  {"status":"SUCCEEDED","output":<json>}
  {"status":"FAILED"|"TIMED_OUT","error":"...","cause":"..."}

  DEFINITION        path of the definition file
  --input FILE|-    execution input (JSON); - reads standard input; default {}
  --name NAME       execution name (default: a random UUID)
  --wait-scale F    multiply real waiting (Wait states, Retry back-off) by F; 0 skips it while
                    the execution's clock still moves as if it had waited (default 1)
  --events[=FILE]   also write the execution's history events, one JSON object per line, to
                    standard error or FILE
  --standard        run as a STANDARD state machine (default: EXPRESS)

Task states need integrations, which `stepd run` does not have: a Task fails with
States.TaskFailed (its Retry and Catch apply).

Exit status: 0 when the execution succeeded, 1 when it failed or timed out, 2 on an invalid
definition or a usage error (diagnostics on standard error).
)";

// Virtual time that runs with the wall clock but lets waits be shortened: sleeping for d
// advances the clock by d while really sleeping d * scale.
class ScaledClock final : public runtime::Clock {
 public:
  explicit ScaledClock(double scale) : scale_(scale) {}
  runtime::UnixNanos Now() override { return RealNow() + skipped_; }
  void SleepUntil(runtime::UnixNanos until) override {
    const runtime::UnixNanos wait = until - Now();
    if (wait <= 0) {
      return;
    }
    const auto real = static_cast<runtime::UnixNanos>(static_cast<double>(wait) * scale_);
    std::this_thread::sleep_for(std::chrono::nanoseconds(real));
    skipped_ += wait - real;
  }

 private:
  static runtime::UnixNanos RealNow() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  double scale_;
  runtime::UnixNanos skipped_ = 0;
};

// History events as JSON lines, shaped like GetExecutionHistory's entries.
class EventPrinter final : public runtime::EventSink {
 public:
  explicit EventPrinter(std::ostream& out) : out_(out) {}
  void OnEvent(const runtime::Event& e) override {
    std::string line = R"({"id":)" + std::to_string(e.id) + R"(,"previousEventId":)" +
                       std::to_string(e.previous_id) + R"(,"timestamp":")";
    char stamp[runtime::kTimestampBytes];
    line.append(stamp, runtime::FormatTimestamp(e.timestamp_nanos, stamp));
    line += R"(","type":")";
    line += runtime::EventTypeName(e.type, e.state_type);
    line += R"(","details":{)";
    bool first = true;
    const auto field = [&](std::string_view name) {
      line += first ? "\"" : ",\"";
      first = false;
      line += name;
      line += "\":";
    };
    if (!e.state_name.empty()) {
      field("name");
      AppendJsonString(e.state_name, line);
    }
    if (!e.resource.empty()) {
      field("resource");
      AppendJsonString(e.resource, line);
    }
    for (const auto& [name, value] : {std::pair<std::string_view, Value>{"input", e.input},
                                      {"output", e.output},
                                      {"parameters", e.parameters}}) {
      if (!value.IsMissing()) {
        field(name);
        AppendJson(value, line);
      }
    }
    if (e.has_error) {
      field("error");
      AppendJsonString(e.error, line);
    }
    if (e.has_cause) {
      field("cause");
      AppendJsonString(e.cause, line);
    }
    if (e.type == runtime::EventType::kMapStateStarted) {
      field("length");
      line += std::to_string(e.length);
    }
    if (e.type >= runtime::EventType::kMapIterationStarted) {
      field("index");
      line += std::to_string(e.index);
    }
    line += "}}\n";
    out_ << line;
  }

 private:
  std::ostream& out_;
};

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{"help"},
                                             {"input", true},
                                             {"name", true},
                                             {"wait-scale", true},
                                             {"events", true, true},
                                             {"standard"}});
  if (parsed.Has("help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (!parsed.error.empty() || parsed.positional.size() != 1) {
    std::cerr << "stepd run: " << (parsed.error.empty() ? "expected one DEFINITION" : parsed.error)
              << "\n"
              << kUsage;
    return kExitUsage;
  }
  double wait_scale = 1;
  if (auto scale = parsed.Value("wait-scale")) {
    char* end = nullptr;
    wait_scale = std::strtod(scale->c_str(), &end);
    if (end == scale->c_str() || *end != '\0' || wait_scale < 0) {
      std::cerr << "stepd run: --wait-scale needs a number >= 0, got '" << *scale << "'\n";
      return kExitUsage;
    }
  }
  std::string error;
  const auto definition = ReadInput(parsed.positional[0], error);
  std::optional<std::string> input = std::string("{}");
  if (auto input_path = parsed.Value("input")) {
    input = ReadInput(*input_path, error);
  }
  if (!definition || !input) {
    std::cerr << "stepd run: " << error << "\n";
    return kExitUsage;
  }
  runtime::ValidationOptions options;
  options.type =
      parsed.Has("standard") ? runtime::MachineType::kStandard : runtime::MachineType::kExpress;
  auto machine = runtime::Compile(*definition, options);
  if (!machine) {
    std::cerr << "stepd run: invalid definition: " << runtime::Describe(machine.error()) << "\n";
    return kExitUsage;
  }

  std::ofstream events_file;
  std::unique_ptr<EventPrinter> printer;
  if (parsed.Has("events")) {
    const auto path = parsed.Value("events");
    if (path) {
      events_file.open(*path);
      if (!events_file) {
        std::cerr << "stepd run: cannot write " << *path << "\n";
        return kExitUsage;
      }
    }
    printer =
        std::make_unique<EventPrinter>(path ? static_cast<std::ostream&>(events_file) : std::cerr);
  }

  const std::string name = parsed.Value("name").value_or(std::string(service::RandomUuid().view()));
  const std::string machine_name = "stepd-run";
  const service::ServiceConfig where;  // the region and account stepd serve uses by default
  const std::string machine_arn = service::StateMachineArn(where, machine_name);
  std::string execution_arn;
  if (options.type == runtime::MachineType::kExpress) {
    service::AppendExpressExecutionArn(where, machine_name, name, service::RandomUuid().view(),
                                       execution_arn);
  } else {
    execution_arn = "arn:aws:states:us-east-1:123456789012:execution:" + machine_name + ":" + name;
  }
  ScaledClock clock(wait_scale);
  runtime::RunOptions run;
  run.clock = &clock;
  run.sink = printer.get();
  run.info.execution_arn = execution_arn;
  run.info.execution_name = name;
  run.info.state_machine_arn = machine_arn;
  run.info.state_machine_name = machine_name;
  run.info.role_arn = "arn:aws:iam::123456789012:role/stepd";
  run.info.synchronous = true;  // the caller waits for the outcome, as with StartSyncExecution
  const runtime::RunResult result = runtime::RunToCompletion(*machine, *input, run);

  std::string out;
  switch (result.status) {
    case runtime::ExecutionStatus::kSucceeded:
      out = R"({"status":"SUCCEEDED","output":)" + result.output + "}";
      break;
    case runtime::ExecutionStatus::kFailed:
    case runtime::ExecutionStatus::kTimedOut:
    case runtime::ExecutionStatus::kRunning:
      out = result.status == runtime::ExecutionStatus::kTimedOut ? R"({"status":"TIMED_OUT")"
                                                                 : R"({"status":"FAILED")";
      if (result.has_error) {
        out += R"(,"error":)";
        AppendJsonString(result.error, out);
      }
      if (result.has_cause) {
        out += R"(,"cause":)";
        AppendJsonString(result.cause, out);
      }
      out += "}";
      break;
  }
  std::cout << out << "\n";
  return result.status == runtime::ExecutionStatus::kSucceeded ? kExitOk : kExitFailed;
}

}  // namespace stepd::cli
