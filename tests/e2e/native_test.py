#!/usr/bin/python3
"""stepd's native endpoints and the harness itself, through urllib (no AWS client involved).

Checks: /healthz and /readyz; POST /v1/state-machines/NAME:sync for every bench workload
(output == expected_output.json); a failed execution -> 422 {"status","error","cause"};
invalid input and an unknown machine -> 4xx with the AWS error code; :batch NDJSON in ->
one status line per input, chunked; the AWS JSON API reached with an absolute-form request
target and Host: sync-127.0.0.1:PORT (what the HTTP_PROXY workaround sends); the
x-amzn-ErrorType header of error answers; and a clean SIGTERM exit (done by the harness).
"""

import json
import socket
import sys

import harness
from harness import check, check_eq

suite = harness.Suite("native endpoints (urllib)")


@suite.test
def health_and_readiness(ctx):
    for path in ("/healthz", "/readyz"):
        status, headers, body = harness.http("GET", ctx.url + path)
        check_eq(status, 200, f"GET {path} -> 200")
        check_eq(json.loads(body), {"status": "ok"}, f"GET {path} body")


@suite.test
def sync_workloads_match_expected_output(ctx):
    for w in ctx.workloads.values():
        status, headers, body = harness.http("POST", f"{ctx.url}/v1/state-machines/{w.name}:sync",
                                             w.input.encode())
        check_eq(status, 200, f"{w.name}:sync -> 200")
        check_eq(json.loads(body), w.expected, f"{w.name}:sync output == expected_output.json")


@suite.test
def sync_failed_execution_is_422(ctx):
    status, headers, body = harness.http("POST", f"{ctx.url}/v1/state-machines/failer:sync", b"{}")
    check_eq(status, 422, "failer:sync -> 422")
    check_eq(json.loads(body), {"status": "FAILED", "error": "Order.Rejected",
                                "cause": "quantity must be positive"}, "422 body")


@suite.test
def sync_invalid_input(ctx):
    status, headers, body = harness.http("POST", f"{ctx.url}/v1/state-machines/greeter:sync",
                                         b"{not json")
    check_eq(status, 400, "invalid JSON input -> 400")
    doc = json.loads(body)
    check_eq(doc.get("__type"), "InvalidExecutionInput", "__type InvalidExecutionInput")
    check(doc.get("message", "").startswith("Invalid State Machine Execution Input: '"),
          "message starts with \"Invalid State Machine Execution Input: '\"")


@suite.test
def sync_unknown_machine(ctx):
    status, headers, body = harness.http("POST", f"{ctx.url}/v1/state-machines/nope:sync", b"{}")
    check(400 <= status < 500, f"unknown machine -> 4xx (got {status})")
    doc = json.loads(body)
    check_eq(doc.get("__type"), "StateMachineDoesNotExist", "__type StateMachineDoesNotExist")
    check_eq(doc.get("message"),
             f"State Machine Does Not Exist: '{harness.sm_arn('nope')}'", "message")


@suite.test
def batch_ndjson(ctx):
    iot = ctx.workloads["iot_ingest"]
    lines = [json.dumps(json.loads(iot.input)), "{broken", json.dumps({"who": "ada"})]
    status, headers, body = harness.http(
        "POST", f"{ctx.url}/v1/state-machines/iot_ingest:batch",
        ("\n".join(lines) + "\n").encode(), {"Content-Type": "application/x-ndjson"})
    check_eq(status, 200, ":batch -> 200")
    check_eq(headers.get("Transfer-Encoding"), "chunked", ":batch answer is chunked")
    out = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    check_eq(len(out), 3, "one answer line per input line")
    check_eq(out[0].get("status"), "SUCCEEDED", "line 1 SUCCEEDED")
    check_eq(out[0].get("output"), iot.expected, "line 1 output == expected_output.json")
    check(out[1].get("status") not in ("SUCCEEDED", None),
          f"line 2 (bad JSON) not SUCCEEDED: {out[1]}")
    check_eq(out[1].get("error"), "InvalidExecutionInput", "line 2 error InvalidExecutionInput")
    check_eq(out[2].get("status"), "FAILED", "line 3 FAILED (input lacks the fields)")
    check(out[2].get("error") and out[2].get("cause"), "line 3 carries error and cause")


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def aws_raw(port: int, target_form: str, host: str, action: str, payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    head = (f"POST {target_form} HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Target: AWSStepFunctions.{action}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return raw_request(port, head.encode() + body)


def split_response(raw: bytes):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.decode("latin-1").strip().lower()] = value.strip()
    return status, headers, body


@suite.test
def absolute_form_target_with_sync_host(ctx):
    iot = ctx.workloads["iot_ingest"]
    host = f"sync-127.0.0.1:{ctx.port}"
    raw = aws_raw(ctx.port, f"http://{host}/", host, "StartSyncExecution",
                  {"stateMachineArn": harness.sm_arn("iot_ingest"), "input": iot.input})
    status, headers, body = split_response(raw)
    check_eq(status, 200, "POST http://sync-127.0.0.1:PORT/ (absolute form) -> 200")
    doc = json.loads(body)
    check_eq(doc.get("status"), "SUCCEEDED", "status SUCCEEDED")
    check_eq(json.loads(doc["output"]), iot.expected, "output == expected_output.json")


@suite.test
def error_answers_carry_a_clean_error_type_header(ctx):
    raw = aws_raw(ctx.port, "/", f"127.0.0.1:{ctx.port}", "DescribeStateMachine",
                  {"stateMachineArn": harness.sm_arn("nope")})
    status, headers, body = split_response(raw)
    check_eq(status, 400, "DescribeStateMachine(unknown) -> 400")
    check_eq(json.loads(body).get("__type"), "StateMachineDoesNotExist", "__type")
    check_eq(headers.get("x-amzn-errortype"), b"StateMachineDoesNotExist",
             "header x-amzn-ErrorType: StateMachineDoesNotExist (exact bytes)")


def main():
    args = harness.parse_args()
    workloads = harness.load_workloads(args.shared_dir)
    with harness.StepdServer(args.stepd, harness.default_definitions(args.shared_dir)) as server:
        server.workloads = workloads
        rc = suite.run(server)
    return rc


if __name__ == "__main__":
    sys.exit(main())
