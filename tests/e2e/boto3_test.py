#!/usr/bin/python3
"""stepd driven by boto3 (Debian's python3-boto3 1.26.27; run with /usr/bin/python3).

The client uses Config(inject_host_prefix=False) so that StartSyncExecution goes to the
endpoint itself; one test instead sends it through the server as an HTTP proxy (absolute-form
request target, Host: sync-127.0.0.1:PORT). Errors are checked as boto3 surfaces them: the
modeled exception class client.exceptions.X (ThrottlingException, not in the SFN model, as a
ClientError with that code). Throttling runs against a second server started with
--max-async 1 and a Wait state that keeps one asynchronous execution in flight.

boto3 1.26.27's model has neither ValidateStateMachineDefinition nor TestState (checked below).
"""

import datetime
import json
import sys
import tempfile
import time

import harness
from harness import check, check_eq

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:  # pragma: no cover - reported clearly instead of a traceback
    print(f"boto3_test: cannot import boto3 ({e}); run with Debian's /usr/bin/python3 and "
          "install python3-boto3 (scripts/setup)", file=sys.stderr)
    sys.exit(1)

suite = harness.Suite(f"boto3 {boto3.__version__} / botocore {botocore.__version__}")
NEW_DEFINITION = {"StartAt": "P",
                  "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": True}}}


def make_client(url, **config):
    config.setdefault("inject_host_prefix", False)
    return boto3.client("stepfunctions", endpoint_url=url, region_name=harness.REGION,
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(**config))


def expect_error(client, code, fn, *args, message=None, message_prefix=None, **kwargs):
    """Calls fn, expects it to raise the modeled class client.exceptions.<code> (or a
    ClientError with that code when the model has no such class); checks the message."""
    modeled = getattr(client.exceptions, code, None)
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"].get("Code")
        if modeled is not None:
            check(isinstance(e, modeled),
                  f"raised client.exceptions.{code} (got {type(e).__name__}, code {got!r})")
        else:
            check_eq(got, code, f"ClientError code {code} (no modeled class)")
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check_eq(status, 400, f"{code}: HTTP 400")
        msg = e.response["Error"].get("Message")
        if message is not None:
            check_eq(msg, message, f"{code} message")
        if message_prefix is not None:
            check(msg and msg.startswith(message_prefix), f"{code} message starts with "
                  f"{message_prefix!r} (got {msg!r})")
        return e
    raise AssertionError(f"expected {code}, but the call succeeded")


@suite.test
def model_lacks_validate_and_test_state(ctx):
    ops = ctx.sfn.meta.service_model.operation_names
    check("ValidateStateMachineDefinition" not in ops and "TestState" not in ops,
          "boto3 1.26.27 has neither ValidateStateMachineDefinition nor TestState: not tested here")


@suite.test
def create_express_and_idempotent_repeat(ctx):
    sfn = ctx.sfn
    definition = json.dumps(harness.PASS_DEFINITION)
    first = sfn.create_state_machine(name="b3-created", definition=definition,
                                     roleArn=harness.ROLE_ARN, type="EXPRESS")
    check_eq(first["stateMachineArn"], harness.sm_arn("b3-created"), "stateMachineArn")
    check(isinstance(first["creationDate"], datetime.datetime), "creationDate parsed as datetime")
    again = sfn.create_state_machine(name="b3-created", definition=definition,
                                     roleArn=harness.ROLE_ARN, type="EXPRESS")
    check_eq(again["stateMachineArn"], first["stateMachineArn"], "idempotent repeat: same ARN")
    check_eq(again["creationDate"], first["creationDate"], "idempotent repeat: same creationDate")
    expect_error(sfn, "StateMachineAlreadyExists", sfn.create_state_machine, name="b3-created",
                 definition=json.dumps(NEW_DEFINITION), roleArn=harness.ROLE_ARN, type="EXPRESS",
                 message=f"State Machine Already Exists: '{harness.sm_arn('b3-created')}'")


@suite.test
def create_standard_refused(ctx):
    sfn = ctx.sfn
    definition = json.dumps(harness.PASS_DEFINITION)
    expect_error(sfn, "StateMachineTypeNotSupported", sfn.create_state_machine, name="b3-std",
                 definition=definition, roleArn=harness.ROLE_ARN, type="STANDARD")
    expect_error(sfn, "StateMachineTypeNotSupported", sfn.create_state_machine, name="b3-std",
                 definition=definition, roleArn=harness.ROLE_ARN)
    expect_error(sfn, "StateMachineDoesNotExist", sfn.describe_state_machine,
                 stateMachineArn=harness.sm_arn("b3-std"))


@suite.test
def create_invalid_definition_and_name(ctx):
    sfn = ctx.sfn
    expect_error(sfn, "InvalidDefinition", sfn.create_state_machine, name="b3-bad",
                 definition=json.dumps({"StartAt": "Missing", "States": {}}),
                 roleArn=harness.ROLE_ARN, type="EXPRESS",
                 message_prefix="Invalid State Machine Definition: '")
    expect_error(sfn, "InvalidDefinition", sfn.create_state_machine, name="b3-bad",
                 definition="{not json", roleArn=harness.ROLE_ARN, type="EXPRESS",
                 message_prefix="Invalid State Machine Definition: '")
    expect_error(sfn, "InvalidName", sfn.create_state_machine, name="bad name?",
                 definition=json.dumps(harness.PASS_DEFINITION), roleArn=harness.ROLE_ARN,
                 type="EXPRESS", message="Invalid Name: 'bad name?'")


@suite.test
def describe_state_machine(ctx):
    sfn = ctx.sfn
    d = sfn.describe_state_machine(stateMachineArn=harness.sm_arn("greeter"))
    check_eq(d["stateMachineArn"], harness.sm_arn("greeter"), "stateMachineArn")
    check_eq(d["name"], "greeter", "name")
    check_eq(d["type"], "EXPRESS", "type")
    check_eq(d.get("status"), "ACTIVE", "status")
    check_eq(json.loads(d["definition"]), harness.PASS_DEFINITION, "definition round-trips")
    check(isinstance(d["roleArn"], str) and d["roleArn"].startswith("arn:"), "roleArn present")
    check(isinstance(d["creationDate"], datetime.datetime), "creationDate parsed as datetime")
    expect_error(sfn, "StateMachineDoesNotExist", sfn.describe_state_machine,
                 stateMachineArn=harness.sm_arn("nope"),
                 message=f"State Machine Does Not Exist: '{harness.sm_arn('nope')}'")
    expect_error(sfn, "InvalidArn", sfn.describe_state_machine, stateMachineArn="not-an-arn",
                 message="Invalid Arn: 'not-an-arn'")


@suite.test
def update_state_machine(ctx):
    sfn = ctx.sfn
    arn = sfn.create_state_machine(name="b3-upd", definition=json.dumps(harness.PASS_DEFINITION),
                                   roleArn=harness.ROLE_ARN, type="EXPRESS")["stateMachineArn"]
    r = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(NEW_DEFINITION))
    check(isinstance(r["updateDate"], datetime.datetime), "updateDate parsed as datetime")
    d = sfn.describe_state_machine(stateMachineArn=arn)
    check_eq(json.loads(d["definition"]), NEW_DEFINITION, "describe shows the new definition")
    out = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    check_eq(json.loads(out["output"]), {"v": 1}, "executions run the new definition")
    expect_error(sfn, "MissingRequiredParameter", sfn.update_state_machine, stateMachineArn=arn)
    expect_error(sfn, "InvalidDefinition", sfn.update_state_machine, stateMachineArn=arn,
                 definition=json.dumps({"StartAt": "X", "States": {}}))
    expect_error(sfn, "StateMachineDoesNotExist", sfn.update_state_machine,
                 stateMachineArn=harness.sm_arn("nope"), definition=json.dumps(NEW_DEFINITION))


@suite.test
def list_state_machines_paginated(ctx):
    sfn = ctx.sfn
    everything = sfn.list_state_machines()
    all_names = sorted(m["name"] for m in everything["stateMachines"])
    check(set(ctx.preloaded) <= set(all_names), f"unpaged list holds the preloaded machines")
    check("nextToken" not in everything, "unpaged list: no nextToken")
    pages, token, names = 0, None, []
    while True:
        kwargs = {"maxResults": 3}
        if token:
            kwargs["nextToken"] = token
        page = sfn.list_state_machines(**kwargs)
        pages += 1
        check(len(page["stateMachines"]) <= 3, f"page {pages}: at most 3 machines")
        for m in page["stateMachines"]:
            check(m["type"] == "EXPRESS" and m["stateMachineArn"] == harness.sm_arn(m["name"])
                  and isinstance(m["creationDate"], datetime.datetime),
                  f"{m['name']}: type EXPRESS, arn, creationDate")
        names += [m["name"] for m in page["stateMachines"]]
        token = page.get("nextToken")
        if not token:
            break
        check(pages < 50, "pagination terminates")
    check_eq(sorted(names), all_names, f"maxResults=3 pages ({pages}) cover every machine once")
    check(pages >= 3, f"{len(all_names)} machines needed several pages")
    paged = [m["name"] for p in sfn.get_paginator("list_state_machines").paginate(
        PaginationConfig={"PageSize": 2}) for m in p["stateMachines"]]
    check_eq(sorted(paged), all_names, "boto3 paginator (PageSize 2) agrees")
    expect_error(sfn, "InvalidToken", sfn.list_state_machines, nextToken="garbage-token")
    expect_error(sfn, "ValidationException", sfn.list_state_machines, maxResults=1001,
                 message="1 validation error detected: Value '1001' at 'maxResults' failed to "
                 "satisfy constraint: Member must have value less than or equal to 1000")


@suite.test
def delete_state_machine(ctx):
    sfn = ctx.sfn
    arn = sfn.create_state_machine(name="b3-del", definition=json.dumps(harness.PASS_DEFINITION),
                                   roleArn=harness.ROLE_ARN, type="EXPRESS")["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    check(True, "delete_state_machine returned")
    try:
        d = sfn.describe_state_machine(stateMachineArn=arn)
        check_eq(d.get("status"), "DELETING", "after delete: DELETING or gone")
    except sfn.exceptions.StateMachineDoesNotExist:
        check(True, "after delete: describe raises StateMachineDoesNotExist")
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    check("b3-del" not in names, "deleted machine no longer listed")
    expect_error(sfn, "StateMachineDoesNotExist", sfn.start_sync_execution, stateMachineArn=arn,
                 input="{}")
    expect_error(sfn, "InvalidArn", sfn.delete_state_machine, stateMachineArn="not-an-arn")


@suite.test
def start_sync_execution_workloads(ctx):
    sfn = ctx.sfn
    for w in ctx.workloads.values():
        name = f"b3-{w.name}"
        r = sfn.start_sync_execution(stateMachineArn=harness.sm_arn(w.name), name=name,
                                     input=w.input)
        check_eq(r["status"], "SUCCEEDED", f"{w.name}: SUCCEEDED")
        check_eq(json.loads(r["output"]), w.expected, f"{w.name}: output == expected_output.json")
        check(r["executionArn"].startswith(f"{harness.EXPRESS_ARN_PREFIX}{w.name}:{name}:"),
              f"{w.name}: executionArn {r['executionArn']} is express:{w.name}:{name}:<id>")
        check_eq(r.get("stateMachineArn"), harness.sm_arn(w.name), f"{w.name}: stateMachineArn")
        check_eq(r.get("name"), name, f"{w.name}: name")
        check(isinstance(r["startDate"], datetime.datetime) and
              isinstance(r["stopDate"], datetime.datetime) and r["stopDate"] >= r["startDate"],
              f"{w.name}: startDate <= stopDate, both datetimes")
        check_eq(r.get("input"), w.input, f"{w.name}: input echoed unchanged")


@suite.test
def start_sync_execution_failed(ctx):
    r = ctx.sfn.start_sync_execution(stateMachineArn=harness.sm_arn("failer"), input="{}")
    check_eq(r["ResponseMetadata"]["HTTPStatusCode"], 200, "failed execution: HTTP 200")
    check_eq(r["status"], "FAILED", "status FAILED")
    check_eq(r.get("error"), "Order.Rejected", "error")
    check_eq(r.get("cause"), "quantity must be positive", "cause")
    check("output" not in r, "no output on failure")
    billing = r.get("billingDetails", {})
    check(billing.get("billedMemoryUsedInMB", 0) >= 64 and
          billing.get("billedDurationInMilliseconds", 0) >= 100,
          f"billingDetails: 64 MB and 100 ms minimum ({billing})")


@suite.test
def start_sync_execution_request_errors(ctx):
    sfn = ctx.sfn
    expect_error(sfn, "InvalidExecutionInput", sfn.start_sync_execution,
                 stateMachineArn=harness.sm_arn("greeter"), input="{not json",
                 message_prefix="Invalid State Machine Execution Input: '")
    expect_error(sfn, "StateMachineDoesNotExist", sfn.start_sync_execution,
                 stateMachineArn=harness.sm_arn("nope"), input="{}",
                 message=f"State Machine Does Not Exist: '{harness.sm_arn('nope')}'")
    expect_error(sfn, "InvalidArn", sfn.start_sync_execution, stateMachineArn="not-an-arn",
                 input="{}", message="Invalid Arn: 'not-an-arn'")
    expect_error(sfn, "InvalidName", sfn.start_sync_execution,
                 stateMachineArn=harness.sm_arn("greeter"), name="has space", input="{}")


@suite.test
def start_sync_execution_through_http_proxy(ctx):
    # No inject_host_prefix=False: boto3 targets http://sync-127.0.0.1:PORT/ and, with the
    # server as its proxy, sends an absolute-form request target with Host: sync-127.0.0.1:PORT.
    client = boto3.client("stepfunctions", endpoint_url=ctx.url, region_name=harness.REGION,
                          aws_access_key_id="local", aws_secret_access_key="local",
                          config=Config(proxies={"http": ctx.url}, retries={"max_attempts": 0}))
    seen = []
    client.meta.events.register("before-send.states.StartSyncExecution",
                                lambda request, **_: seen.append(request.url))
    iot = ctx.workloads["iot_ingest"]
    r = client.start_sync_execution(stateMachineArn=harness.sm_arn("iot_ingest"), input=iot.input)
    check_eq(seen, [f"http://sync-127.0.0.1:{ctx.port}/"], "request went to the sync- host")
    check_eq(r["status"], "SUCCEEDED", "SUCCEEDED through the proxy form")
    check_eq(json.loads(r["output"]), iot.expected, "output == expected_output.json")


@suite.test
def start_execution_express(ctx):
    sfn = ctx.sfn
    a = sfn.start_execution(stateMachineArn=harness.sm_arn("greeter"), name="same",
                            input=json.dumps({"who": "ada"}))
    b = sfn.start_execution(stateMachineArn=harness.sm_arn("greeter"), name="same",
                            input=json.dumps({"who": "bob"}))
    prefix = f"{harness.EXPRESS_ARN_PREFIX}greeter:same:"
    check(a["executionArn"].startswith(prefix), f"executionArn {a['executionArn']} starts {prefix}")
    check(isinstance(a["startDate"], datetime.datetime), "startDate parsed as datetime")
    check(a["executionArn"] != b["executionArn"], "same name again: a new execution ARN")
    expect_error(sfn, "InvalidExecutionInput", sfn.start_execution,
                 stateMachineArn=harness.sm_arn("greeter"), input="[1,")
    expect_error(sfn, "StateMachineDoesNotExist", sfn.start_execution,
                 stateMachineArn=harness.sm_arn("nope"))
    ctx.execution_arn = a["executionArn"]


@suite.test
def express_execution_apis_refused(ctx):
    sfn = ctx.sfn
    arn = getattr(ctx, "execution_arn", None) or sfn.start_execution(
        stateMachineArn=harness.sm_arn("greeter"))["executionArn"]
    for op in (sfn.describe_execution, sfn.stop_execution, sfn.get_execution_history):
        expect_error(sfn, "InvalidArn", op, executionArn=arn, message=harness.EXPRESS_INVALID_ARN)
    expect_error(sfn, "StateMachineTypeNotSupported", sfn.list_executions,
                 stateMachineArn=harness.sm_arn("greeter"), message=harness.SM_NOT_SUPPORTED)


@suite.test
def tags(ctx):
    sfn = ctx.sfn
    arn = sfn.create_state_machine(name="b3-tags", definition=json.dumps(harness.PASS_DEFINITION),
                                   roleArn=harness.ROLE_ARN, type="EXPRESS",
                                   tags=[{"key": "team", "value": "core"}])["stateMachineArn"]
    def current():
        return sorted((t["key"], t["value"]) for t in
                      sfn.list_tags_for_resource(resourceArn=arn)["tags"])
    check_eq(current(), [("team", "core")], "tags given at creation are listed")
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"},
                                            {"key": "team", "value": "platform"}])
    check_eq(current(), [("env", "test"), ("team", "platform")], "tag_resource adds and overwrites")
    sfn.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    check_eq(current(), [("env", "test")], "untag_resource removes (unknown keys ignored)")
    expect_error(sfn, "ResourceNotFound", sfn.list_tags_for_resource,
                 resourceArn=harness.sm_arn("nope"))
    expect_error(sfn, "ResourceNotFound", sfn.tag_resource, resourceArn=harness.sm_arn("nope"),
                 tags=[{"key": "a", "value": "b"}])


@suite.test
def throttling_is_retried(ctx):
    """--max-async 1: one Wait execution holds the only slot; StartExecution is throttled."""
    url = ctx.throttle.url
    slow = harness.sm_arn("slow")

    # (a) The throttle clears while boto3 retries: the call succeeds after >= 1 retry.
    client = make_client(url, retries={"mode": "legacy", "max_attempts": 9})
    codes = record_attempts(client)
    occupy(url, 1)
    start = time.monotonic()
    r = client.start_execution(stateMachineArn=slow, input=json.dumps({"wait": 0}))
    took = time.monotonic() - start
    retries = r["ResponseMetadata"]["RetryAttempts"]
    print(f"  (a) attempts: {codes}, RetryAttempts={retries}, {took:.2f}s")
    check_eq(codes[0], "ThrottlingException", "(a) first attempt answered ThrottlingException")
    check(retries >= 1 and codes[-1] == "OK", "(a) boto3 retried and then succeeded")
    check(r["executionArn"].startswith(harness.EXPRESS_ARN_PREFIX + "slow:"), "(a) express ARN")

    # (b) The throttle lasts longer than every retry: ThrottlingException after 3 attempts.
    client = make_client(url, retries={"mode": "standard", "total_max_attempts": 3})
    codes = record_attempts(client)
    occupy(url, 6)  # standard mode backs off at most 1 + 2 s
    e = expect_error(client, "ThrottlingException", client.start_execution,
                     stateMachineArn=slow, input=json.dumps({"wait": 0}), message="Rate exceeded")
    print(f"  (b) attempts: {codes}")
    check_eq(e.response["ResponseMetadata"]["RetryAttempts"], 2, "(b) RetryAttempts == 2")
    check_eq(codes, ["ThrottlingException"] * 3, "(b) three attempts, each throttled")


def occupy(url, seconds):
    """Starts one asynchronous execution that holds the single slot for `seconds`."""
    deadline = time.monotonic() + 5
    while True:
        status, body = harness.aws_json(url, "StartExecution", {
            "stateMachineArn": harness.sm_arn("slow"), "input": json.dumps({"wait": seconds})})
        if status == 200:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"could not occupy the async slot: {status} {body}")
        time.sleep(0.05)


def record_attempts(client):
    """Records each attempt's outcome ("OK" or the error code) via botocore's needs-retry hook."""
    codes = []

    def on_attempt(response=None, **_):
        if response is not None:
            http_response, parsed = response
            failed = http_response.status_code >= 300
            codes.append(parsed.get("Error", {}).get("Code", "?") if failed else "OK")

    client.meta.events.register("needs-retry.states.StartExecution", on_attempt)
    return codes


def main():
    args = harness.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-boto3-")
    harness.hermetic_process_env(tmp.name)
    definitions = harness.default_definitions(args.shared_dir)
    throttle_defs = {"slow": json.dumps(harness.SLOW_DEFINITION)}
    with harness.StepdServer(args.stepd, definitions) as server, \
         harness.StepdServer(args.stepd, throttle_defs, ["--max-async", "1"]) as throttle:
        server.sfn = make_client(server.url)
        server.workloads = harness.load_workloads(args.shared_dir)
        server.preloaded = sorted(definitions)
        server.throttle = throttle
        # The throttling test first: its Wait execution then ends while the others run.
        suite.tests.sort(key=lambda fn: fn.__name__ != "throttling_is_retried")
        rc = suite.run(server)
    tmp.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
