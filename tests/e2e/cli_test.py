#!/usr/bin/python3
"""stepd driven by the AWS CLI v2 from Debian (2.9.19 at /usr/bin/aws), one subprocess per call.

The CLI has no option to drop the `sync-` host prefix of StartSyncExecution, so those calls
run with HTTP_PROXY=http://127.0.0.1:PORT (aws-clients-wire.md section 1.7 (b)): the CLI then
sends `POST http://sync-127.0.0.1:PORT/` (absolute form) with Host: sync-127.0.0.1:PORT to the
server itself. Errors are checked as the CLI surfaces them: exit status 254 and
"An error occurred (Code) when calling the Op operation: message" on stderr.
The CLI is slow to start (~0.5 s per call), so this program keeps to about 25 calls; boto3_test
and the JS tests cover the same operations in more depth.
CLI 2.9.19 has neither validate-state-machine-definition nor test-state.
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
suite = harness.Suite("AWS CLI v2 (/usr/bin/aws)")
NEW_DEFINITION = {"StartAt": "P",
                  "States": {"P": {"Type": "Pass", "Result": {"v": 2}, "End": True}}}
CALLS = {"n": 0, "seconds": 0.0}


class Cli:
    def __init__(self, url, tmp_dir):
        self.url = url
        self.tmp = tmp_dir
        self.env = harness.client_env(tmp_dir)

    def run(self, *args, proxy=False, debug=False):
        """Runs `aws --endpoint-url URL stepfunctions ARGS`; returns (rc, parsed stdout, stderr)."""
        env = dict(self.env)
        if proxy:
            env["HTTP_PROXY"] = self.url
        cmd = [AWS, "--endpoint-url", self.url, "--output", "json", "--no-cli-pager"]
        if debug:
            cmd.append("--debug")
        cmd += ["stepfunctions", *args]
        shown = " ".join(a if len(a) < 80 else a[:60] + "..." for a in args)
        print(f"  $ {'HTTP_PROXY=... ' if proxy else ''}aws stepfunctions {shown}", flush=True)
        start = time.monotonic()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        CALLS["n"] += 1
        CALLS["seconds"] += time.monotonic() - start
        out = None
        if p.returncode == 0 and p.stdout.strip():
            out = json.loads(p.stdout)
        return p.returncode, out, p.stderr

    def ok(self, *args, **kwargs):
        rc, out, err = self.run(*args, **kwargs)
        if rc != 0:
            raise AssertionError(f"aws {args[0]} failed with status {rc}: {err.strip()[-600:]}")
        return out if out is not None else {}

    def error(self, code, operation, *args, message=None, message_prefix=None, **kwargs):
        """Expects exit status 254 and the CLI's "An error occurred (code)" line."""
        rc, out, err = self.run(*args, **kwargs)
        check_eq(rc, 254, f"{args[0]}: exit status 254 (service error)")
        m = re.search(r"An error occurred \(([^)]*)\) when calling the (\w+) operation"
                      r"(?: \(reached max retries: (\d+)\))?: (.*)", err)
        if not m:
            raise AssertionError(f"no 'An error occurred (...)' line in stderr: {err[-800:]!r}")
        check_eq(m.group(1), code, f"{args[0]}: An error occurred ({code})")
        check_eq(m.group(2), operation, f"when calling the {operation} operation")
        text = m.group(4).strip()
        if message is not None:
            check_eq(text, message, f"{code} message")
        if message_prefix is not None:
            check(text.startswith(message_prefix), f"{code} message starts {message_prefix!r} "
                  f"(got {text!r})")
        return m, err


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return "file://" + path


@suite.test
def create_express_idempotent_and_refusals(ctx):
    cli = ctx.cli
    definition = json.dumps(harness.PASS_DEFINITION)
    common = ["--definition", definition, "--role-arn", harness.ROLE_ARN]
    first = cli.ok("create-state-machine", "--name", "cli-created", *common, "--type", "EXPRESS")
    check_eq(first["stateMachineArn"], harness.sm_arn("cli-created"), "stateMachineArn")
    check(isinstance(first["creationDate"], str) and first["creationDate"][:2] == "20",
          f"creationDate rendered as a timestamp ({first['creationDate']})")
    again = cli.ok("create-state-machine", "--name", "cli-created", *common, "--type", "EXPRESS")
    check_eq(again, first, "idempotent repeat: same ARN and creationDate")
    cli.error("StateMachineTypeNotSupported", "CreateStateMachine", "create-state-machine",
              "--name", "cli-std", *common, "--type", "STANDARD")
    cli.error("InvalidDefinition", "CreateStateMachine", "create-state-machine", "--name",
              "cli-bad", "--definition", json.dumps({"StartAt": "X", "States": {}}),
              "--role-arn", harness.ROLE_ARN, "--type", "EXPRESS",
              message_prefix="Invalid State Machine Definition: '")
    cli.error("InvalidName", "CreateStateMachine", "create-state-machine", "--name", "bad{name}",
              *common, "--type", "EXPRESS", message="Invalid Name: 'bad{name}'")


@suite.test
def describe_state_machine(ctx):
    cli = ctx.cli
    d = cli.ok("describe-state-machine", "--state-machine-arn", harness.sm_arn("greeter"))
    check_eq((d["name"], d["type"], d.get("status")), ("greeter", "EXPRESS", "ACTIVE"),
             "name, type EXPRESS, status ACTIVE")
    check_eq(json.loads(d["definition"]), harness.PASS_DEFINITION, "definition round-trips")
    cli.error("StateMachineDoesNotExist", "DescribeStateMachine", "describe-state-machine",
              "--state-machine-arn", harness.sm_arn("nope"),
              message=f"State Machine Does Not Exist: '{harness.sm_arn('nope')}'")


@suite.test
def update_then_delete(ctx):
    cli = ctx.cli
    arn = harness.sm_arn("cli-created")
    r = cli.ok("update-state-machine", "--state-machine-arn", arn,
               "--definition", json.dumps(NEW_DEFINITION))
    check("updateDate" in r, "update-state-machine returns updateDate")
    out = cli.ok("start-sync-execution", "--state-machine-arn", arn, "--input", "{}", proxy=True)
    check_eq(json.loads(out["output"]), {"v": 2}, "the updated definition runs")
    cli.ok("delete-state-machine", "--state-machine-arn", arn)
    check(True, "delete-state-machine exit status 0")
    cli.error("StateMachineDoesNotExist", "StartSyncExecution", "start-sync-execution",
              "--state-machine-arn", arn, "--input", "{}", proxy=True,
              message=f"State Machine Does Not Exist: '{arn}'")


@suite.test
def list_state_machines_paginated(ctx):
    cli = ctx.cli
    want = sorted(ctx.preloaded)
    # --page-size sends maxResults; the CLI follows nextToken until the list ends.
    everything = cli.ok("list-state-machines", "--page-size", "2")
    names = sorted(m["name"] for m in everything["stateMachines"])
    check_eq(names, want, "--page-size 2: every machine exactly once across server pages")
    check(all(m["type"] == "EXPRESS" and m["stateMachineArn"] == harness.sm_arn(m["name"])
              for m in everything["stateMachines"]), "each entry: type EXPRESS and its ARN")
    first = cli.ok("list-state-machines", "--max-items", "3", "--page-size", "2")
    check_eq(len(first["stateMachines"]), 3, "--max-items 3: three machines")
    check("NextToken" in first, "--max-items 3: a NextToken to continue")
    rest = cli.ok("list-state-machines", "--starting-token", first["NextToken"],
                  "--page-size", "2")
    check_eq(sorted(m["name"] for m in first["stateMachines"] + rest["stateMachines"]), want,
             "--starting-token continues where the first call stopped")


@suite.test
def start_sync_execution_workloads(ctx):
    cli = ctx.cli
    for name in ("iot_ingest", "large_payload", "map_fanout"):
        w = ctx.workloads[name]
        r = cli.ok("start-sync-execution", "--state-machine-arn", harness.sm_arn(name),
                   "--name", f"cli-{name}", "--input", write(ctx.tmp, f"{name}.json", w.input),
                   proxy=True)
        check_eq(r["status"], "SUCCEEDED", f"{name}: SUCCEEDED")
        check_eq(json.loads(r["output"]), w.expected, f"{name}: output == expected_output.json")
        check(r["executionArn"].startswith(f"{harness.EXPRESS_ARN_PREFIX}{name}:cli-{name}:"),
              f"{name}: executionArn is express:{name}:cli-{name}:<id>")


@suite.test
def start_sync_execution_failed_and_errors(ctx):
    cli = ctx.cli
    r = cli.ok("start-sync-execution", "--state-machine-arn", harness.sm_arn("failer"),
               "--input", "{}", proxy=True)
    check_eq((r["status"], r.get("error"), r.get("cause")),
             ("FAILED", "Order.Rejected", "quantity must be positive"),
             "failed execution: exit 0, status FAILED with error and cause")
    check("output" not in r, "no output on failure")
    cli.error("InvalidExecutionInput", "StartSyncExecution", "start-sync-execution",
              "--state-machine-arn", harness.sm_arn("greeter"), "--input", "{oops", proxy=True,
              message_prefix="Invalid State Machine Execution Input: '")
    cli.error("InvalidArn", "StartSyncExecution", "start-sync-execution", "--state-machine-arn",
              "arn:aws:states:us-east-1:123456789012:nonsense", "--input", "{}", proxy=True,
              message="Invalid Arn: 'arn:aws:states:us-east-1:123456789012:nonsense'")


@suite.test
def start_execution_and_express_answers(ctx):
    cli = ctx.cli
    r = cli.ok("start-execution", "--state-machine-arn", harness.sm_arn("greeter"),
               "--name", "cli-async", "--input", json.dumps({"who": "cli"}))
    arn = r["executionArn"]
    check(arn.startswith(f"{harness.EXPRESS_ARN_PREFIX}greeter:cli-async:"),
          f"executionArn {arn} is express:greeter:cli-async:<id>")
    check("startDate" in r, "startDate present")
    cli.error("InvalidArn", "DescribeExecution", "describe-execution", "--execution-arn", arn,
              message=harness.EXPRESS_INVALID_ARN)
    cli.error("StateMachineTypeNotSupported", "ListExecutions", "list-executions",
              "--state-machine-arn", harness.sm_arn("greeter"), message=harness.SM_NOT_SUPPORTED)


@suite.test
def tags(ctx):
    cli = ctx.cli
    arn = harness.sm_arn("greeter")
    cli.ok("tag-resource", "--resource-arn", arn, "--tags", "key=team,value=core",
           "key=env,value=ci")
    cli.ok("untag-resource", "--resource-arn", arn, "--tag-keys", "env")
    r = cli.ok("list-tags-for-resource", "--resource-arn", arn)
    check_eq(r.get("tags"), [{"key": "team", "value": "core"}],
             "tag-resource then untag-resource: only team=core left")


@suite.test
def throttling_is_retried(ctx):
    """--max-async 1 and a Wait that holds the slot for 8 s, longer than the CLI's retries
    (start-up ~0.5-1.5 s, then backoff of at most 1 + 2 s). Runs first, so the Wait ends
    while the other tests run."""
    cli = Cli(ctx.throttle.url, ctx.tmp)
    status, body = harness.aws_json(ctx.throttle.url, "StartExecution", {
        "stateMachineArn": harness.sm_arn("slow"), "input": json.dumps({"wait": 8})})
    check_eq(status, 200, "first StartExecution (Wait 8 s) accepted")
    m, err = cli.error("ThrottlingException", "StartExecution", "start-execution",
                       "--state-machine-arn", harness.sm_arn("slow"), debug=True,
                       message="Rate exceeded")
    check_eq(m.group(3), "2", "the CLI says 'reached max retries: 2'")
    retries = len(re.findall(r"Retry needed, retrying request after delay of", err))
    check_eq(retries, 2, "--debug shows 2 retries of the throttled request (3 attempts)")
    attempts = len(re.findall(r'"__type":\s*"ThrottlingException"', err))
    check_eq(attempts, 3, "--debug shows three ThrottlingException response bodies")


def main():
    args = harness.parse_args()
    if not os.access(AWS, os.X_OK):
        print(f"cli_test: {AWS} is missing: install Debian's awscli (scripts/setup)",
              file=sys.stderr)
        return 1
    tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-cli-")
    definitions = harness.default_definitions(args.shared_dir)
    throttle_defs = {"slow": json.dumps(harness.SLOW_DEFINITION)}
    with harness.StepdServer(args.stepd, definitions) as server, \
         harness.StepdServer(args.stepd, throttle_defs, ["--max-async", "1"]) as throttle:
        server.cli = Cli(server.url, tmp.name)
        server.tmp = tmp.name
        server.workloads = harness.load_workloads(args.shared_dir)
        server.preloaded = sorted(definitions)
        server.throttle = throttle
        # The throttling test first: its Wait execution then ends while the others run.
        suite.tests.sort(key=lambda fn: fn.__name__ != "throttling_is_retried")
        rc = suite.run(server)
    print(f"cli_test: {CALLS['n']} CLI calls, {CALLS['seconds']:.1f}s in the CLI")
    tmp.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
