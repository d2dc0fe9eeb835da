#include "runtime/execution.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "runtime/compiler.h"
#include "runtime/driver.h"

namespace stepd::runtime {
namespace {

constexpr UnixNanos kStart = 1'700'000'000LL * 1'000'000'000LL;
constexpr UnixNanos kSecond = 1'000'000'000LL;

std::shared_ptr<const CompiledMachine> CompileOrDie(std::string_view definition) {
  auto machine = Compile(definition);
  EXPECT_TRUE(machine.has_value()) << (machine ? "" : Describe(machine.error()));
  return machine ? *machine : nullptr;
}

class EventNames final : public EventSink {
 public:
  void OnEvent(const Event& e) override {
    names.emplace_back(EventTypeName(e.type, e.state_type));
    ids.push_back(e.id);
    previous.push_back(e.previous_id);
  }
  std::vector<std::string> names;
  std::vector<std::int64_t> ids;
  std::vector<std::int64_t> previous;
};

struct Outcome {
  RunResult result;
  std::vector<std::string> events;
  UnixNanos finished_at = 0;
  std::vector<std::string> task_resources;
};

Outcome RunMachine(std::string_view definition, std::string_view input, TaskHandler tasks = {}) {
  Outcome run;
  FakeClock clock(kStart);
  EventNames events;
  RunOptions options;
  options.clock = &clock;
  options.sink = &events;
  options.tasks = [&](const TaskRequest& task) {
    run.task_resources.emplace_back(task.resource);
    return tasks ? tasks(task) : TaskAnswer{false, {}, "States.TaskFailed", "no handler"};
  };
  options.info.execution_arn = "arn:aws:states:us-east-1:123456789012:express:M:e:1";
  options.info.execution_name = "e";
  options.info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:M";
  options.info.state_machine_name = "M";
  options.info.role_arn = "arn:aws:iam::123456789012:role/r";
  run.result = RunToCompletion(CompileOrDie(definition), input, options);
  run.events = events.names;
  run.finished_at = clock.Now();
  return run;
}

TEST(ExecutionTest, PassChainAppliesTheJsonPathDataFlow) {
  const Outcome run = RunMachine(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.x","k":1},
           "ResultPath":"$.out","Next":"B"},
      "B":{"Type":"Pass","Result":{"r":true},"ResultPath":"$.out.extra","OutputPath":"$.out",
           "End":true}}})",
                                 R"({"in":{"x":"hello"},"keep":1})");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.result.output, R"({"v":"hello","k":1,"extra":{"r":true}})");
  EXPECT_EQ(run.events, (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                                  "PassStateExited", "PassStateEntered",
                                                  "PassStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(run.result.state_transitions, 2U);
}

TEST(ExecutionTest, NullPathsAsAwsDefinesThem) {
  const Outcome run = RunMachine(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","InputPath":null,"Result":"r","ResultPath":null,"Next":"B"},
      "B":{"Type":"Pass","OutputPath":null,"End":true}}})",
                                 R"({"a":1})");
  EXPECT_EQ(run.result.output, "{}");
}

TEST(ExecutionTest, MissingInputPathIsAnUncatchableRuntimeErrorNamingTheState) {
  const Outcome run = RunMachine(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","InputPath":"$.a.b","End":true}}})",
                                 R"({})");
  ASSERT_EQ(run.result.status, ExecutionStatus::kFailed);
  EXPECT_EQ(run.result.error, "States.Runtime");
  EXPECT_EQ(run.result.cause,
            "An error occurred while executing the state 'A' (entered at the event id #2). "
            "Invalid path '$.a.b' : Missing property in path $['a']");
}

TEST(ExecutionTest, ChoiceRoutesAndFailsWithNoChoiceMatched) {
  constexpr std::string_view kMachine = R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}]},
      "Big":{"Type":"Succeed"}}})";
  EXPECT_EQ(RunMachine(kMachine, R"({"n":2})").result.status, ExecutionStatus::kSucceeded);
  const Outcome none = RunMachine(kMachine, R"({"n":0})");
  EXPECT_EQ(none.result.status, ExecutionStatus::kFailed);
  EXPECT_EQ(none.result.error, "States.NoChoiceMatched");
}

TEST(ExecutionTest, FailStateMayLeaveErrorAndCauseOut) {
  const Outcome run = RunMachine(R"({"StartAt":"F","States":{"F":{"Type":"Fail"}}})", "{}");
  EXPECT_EQ(run.result.status, ExecutionStatus::kFailed);
  EXPECT_FALSE(run.result.has_error);
  EXPECT_FALSE(run.result.has_cause);
  EXPECT_EQ(run.events,
            (std::vector<std::string>{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}));
}

TEST(ExecutionTest, WaitMovesTheClockWithoutSleeping) {
  const Outcome run = RunMachine(R"({"StartAt":"W","States":{
      "W":{"Type":"Wait","SecondsPath":"$.s","Next":"T"},
      "T":{"Type":"Wait","Timestamp":"2023-11-14T22:16:00Z","End":true}}})",
                                 R"({"s":30})");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  // 1700000000 is 22:13:20; 30 s later, then until 22:16:00.
  EXPECT_EQ(run.finished_at, kStart + 160 * kSecond);
}

TEST(ExecutionTest, WaitRejectsNegativeSeconds) {
  const Outcome run =
      RunMachine(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})",
                 R"({"s":-1})");
  EXPECT_EQ(run.result.error, "States.Runtime");
  EXPECT_NE(
      run.result.cause.find("The SecondsPath parameter references a negative value: $.s == -1"),
      std::string::npos);
}

TEST(ExecutionTest, RetryBacksOffExponentiallyThenCatches) {
  int calls = 0;
  const Outcome run = RunMachine(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[
             {"ErrorEquals":["Boom"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":3}],
           "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Done"}],
           "End":true},
      "Done":{"Type":"Pass","End":true}}})",
                                 R"({"k":1})", [&](const TaskRequest&) {
                                   ++calls;
                                   return TaskAnswer{false, {}, "Boom", "bad"};
                                 });
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(run.finished_at, kStart + (2 + 6 + 18) * kSecond);
  EXPECT_EQ(run.result.output, R"({"k":1,"err":{"Error":"Boom","Cause":"bad"}})");
  EXPECT_EQ(run.events,
            (std::vector<std::string>{
                "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                "TaskFailed", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled",
                "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskFailed",
                "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}));
}

TEST(ExecutionTest, MaxDelayCapsTheBackOff) {
  const Outcome run = RunMachine(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"],
           "IntervalSeconds":10,"MaxAttempts":2,"BackoffRate":10,"MaxDelaySeconds":15}],
           "End":true}}})",
                                 "{}");
  EXPECT_EQ(run.result.status, ExecutionStatus::kFailed);
  EXPECT_EQ(run.finished_at, kStart + (10 + 15) * kSecond);
}

TEST(ExecutionTest, TaskFailedMatcherSkipsTimeouts) {
  const Outcome run = RunMachine(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,
           "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Succeed"}}})",
                                 "{}", [](const TaskRequest& task) {
                                   EXPECT_TRUE(task.deadline.has_value());
                                   return TaskAnswer{false, {}, "States.Timeout", ""};
                                 });
  EXPECT_EQ(run.result.status, ExecutionStatus::kFailed);
  EXPECT_EQ(run.result.error, "States.Timeout");
}

TEST(ExecutionTest, TaskResultFlowsThroughResultSelectorAndResultPath) {
  const Outcome run = RunMachine(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
           "Parameters":{"id.$":"$.id"},"ResultSelector":{"v.$":"$.value"},
           "ResultPath":"$.result","End":true}}})",
                                 R"({"id":7})", [](const TaskRequest& task) {
                                   EXPECT_EQ(ToJson(task.parameters), R"({"id":7})");
                                   return TaskAnswer{true, R"({"value":42,"noise":1})", {}, {}};
                                 });
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.result.output, R"({"id":7,"result":{"v":42}})");
  EXPECT_EQ(run.task_resources,
            (std::vector<std::string>{"arn:aws:lambda:us-east-1:123456789012:function:f"}));
  EXPECT_EQ(run.events[2], "LambdaFunctionScheduled");
}

TEST(ExecutionTest, ParallelGathersBranchOutputsInOrder) {
  const Outcome run = RunMachine(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}},
        {"StartAt":"B","States":{"B":{"Type":"Pass","InputPath":"$.x","End":true}}}],
       "ResultSelector":{"first.$":"$[0]","second.$":"$[1]"},"End":true}}})",
                                 R"({"x":"y"})");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.result.output, R"({"first":1,"second":"y"})");
}

TEST(ExecutionTest, ParallelBranchFailurePropagatesItsOwnError) {
  const Outcome run = RunMachine(R"({"StartAt":"P","States":{
      "P":{"Type":"Parallel","Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Fail","Error":"Mine","Cause":"why"}}},
        {"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],
       "Catch":[{"ErrorEquals":["Mine"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Pass","End":true}}})",
                                 "{}");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.result.output, R"({"Error":"Mine","Cause":"why"})");
}

TEST(ExecutionTest, MapUsesItemSelectorAndKeepsItemOrder) {
  const Outcome run = RunMachine(R"({"StartAt":"M","States":{
      "M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
           "ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","t.$":"$.tag"},
           "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
           "ResultPath":"$.out","End":true}}})",
                                 R"({"items":["a","b","c"],"tag":"T"})");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.result.output, R"({"items":["a","b","c"],"tag":"T","out":[{"i":0,"v":"a","t":"T"},)"
                               R"({"i":1,"v":"b","t":"T"},{"i":2,"v":"c","t":"T"}]})");
}

TEST(ExecutionTest, MapOverANonArrayIsARuntimeError) {
  const Outcome run = RunMachine(R"({"StartAt":"M","States":{
      "M":{"Type":"Map","ItemsPath":"$.items",
           "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
           "End":true}}})",
                                 R"({"items":"nope"})");
  EXPECT_EQ(run.result.error, "States.Runtime");
  EXPECT_NE(run.result.cause.find(R"(Reference path "$.items" must point to array.)"),
            std::string::npos);
}

TEST(ExecutionTest, MapWaitsRunConcurrently) {
  // Three iterations each waiting 10 s finish together, not one after the other.
  const Outcome run = RunMachine(R"({"StartAt":"M","States":{
      "M":{"Type":"Map","ItemProcessor":{"StartAt":"W","States":{
             "W":{"Type":"Wait","Seconds":10,"End":true}}},"End":true}}})",
                                 "[1,2,3]");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.finished_at, kStart + 10 * kSecond);
}

// A Distributed Map: {"ItemProcessor": ...} with DISTRIBUTED mode, `fields` added to the state.
std::string DistributedMap(std::string_view processor_states, std::string_view fields = {}) {
  return R"({"StartAt":"M","States":{"M":{"Type":"Map",)" + std::string(fields) +
         R"("ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
           "StartAt":"P","States":{)" +
         std::string(processor_states) + R"(}},"End":true}}})";
}

TEST(ExecutionTest, DistributedMapRunsKeepChildEventsOutOfTheHistory) {
  const Outcome run =
      RunMachine(DistributedMap(R"("P":{"Type":"Pass","Next":"Q"},"Q":{"Type":"Pass","End":true})"),
                 "[1,2,3]");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.result.output, "[1,2,3]");
  EXPECT_EQ(run.events,
            (std::vector<std::string>{"ExecutionStarted", "MapStateEntered", "MapStateStarted",
                                      "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded",
                                      "MapStateExited", "ExecutionSucceeded"}));
}

TEST(ExecutionTest, DistributedMapFailsOnceFailuresExceedTheTolerance) {
  const std::string_view fail_odd =
      R"("P":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":1,"Next":"F"},
                                          {"Variable":"$","NumericEquals":3,"Next":"F"}],
              "Default":"S"},
         "F":{"Type":"Fail","Error":"Odd"},"S":{"Type":"Succeed"})";
  // No tolerance set: the first failure ends the run.
  Outcome run = RunMachine(DistributedMap(fail_odd), "[1,2,3]");
  EXPECT_EQ(run.result.error, "States.ExceedToleratedFailureThreshold");
  EXPECT_EQ(run.result.cause, "The specified tolerated failure threshold was exceeded");
  EXPECT_EQ(run.events, (std::vector<std::string>{
                            "ExecutionStarted", "MapStateEntered", "MapStateStarted",
                            "MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"}));
  // One failure in three is within 34 %: AWS's result for a tolerated failure is not known here,
  // so stepd says it does not support it rather than guess.
  run = RunMachine(DistributedMap(fail_odd, R"("ToleratedFailurePercentage":34,)"), "[1,2,3]");
  EXPECT_EQ(run.result.error, "States.Runtime");
  EXPECT_NE(run.result.cause.find("stepd does not support tolerated failures in Distributed Map "
                                  "runs yet; item 0 failed with Odd"),
            std::string::npos)
      << run.result.cause;
  // Both limits apply: a count of 5 does not lift a percentage of 0.
  run = RunMachine(DistributedMap(fail_odd, R"("ToleratedFailureCount":5,
                                              "ToleratedFailurePercentage":0,)"),
                   "[1,2,3]");
  EXPECT_EQ(run.result.error, "States.ExceedToleratedFailureThreshold");
  // Caught like any other error.
  run = RunMachine(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"F","States":{
        "F":{"Type":"Fail","Error":"E"}}},
      "Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"Done"}],
      "End":true},"Done":{"Type":"Pass","End":true}}})",
                   "[1]");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(run.result.output,
            R"({"Error":"States.ExceedToleratedFailureThreshold",)"
            R"("Cause":"The specified tolerated failure threshold was exceeded"})");
}

TEST(ExecutionTest, DistributedMapToleranceFieldsAreCheckedAsAwsChecksThem) {
  const std::string_view pass = R"("P":{"Type":"Pass","End":true})";
  const auto run_with = [&](std::string_view fields, std::string_view input) {
    return RunMachine(DistributedMap(pass, fields), input);
  };
  // A number or a string holding one.
  EXPECT_EQ(
      run_with(R"("ToleratedFailureCountPath":"$.c","ItemsPath":"$.i",)", R"({"i":[1],"c":"2"})")
          .result.status,
      ExecutionStatus::kSucceeded);
  EXPECT_EQ(run_with(R"("ToleratedFailurePercentagePath":"$.p","ItemsPath":"$.i",)",
                     R"({"i":[1],"p":"12.5"})")
                .result.status,
            ExecutionStatus::kSucceeded);
  const auto cause_of = [&](std::string_view fields, std::string_view input) {
    const Outcome run = run_with(fields, input);
    EXPECT_EQ(run.result.error, "States.Runtime");
    EXPECT_EQ(run.events, (std::vector<std::string>{"ExecutionStarted", "MapStateEntered",
                                                    "MapStateStarted", "ExecutionFailed"}));
    return run.result.cause;
  };
  const std::string prefix =
      "An error occurred while executing the state 'M' (entered at the "
      "event id #2). ";
  EXPECT_EQ(
      cause_of(R"("ToleratedFailureCountPath":"$.c","ItemsPath":"$.i",)", R"({"i":[1],"c":-1})"),
      prefix + "ToleratedFailureCount cannot be negative.");
  EXPECT_EQ(
      cause_of(R"("ToleratedFailureCountPath":"$.c","ItemsPath":"$.i",)", R"({"i":[1],"c":"1.5"})"),
      prefix + R"(The ToleratedFailureCountPath field refers to value "1.5" which is not )"
               "a valid integer: $.c");
  EXPECT_EQ(cause_of(R"("ToleratedFailurePercentagePath":"$.p","ItemsPath":"$.i",)",
                     R"({"i":[1],"p":"many"})"),
            prefix + R"(The ToleratedFailurePercentagePath field refers to value "many" which )"
                     "is not a valid float: $.p");
  EXPECT_EQ(cause_of(R"("ToleratedFailurePercentagePath":"$.p","ItemsPath":"$.i",)",
                     R"({"i":[1],"p":100.5})"),
            prefix + "ToleratedFailurePercentage must be between 0 and 100.");
}

TEST(ExecutionTest, DistributedMapChildrenDoNotSeeOuterVariables) {
  const auto run_reading = [](std::string_view path) {
    return RunMachine(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x":1},"Next":"M"},
        "M":{"Type":"Map","ItemSelector":{"x.$":"$x"},
             "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{
               "P":{"Type":"Pass","Parameters":{"seen.$":")" +
                          std::string(path) + R"("},"End":true}}},"End":true}}})",
                      "[0]");
  };
  // ItemSelector is evaluated outside and may pass a variable in; the child cannot read it.
  const Outcome passed_in = run_reading("$.x");
  ASSERT_EQ(passed_in.result.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(passed_in.result.output, R"([{"seen":1}])");
  EXPECT_EQ(run_reading("$x").result.error, "States.ExceedToleratedFailureThreshold");
}

TEST(ExecutionTest, InlineMapsIgnoreTheTolerance) {
  // Only Distributed Map runs tolerate failures: an inline iteration's error is the Map's.
  const Outcome run = RunMachine(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ToleratedFailureCount":5,"ItemProcessor":{"StartAt":"F","States":{
        "F":{"Type":"Fail","Error":"E","Cause":"c"}}},"End":true}}})",
                                 "[1]");
  EXPECT_EQ(run.result.error, "E");
  EXPECT_EQ(run.events.back(), "ExecutionFailed");
  EXPECT_NE(std::find(run.events.begin(), run.events.end(), "MapIterationFailed"),
            run.events.end());
}

TEST(ExecutionTest, VariablesAreAssignedAfterTheStateAndScopedToIterations) {
  const Outcome run = RunMachine(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"x":1,"y.$":"$.v"},"Next":"M"},
      "M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"I","States":{
             "I":{"Type":"Pass","Parameters":{"item.$":"$","x.$":"$x","y.$":"$y"},"End":true}}},
           "ResultPath":"$.out","Next":"B"},
      "B":{"Type":"Pass","Parameters":{"x.$":"$x","out.$":"$.out"},"End":true}}})",
                                 R"({"v":"vee","items":[1]})");
  ASSERT_EQ(run.result.status, ExecutionStatus::kSucceeded) << run.result.cause;
  EXPECT_EQ(run.result.output, R"({"x":1,"out":[{"item":1,"x":1,"y":"vee"}]})");
}

TEST(ExecutionTest, ExecutionTimesOutAfterTimeoutSeconds) {
  const Outcome run = RunMachine(R"({"StartAt":"W","TimeoutSeconds":5,"States":{
      "W":{"Type":"Wait","Seconds":60,"End":true}}})",
                                 "{}");
  EXPECT_EQ(run.result.status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(run.finished_at, kStart + 5 * kSecond);
  EXPECT_EQ(run.events.back(), "ExecutionTimedOut");
}

TEST(ExecutionTest, ExpressExecutionsStopAtFiveMinutes) {
  const Outcome run = RunMachine(
      R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})", "{}");
  EXPECT_EQ(run.result.status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(run.finished_at, kStart + 300 * kSecond);
}

TEST(ExecutionTest, OversizedInputFailsWithDataLimitExceeded) {
  const std::string input = "\"" + std::string(kMaxPayloadBytes, 'a') + "\"";
  const Outcome run =
      RunMachine(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})", input);
  EXPECT_EQ(run.result.error, "States.DataLimitExceeded");
}

TEST(ExecutionTest, OversizedTaskResultFailsWithDataLimitExceeded) {
  const Outcome run = RunMachine(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}})",
      "{}", [](const TaskRequest&) {
        return TaskAnswer{true, "\"" + std::string(kMaxPayloadBytes, 'a') + "\"", {}, {}};
      });
  EXPECT_EQ(run.result.status, ExecutionStatus::kFailed) << "States.ALL must not catch it";
  EXPECT_EQ(run.result.error, "States.DataLimitExceeded");
}

TEST(ExecutionTest, EventIdsAreSequentialAndChainedWithinABranch) {
  FakeClock clock(kStart);
  EventNames events;
  RunOptions options;
  options.clock = &clock;
  options.sink = &events;
  RunToCompletion(CompileOrDie(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}})"),
                  "{}", options);
  EXPECT_EQ(events.ids, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
  // AWS chains the first state to event 0, not to ExecutionStarted (reference §4.3).
  EXPECT_EQ(events.previous, (std::vector<std::int64_t>{0, 0, 2, 3, 4, 5}));
}

TEST(ExecutionTest, StepYieldsWhenTheBudgetRunsOut) {
  const auto machine = CompileOrDie(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},"C":{"Type":"Pass","End":true}}})");
  Arena arena;
  Document input;
  ExecutionInfo info;
  info.start_time = kStart;
  Execution execution(machine, info, arena);
  execution.Start(*input.Parse("{}"), 2);
  EXPECT_EQ(execution.Step(kStart, 2).kind, StepKind::kYield);
  EXPECT_EQ(execution.state_transitions(), 2U);
  EXPECT_EQ(execution.Step(kStart, 2).kind, StepKind::kDone);
  EXPECT_EQ(execution.status(), ExecutionStatus::kSucceeded);
}

TEST(ExecutionTest, StaleTaskAnswersAreIgnored) {
  const auto machine = CompileOrDie(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}})");
  Arena arena;
  Document input;
  ExecutionInfo info;
  info.start_time = kStart;
  Execution execution(machine, info, arena);
  execution.Start(*input.Parse("{}"), 2);
  EXPECT_EQ(execution.Step(kStart, 100).kind, StepKind::kBlocked);
  const auto tasks = execution.TakeTaskRequests();
  ASSERT_EQ(tasks.size(), 1U);
  const std::uint64_t ticket = tasks[0].ticket;
  execution.CompleteTask(ticket + 1, Value::Int(1), 1);  // unknown: ignored
  EXPECT_EQ(execution.Step(kStart, 100).kind, StepKind::kBlocked);
  execution.CompleteTask(ticket, Value::Int(5), 1);
  EXPECT_EQ(execution.Step(kStart, 100).kind, StepKind::kDone);
  EXPECT_EQ(ToJson(execution.output()), "5");
}

}  // namespace
}  // namespace stepd::runtime
