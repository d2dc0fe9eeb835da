#!/usr/bin/python3
"""stepd's execution logs read back with the AWS CLI v2 from Debian (`aws logs ...`, 2.9.19).

One `stepd serve` whose machines log to ONE log group (as several machines may on AWS) at every
level, two of them configured by a `NAME.config.json` sidecar in --definitions and the rest by
CreateStateMachine's loggingConfiguration:

| machine        | definition                     | level | data  | executions            | logged |
|----------------|--------------------------------|-------|-------|-----------------------|--------|
| `all_data`     | conformance pass_result        | ALL   | true  | 2 succeeded           | 4 + 4  |
| `fatal_slow`   | TimeoutSeconds 1, Wait 3 s     | FATAL | false | 1 timed out           | 1      |
| `all_nodata`   | conformance raise_failure      | ALL   | false | 1 failed (Fail state) | 3      |
| `error_fail`   | conformance raise_failure      | ERROR | true  | 1 failed              | 2      |
| `error_pass`   | conformance pass_result        | ERROR | true  | 1 succeeded           | 0      |
| `off_fail`     | conformance raise_failure      | OFF   | -     | 1 failed              | 0      |

(sidecars: all_data, fatal_slow). The executions run with StartSyncExecution over urllib (logs
are appended before a sync response is written, so no waiting is needed); only the reads go
through the CLI, about a dozen calls: describe-log-groups, describe-log-streams, one
filter-log-events without a pattern (every event of the group, the reference for the rest),
get-log-events --start-from-head on one stream per logging machine, filter-log-events with
`{ $.type = "ExecutionFailed" }` and with `{ $.execution_arn = "<arn>" }`, `logs tail --since
1h`, and get-log-events on a missing group (ResourceNotFoundException).

The expected event types at level ALL are the `events` the conformance cases
`logs/test_logs.test_base(pass_result.json5_ALL_False)` and `(raise_failure.json5_ALL_True)`
recorded on AWS; the other levels select from them (reference §4.4). Ids keep the history's
numbering at every level.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

import harness
from harness import check, check_eq

AWS = "/usr/bin/aws"
suite = harness.Suite("AWS CLI v2 (/usr/bin/aws) logs")
CALLS = {"n": 0, "seconds": 0.0}

GROUP = "/aws/vendedlogs/states/stepd-e2e-logs"
GROUP_ARN = f"arn:aws:logs:{harness.REGION}:{harness.ACCOUNT}:log-group:{GROUP}:*"
STREAM_RE = re.compile(r"^states/([A-Za-z0-9_-]+)/(\d{4}-\d{2}-\d{2}-\d{2}-\d{2})/([0-9a-f]{8})$")

FATAL = {"ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"}
ERROR = FATAL | {
    "FailStateEntered", "LambdaFunctionFailed", "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed", "LambdaFunctionTimedOut", "MapIterationAborted",
    "MapIterationFailed", "MapRunAborted", "MapRunFailed", "MapStateAborted", "MapStateFailed",
    "ParallelStateAborted", "ParallelStateFailed", "TaskFailed", "TaskStartFailed",
    "TaskStateAborted", "TaskSubmitFailed", "TaskTimedOut", "WaitStateAborted"}
MESSAGE_KEYS = {"id", "type", "details", "previous_event_id", "event_timestamp", "execution_arn",
                "redrive_count"}

SLOW_TIMEOUT_DEFINITION = {
    "Comment": "times out: TimeoutSeconds 1, Wait 3 s",
    "TimeoutSeconds": 1,
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Wait", "Seconds": 3, "End": True}},
}
# The full history of SLOW_TIMEOUT_DEFINITION (what level ALL would log).
SLOW_EVENTS = ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]


def selected(level, events):
    """(id, type) of the history events `events` that `level` logs; ids keep the numbering."""
    keep = {"ALL": lambda t: True, "ERROR": ERROR.__contains__, "FATAL": FATAL.__contains__,
            "OFF": lambda t: False}[level]
    return [(str(i + 1), t) for i, t in enumerate(events) if keep(t)]


def logging_config(level, data):
    config = {"level": level, "includeExecutionData": data}
    if level != "OFF":
        config["destinations"] = [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP_ARN}}]
    return config


class SidecarDefinitions(dict):
    """NAME -> definition text for harness.StepdServer, which writes NAME.asl.json; writes the
    NAME.config.json sidecars into the same folder when the server iterates it (just before
    stepd starts)."""

    def __init__(self, definitions, sidecars):
        super().__init__(definitions)
        self.sidecars = sidecars
        self.server = None

    def items(self):
        folder = os.path.join(self.server._tmp.name, "definitions")
        for name, config in self.sidecars.items():
            with open(os.path.join(folder, name + ".config.json"), "w", encoding="utf-8") as f:
                json.dump({"loggingConfiguration": config}, f)
        return super().items()


def logs_json(url, action, payload):
    """A raw CloudWatch Logs (JSON 1.1) call: (status, parsed body)."""
    status, _, body = harness.http("POST", url + "/", json.dumps(payload).encode(), {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Logs_20140328." + action,
    })
    return status, (json.loads(body) if body else None)


class Cli:
    def __init__(self, url, tmp_dir):
        self.url = url
        self.env = harness.client_env(tmp_dir)

    def run(self, *args, parse=True):
        cmd = [AWS, "--endpoint-url", self.url, "--output", "json", "--no-cli-pager", "logs",
               *args]
        print(f"  $ aws logs {' '.join(args)}", flush=True)
        start = time.monotonic()
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=60)
        CALLS["n"] += 1
        CALLS["seconds"] += time.monotonic() - start
        out = p.stdout
        if parse and p.returncode == 0 and out.strip():
            out = json.loads(out)
        return p.returncode, out, p.stderr

    def ok(self, *args, parse=True):
        rc, out, err = self.run(*args, parse=parse)
        if rc != 0:
            raise AssertionError(f"aws logs {args[0]} failed with status {rc}: {err[-600:]}")
        return out if out else ({} if parse else "")


class Context:
    pass


def run_executions(ctx):
    """Starts every execution of the table above; returns [(machine, arn, input, status)]."""
    runs = []
    plan = [("all_data", {"n": 1}), ("all_data", {"n": 2}), ("fatal_slow", {"slow": True}),
            ("all_nodata", {"k": "v"}), ("error_fail", {"e": 1}), ("error_pass", {"p": 1}),
            ("off_fail", {"o": 1})]
    for machine, value in plan:
        status, out = harness.aws_json(ctx.url, "StartSyncExecution", {
            "stateMachineArn": harness.sm_arn(machine), "input": json.dumps(value)})
        if status != 200:
            raise AssertionError(f"StartSyncExecution {machine}: HTTP {status}: {out}")
        runs.append((machine, out["executionArn"], value, out["status"]))
    return runs


def setup(ctx):
    conf = os.path.join(ctx.args.shared_dir, "conformance", "cases", "logs")
    cases = {}
    for key, case_id in (("pass", "test_logs.test_base(pass_result.json5_ALL_False)"),
                         ("fail", "test_logs.test_base(raise_failure.json5_ALL_True)")):
        with open(os.path.join(conf, case_id + ".json"), encoding="utf-8") as f:
            cases[key] = json.load(f)
    ctx.cases = cases
    # machine -> (definition, events at level ALL, level, includeExecutionData)
    ctx.machines = {
        "all_data": (cases["pass"]["definition"], cases["pass"]["events"], "ALL", True),
        "fatal_slow": (SLOW_TIMEOUT_DEFINITION, SLOW_EVENTS, "FATAL", False),
        "all_nodata": (cases["fail"]["definition"], cases["fail"]["events"], "ALL", False),
        "error_fail": (cases["fail"]["definition"], cases["fail"]["events"], "ERROR", True),
        "error_pass": (cases["pass"]["definition"], cases["pass"]["events"], "ERROR", True),
        "off_fail": (cases["fail"]["definition"], cases["fail"]["events"], "OFF", True),
    }
    ctx.sidecar_machines = ("all_data", "fatal_slow")


@suite.test
def executions_and_log_groups(ctx):
    url = ctx.url
    # On AWS the destination group must exist before CreateStateMachine refers to it.
    status, body = logs_json(url, "CreateLogGroup", {"logGroupName": GROUP})
    check_eq((status, body), (200, {}), f"CreateLogGroup {GROUP} (urllib)")
    for name, (definition, _, level, data) in ctx.machines.items():
        if name in ctx.sidecar_machines:
            continue
        status, out = harness.aws_json(url, "CreateStateMachine", {
            "name": name, "definition": json.dumps(definition), "roleArn": harness.ROLE_ARN,
            "type": "EXPRESS", "loggingConfiguration": logging_config(level, data)})
        check_eq(status, 200, f"CreateStateMachine {name} with logging {level} (urllib): {out}")
    status, out = harness.aws_json(url, "DescribeStateMachine",
                                   {"stateMachineArn": harness.sm_arn("all_data")})
    check_eq(out.get("loggingConfiguration"), logging_config("ALL", True),
             "DescribeStateMachine all_data: loggingConfiguration from the sidecar")
    ctx.role = {name: out["roleArn"] if name in ctx.sidecar_machines else harness.ROLE_ARN
                for name in ctx.machines}

    ctx.runs = run_executions(ctx)
    statuses = {}
    for machine, _, _, status in ctx.runs:
        statuses.setdefault(machine, []).append(status)
    check_eq(statuses, {"all_data": ["SUCCEEDED", "SUCCEEDED"], "fatal_slow": ["TIMED_OUT"],
                        "all_nodata": ["FAILED"], "error_fail": ["FAILED"],
                        "error_pass": ["SUCCEEDED"], "off_fail": ["FAILED"]},
             "execution statuses (StartSyncExecution over urllib)")

    groups = ctx.cli.ok("describe-log-groups", "--log-group-name-prefix",
                        "/aws/vendedlogs/states/")["logGroups"]
    check_eq([g["logGroupName"] for g in groups], [GROUP],
             "describe-log-groups: exactly the one destination group")
    g = groups[0]
    check_eq(g.get("arn"), GROUP_ARN, "log group arn ends with ':*'")
    check(isinstance(g.get("creationTime"), int) and g["creationTime"] > 1.6e12,
          f"creationTime in epoch milliseconds ({g.get('creationTime')})")


@suite.test
def log_streams(ctx):
    streams = ctx.cli.ok("describe-log-streams", "--log-group-name", GROUP)["logStreams"]
    names = [s["logStreamName"] for s in streams]
    check_eq(names, sorted(names), "describe-log-streams: ordered by name (default LogStreamName)")
    machines = set()
    now = time.gmtime()
    for s in streams:
        m = STREAM_RE.match(s["logStreamName"])
        check(m is not None, f"stream name {s['logStreamName']!r} is "
              "states/<machine>/<YYYY-MM-DD-HH-MM>/<8 hex>")
        minute = time.strptime(m.group(2), "%Y-%m-%d-%H-%M")
        check(abs(time.mktime(minute) - time.mktime(now)) < 3600,
              f"stream minute {m.group(2)} is the current UTC time (±1 h)")
        machines.add(m.group(1))
        for key in ("creationTime", "firstEventTimestamp", "lastEventTimestamp",
                    "lastIngestionTime"):
            check(isinstance(s.get(key), int), f"{s['logStreamName']}: {key} is an integer")
        check_eq(s.get("arn"), GROUP_ARN[:-2] + ":log-stream:" + s["logStreamName"],
                 "stream arn")
    check_eq(sorted(machines), ["all_data", "all_nodata", "error_fail", "fatal_slow"],
             "streams exist for the machines that logged something only (not error_pass at "
             "ERROR with a success, not off_fail at OFF)")
    ctx.streams = names


def check_message(ctx, machine, event, msg, expected_id, data, input_value):
    what = f"{machine} {msg.get('type')} #{msg.get('id')}"
    if set(msg) != MESSAGE_KEYS:
        raise AssertionError(f"{what}: keys {sorted(msg)} != {sorted(MESSAGE_KEYS)}")
    for key in ("id", "previous_event_id", "event_timestamp", "redrive_count"):
        if not (isinstance(msg[key], str) and msg[key].isdigit()):
            raise AssertionError(f"{what}: {key} is not a string of digits: {msg[key]!r}")
    if msg["id"] != expected_id:
        raise AssertionError(f"{what}: id {msg['id']!r}, expected {expected_id!r}")
    if msg["redrive_count"] != "0":
        raise AssertionError(f"{what}: redrive_count {msg['redrive_count']!r}")
    if msg["event_timestamp"] != str(event["timestamp"]):
        raise AssertionError(f"{what}: event_timestamp {msg['event_timestamp']} is not the "
                             f"CloudWatch timestamp {event['timestamp']}")
    details = msg["details"]
    if not isinstance(details, dict):
        raise AssertionError(f"{what}: details is not an object: {details!r}")
    t = msg["type"]
    if not data:
        leaked = {"input", "output", "parameters"} & set(details)
        if leaked:
            raise AssertionError(f"{what}: includeExecutionData false but details has {leaked}")
    if t == "ExecutionStarted":
        if details.get("roleArn") != ctx.role[machine]:
            raise AssertionError(f"{what}: roleArn {details.get('roleArn')!r}")
        if data:
            if not isinstance(details.get("input"), str):
                raise AssertionError(f"{what}: details.input is not a JSON string")
            if json.loads(details["input"]) != input_value:
                raise AssertionError(f"{what}: input {details['input']!r} != {input_value}")
            if details.get("inputDetails") != {"truncated": False}:
                raise AssertionError(f"{what}: inputDetails {details.get('inputDetails')}")
    elif t.endswith("StateEntered"):
        if "name" not in details:
            raise AssertionError(f"{what}: no state name in details")
        if data and json.loads(details.get("input", "null")) != input_value:
            raise AssertionError(f"{what}: state input {details.get('input')!r}")
    elif t in ("PassStateExited", "ExecutionSucceeded"):
        if data:
            if not isinstance(details.get("output"), str):
                raise AssertionError(f"{what}: details.output is not a JSON string")
            if json.loads(details["output"]) != ctx.cases["pass"]["expect"]["output"]:
                raise AssertionError(f"{what}: output {details['output']!r}")
            if details.get("outputDetails") != {"truncated": False}:
                raise AssertionError(f"{what}: outputDetails {details.get('outputDetails')}")
    elif t == "ExecutionFailed":
        expect = ctx.cases["fail"]["expect"]
        if (details.get("error"), details.get("cause")) != (expect["error"], expect["cause"]):
            raise AssertionError(f"{what}: error/cause {details}")


@suite.test
def every_event_in_express_shape(ctx):
    out = ctx.cli.ok("filter-log-events", "--log-group-name", GROUP)
    events = out["events"]
    ctx.all_events = events
    by_arn = {}
    for e in events:
        msg = json.loads(e["message"])
        by_arn.setdefault(msg["execution_arn"], []).append((e, msg))
    event_ids = [e["eventId"] for e in events]
    check(all(isinstance(i, str) and i for i in event_ids) and
          len(set(event_ids)) == len(event_ids), f"{len(events)} events, unique string eventIds")
    timestamps = [e["timestamp"] for e in events]
    check_eq(timestamps, sorted(timestamps), "filter-log-events: interleaved by timestamp")

    logged = set()
    for machine, arn, value, _ in ctx.runs:
        _, history, level, data = ctx.machines[machine]
        expected = selected(level, history)
        got = by_arn.pop(arn, [])
        if not expected:
            check_eq(got, [], f"{machine} ({level}): nothing logged for {arn.rsplit(':', 1)[1]}")
            continue
        logged.add(machine)
        check_eq([m["type"] for _, m in got], [t for _, t in expected],
                 f"{machine} ({level}): event types {[t for _, t in expected]}")
        stream = {e["logStreamName"] for e, _ in got}
        check(len(stream) == 1 and next(iter(stream)).startswith(f"states/{machine}/"),
              f"{machine}: one execution's events are in one stream states/{machine}/... "
              f"({stream})")
        check(arn.startswith(f"{harness.EXPRESS_ARN_PREFIX}{machine}:"),
              f"{machine}: execution_arn is the Express ARN")
        for (e, m), (eid, _) in zip(got, expected):
            check_message(ctx, machine, e, m, eid, data, value)
        check(True, f"{machine}: id/previous_event_id/event_timestamp/redrive_count strings, "
              f"ids {[i for i, _ in expected]}, details "
              f"{'with' if data else 'without'} input/output")
        if level == "ALL":
            prev = [m["previous_event_id"] for _, m in got]
            want = {4: ["0", "0", "2", "3"], 3: ["0", "0", "2"]}[len(got)]
            check_eq(prev, want, f"{machine}: previous_event_id (first state's Entered → '0')")
    check_eq(by_arn, {}, "no events of unknown executions")
    check_eq(sorted(logged), ["all_data", "all_nodata", "error_fail", "fatal_slow"],
             "machines that logged")


@suite.test
def get_log_events_from_head(ctx):
    """get-log-events --start-from-head on the first stream of each machine that logged."""
    firsts = {}
    for name in ctx.streams:
        firsts.setdefault(STREAM_RE.match(name).group(1), name)
    for machine, stream in sorted(firsts.items()):
        out = ctx.cli.ok("get-log-events", "--log-group-name", GROUP, "--log-stream-name",
                         stream, "--start-from-head")
        want = [(e["timestamp"], e["message"]) for e in ctx.all_events
                if e["logStreamName"] == stream]
        got = [(e["timestamp"], e["message"]) for e in out["events"]]
        check_eq(got, want, f"{stream}: {len(want)} events, oldest first, same as "
                 "filter-log-events")
        check(all(isinstance(e.get("ingestionTime"), int) for e in out["events"]),
              "every event has an ingestionTime")
        check(out.get("nextForwardToken", "").startswith("f/") and
              out.get("nextBackwardToken", "").startswith("b/"),
              f"nextForwardToken f/..., nextBackwardToken b/... ({out.get('nextForwardToken')}, "
              f"{out.get('nextBackwardToken')})")


@suite.test
def filter_log_events_json_patterns(ctx):
    out = ctx.cli.ok("filter-log-events", "--log-group-name", GROUP, "--filter-pattern",
                     '{ $.type = "ExecutionFailed" }')
    want = [e for e in ctx.all_events if json.loads(e["message"])["type"] == "ExecutionFailed"]
    check_eq(len(want), 2, "two ExecutionFailed events logged (all_nodata, error_fail)")
    check_eq([(e["logStreamName"], e["message"], e["eventId"]) for e in out["events"]],
             [(e["logStreamName"], e["message"], e["eventId"]) for e in want],
             '{ $.type = "ExecutionFailed" }: exactly the ExecutionFailed events')

    arn = next(a for m, a, _, _ in ctx.runs if m == "all_data")
    out = ctx.cli.ok("filter-log-events", "--log-group-name", GROUP, "--log-stream-name-prefix",
                     "states/", "--filter-pattern", f'{{ $.execution_arn = "{arn}" }}')
    want = [e["message"] for e in ctx.all_events
            if json.loads(e["message"])["execution_arn"] == arn]
    check_eq(len(want), 4, "the first all_data execution logged 4 events")
    check_eq([e["message"] for e in out["events"]], want,
             '{ $.execution_arn = "<arn>" } (prefix states/): exactly that execution, in order')


@suite.test
def logs_tail(ctx):
    text = ctx.cli.ok("tail", GROUP, "--since", "1h", parse=False)
    lines = [line for line in text.splitlines() if line.strip()]
    check_eq(len(lines), len(ctx.all_events), "aws logs tail --since 1h: one line per event")
    for line, e in zip(lines, ctx.all_events):
        parts = line.split(" ", 2)
        if len(parts) != 3 or parts[1] != e["logStreamName"] or parts[2] != e["message"]:
            raise AssertionError(f"tail line {line[:300]!r} is not '<time> {e['logStreamName']} "
                                 f"{e['message'][:100]}...'")
    check(True, "every line is '<timestamp> <stream name> <message>' in filter-log-events order")


@suite.test
def missing_group_is_resource_not_found(ctx):
    rc, _, err = ctx.cli.run("get-log-events", "--log-group-name", "/aws/vendedlogs/nope",
                             "--log-stream-name", "states/x")
    check_eq(rc, 254, "get-log-events on a missing group: exit status 254")
    m = re.search(r"An error occurred \(([^)]*)\) when calling the (\w+) operation: (.*)", err)
    check(m is not None, f"'An error occurred (...)' on stderr ({err.strip()[-300:]!r})")
    check_eq((m.group(1), m.group(2), m.group(3).strip()),
             ("ResourceNotFoundException", "GetLogEvents",
              "The specified log group does not exist."),
             "ResourceNotFoundException from GetLogEvents with AWS's message")


def main():
    args = harness.parse_args()
    if not os.access(AWS, os.X_OK):
        print(f"logs_cli_test: {AWS} is missing (Debian package awscli)", file=sys.stderr)
        return 1
    version = subprocess.run([AWS, "--version"], capture_output=True, text=True,
                             env=harness.client_env(tempfile.mkdtemp(prefix="stepd-awsv-")))
    print(f"logs_cli_test: {version.stdout.strip() or version.stderr.strip()}", flush=True)
    ctx = Context()
    ctx.args = args
    setup(ctx)
    definitions = SidecarDefinitions(
        {name: json.dumps(ctx.machines[name][0]) for name in ctx.sidecar_machines},
        {name: logging_config(ctx.machines[name][2], ctx.machines[name][3])
         for name in ctx.sidecar_machines})
    tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-logs-cli-")
    server = harness.StepdServer(args.stepd, definitions)
    definitions.server = server
    with server:
        ctx.url = server.url
        ctx.cli = Cli(server.url, tmp.name)
        rc = suite.run(ctx)
    tmp.cleanup()
    print(f"logs_cli_test: {CALLS['n']} CLI calls in {CALLS['seconds']:.1f}s", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
