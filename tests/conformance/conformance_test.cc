// Runs every case of shared/conformance/cases that needs nothing beyond the engine itself
// (`needs` empty or within variables, wait, retry-wait, and distributed-map: stepd runs a
// Distributed Map's child executions itself) and compares the outcome with what AWS
// recorded, under the corpus' placeholder rule.
//
// tests/conformance/known_failures.txt lists the cases stepd does not pass yet, each with the
// reason. The test fails when an unlisted case fails *or* a listed case passes, so the list
// always tells the truth. Event-type sequences are compared for passing cases that recorded
// them and reported separately.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "runtime/compiler.h"
#include "runtime/driver.h"
#include "runtime/events.h"
#include "tests/conformance/expected_match.h"

namespace stepd::conformance {
namespace {

namespace fs = std::filesystem;
using runtime::ExecutionStatus;

const std::set<std::string, std::less<>> kEngineNeeds = {"variables", "wait", "retry-wait",
                                                         "distributed-map"};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "case id" -> reason, from known_failures.txt ("<id> | <reason>" per line, '#' comments).
std::map<std::string, std::string> LoadKnownFailures() {
  std::map<std::string, std::string> known;
  std::ifstream in(fs::path(STEPD_SOURCE_DIR) / "tests/conformance/known_failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto bar = line.find(" | ");
    const std::string id = line.substr(0, bar);
    known[id] = bar == std::string::npos ? "" : line.substr(bar + 3);
  }
  return known;
}

class EventRecorder final : public runtime::EventSink {
 public:
  void OnEvent(const runtime::Event& event) override {
    names.emplace_back(runtime::EventTypeName(event.type, event.state_type));
  }
  std::vector<std::string> names;
};

std::string StatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kSucceeded:
      return "SUCCEEDED";
    case ExecutionStatus::kFailed:
      return "FAILED";
    case ExecutionStatus::kTimedOut:
      return "TIMED_OUT";
    case ExecutionStatus::kRunning:
      return "RUNNING";
  }
  return "?";
}

// An expected error or cause of null means "none": absent or empty both agree with it.
bool TextMatches(Value expected, bool present, const std::string& actual, std::string& where,
                 const char* field) {
  if (expected.IsNull() || expected.IsMissing()) {
    if (!present || actual.empty()) {
      return true;
    }
    where = std::string(field) + ": expected none, got " + actual;
    return false;
  }
  if (expected.IsString()) {
    if (present && StringMatches(expected.AsString(), actual)) {
      return true;
    }
    where = std::string(field) + ": expected " + std::string(expected.AsString()) + ", got " +
            (present ? actual : std::string("none"));
    return false;
  }
  // A cause AWS wrote as JSON text is stored parsed: compare with ours parsed.
  Document parsed;
  auto actual_value = parsed.Parse(actual);
  if (!actual_value) {
    where = std::string(field) + ": expected JSON " + ToJson(expected) + ", got " + actual;
    return false;
  }
  return ValueMatches(expected, *actual_value, where, field);
}

struct CaseOutcome {
  bool passed = false;
  std::string why;
  bool events_recorded = false;
  bool events_match = false;
};

CaseOutcome RunCase(Value c) {
  CaseOutcome outcome;
  const std::string definition = ToJson(c.Find("definition"));
  const std::string input = ToJson(c.Find("input"));
  runtime::ValidationOptions options;
  const Value type = c.Find("type");
  options.type = type.IsString() && type.AsString() == "EXPRESS" ? runtime::MachineType::kExpress
                                                                 : runtime::MachineType::kStandard;
  auto machine = runtime::Compile(definition, options);
  if (!machine) {
    outcome.why = "definition rejected: " + runtime::Describe(machine.error());
    return outcome;
  }
  // Start at the real time: the corpus' Wait timestamps were near when AWS recorded them.
  runtime::FakeClock clock(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
  EventRecorder events;
  runtime::RunOptions run;
  run.clock = &clock;
  run.sink = &events;
  const bool express = options.type == runtime::MachineType::kExpress;
  // The corpus does not say how each execution was started, but its source test does: the
  // express sync tests and test_start_sync_execution used StartSyncExecution.
  const std::string_view source = c.Find("source").AsString();
  run.info.synchronous = source.find("express_sync") != std::string_view::npos ||
                         source.find("::test_start_sync_execution") != std::string_view::npos;
  run.info.execution_arn =
      express
          ? "arn:aws:states:us-east-1:111111111111:express:ConformanceMachine:conformance-run:"
            "4ca2d3c5-6f51-4c7e-9d7c-3f0a3f5d1e2b"
          : "arn:aws:states:us-east-1:111111111111:execution:ConformanceMachine:conformance-run";
  run.info.execution_name = "conformance-run";
  run.info.state_machine_arn =
      "arn:aws:states:us-east-1:111111111111:stateMachine:ConformanceMachine";
  run.info.state_machine_name = "ConformanceMachine";
  run.info.role_arn = "arn:aws:iam::111111111111:role/stepd-conformance";
  const runtime::RunResult result = runtime::RunToCompletion(*machine, input, run);

  const Value expect = c.Find("expect");
  const std::string expected_status(expect.Find("status").AsString());
  if (StatusName(result.status) != expected_status) {
    outcome.why = "status " + StatusName(result.status) + " (error " + result.error + ": " +
                  result.cause + "), expected " + expected_status;
    return outcome;
  }
  if (result.status == ExecutionStatus::kSucceeded) {
    Document parsed;
    auto output = parsed.Parse(result.output);
    outcome.passed = output && ValueMatches(expect.Find("output"), *output, outcome.why);
  } else {
    outcome.passed =
        TextMatches(expect.Find("error"), result.has_error, result.error, outcome.why, "error") &&
        TextMatches(expect.Find("cause"), result.has_cause, result.cause, outcome.why, "cause");
  }
  const Value recorded = c.Find("events");
  if (recorded.IsArray()) {
    outcome.events_recorded = true;
    std::vector<std::string> expected_events;
    recorded.ForEachElement([&](Value e) { expected_events.emplace_back(e.AsString()); });
    std::vector<std::string> actual_events = events.names;
    if (c.Find("events_order").IsString()) {
      // The recorder sorted Parallel branch events: compare as multisets.
      std::sort(expected_events.begin(), expected_events.end());
      std::sort(actual_events.begin(), actual_events.end());
    }
    outcome.events_match = expected_events == actual_events;
    if (!outcome.events_match && std::getenv("STEPD_CONFORMANCE_VERBOSE") != nullptr) {
      std::string line = "events differ for " + std::string(c.Find("id").AsString()) + ":\n  got ";
      for (const std::string& e : actual_events) {
        line += e + " ";
      }
      std::printf("%s\n", line.c_str());
    }
  }
  return outcome;
}

bool IsEngineOnly(Value needs, bool& pure) {
  pure = needs.Size() == 0;
  return needs.AllElements(
      [](Value need) { return need.IsString() && kEngineNeeds.contains(need.AsString()); });
}

struct SuiteCount {
  int pure_passed = 0, pure_total = 0, engine_passed = 0, engine_total = 0;
};

TEST(ConformanceTest, EngineOnlyCasesMatchAwsOrAreKnownFailures) {
  const fs::path root = fs::path(STEPD_SHARED_DIR) / "conformance/cases";
  ASSERT_TRUE(fs::is_directory(root)) << root
                                      << " is missing: the shared corpus must sit beside "
                                         "the project root";
  const auto known = LoadKnownFailures();
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());

  std::map<std::string, SuiteCount> suites;
  std::set<std::string> seen;
  int events_recorded = 0, events_matching = 0;
  for (const fs::path& file : files) {
    const std::string text = ReadFile(file);
    Document doc;
    auto c = doc.Parse(text);
    ASSERT_TRUE(c.has_value()) << file;
    bool pure = false;
    if (!IsEngineOnly(c->Find("needs"), pure)) {
      continue;
    }
    const std::string id(c->Find("id").AsString());
    const std::string suite = file.parent_path().filename().string();
    seen.insert(id);
    const CaseOutcome outcome = RunCase(*c);
    SuiteCount& count = suites[suite];
    (pure ? count.pure_total : count.engine_total)++;
    if (outcome.passed) {
      (pure ? count.pure_passed : count.engine_passed)++;
      if (outcome.events_recorded) {
        ++events_recorded;
        events_matching += outcome.events_match ? 1 : 0;
      }
    }
    const auto listed = known.find(id);
    if (listed == known.end()) {
      EXPECT_TRUE(outcome.passed) << suite << "/" << id << ": " << outcome.why;
    } else {
      EXPECT_FALSE(outcome.passed)
          << suite << "/" << id << " passes now: remove it from known_failures.txt";
    }
  }
  for (const auto& [id, reason] : known) {
    EXPECT_TRUE(seen.contains(id)) << id
                                   << " is listed in known_failures.txt but is not an "
                                      "engine-only case of the corpus";
  }

  SuiteCount total;
  std::printf("%-22s %14s %14s\n", "suite", "pure", "engine-only");
  for (const auto& [suite, count] : suites) {
    std::printf("%-22s %6d / %-5d %6d / %-5d\n", suite.c_str(), count.pure_passed, count.pure_total,
                count.engine_passed, count.engine_total);
    total.pure_passed += count.pure_passed;
    total.pure_total += count.pure_total;
    total.engine_passed += count.engine_passed;
    total.engine_total += count.engine_total;
  }
  std::printf("%-22s %6d / %-5d %6d / %-5d\n", "TOTAL", total.pure_passed, total.pure_total,
              total.engine_passed, total.engine_total);
  std::printf("event sequences: %d of %d passing cases that recorded them match\n", events_matching,
              events_recorded);
}

}  // namespace
}  // namespace stepd::conformance
