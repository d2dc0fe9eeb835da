#!/usr/bin/python3
"""stepd's own log on standard error (--log-level, --log-format), as an operator sees it.

Checks: `--log-format json --log-level debug` writes nothing but JSON objects, one per line, in
valid UTF-8, each with time, level, logger and message, from start-up to the drain report after
SIGTERM, with the fields each record promises; a definitions folder whose path holds a quote, a
backslash, a tab, non-ASCII and a byte that is not UTF-8 shows the escaping; a drain that times out
is an error record and exit status 1; the default is text with the "Try:" hint; --log-level warn
keeps only the warning and off keeps nothing; unknown values are usage errors (status 2).
"""

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time

import harness
from harness import check, check_eq

suite = harness.Suite("operational log (stderr)")

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEVELS = {"trace", "debug", "info", "warn", "error", "critical"}
# A folder name that needs every kind of escaping; "\udcff" is the byte 0xff (not UTF-8), which
# Python passes through file names and arguments as it is (surrogateescape).
ODD_DIR = 'defs "q" \\ \u00e9\u65e5\t\udcff'
WARNING_TAIL = "/greeter.config.json: member 'colour' is not a CreateStateMachine member and is ignored"


def definitions_dir(parent: str, name: str, machines: dict, sidecar: bool) -> str:
    path = os.path.join(parent, name)
    os.mkdir(path)
    for machine, definition in machines.items():
        with open(os.path.join(path, machine + ".asl.json"), "w", encoding="utf-8") as f:
            json.dump(definition, f)
    if sidecar:  # an unknown member: a warning, not an error
        with open(os.path.join(path, "greeter.config.json"), "w", encoding="utf-8") as f:
            json.dump({"colour": "blue"}, f)
    return path


class Serve:
    """`stepd serve --port 0 --threads 2 ARGS...`; standard error kept as bytes after stop()."""

    def __init__(self, stepd: str, tmp: str, args):
        self.cmd = [stepd, "serve", "--port", "0", "--threads", "2"] + list(args)
        self.stderr_path = os.path.join(tmp, f"stderr-{time.monotonic_ns()}.log")
        print(f"[oplog] starting: {self.cmd!r}", flush=True)
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=err)
        line = self._ready_line(15.0)
        if not line.startswith(harness.StepdServer.READY_PREFIX):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"no ready line; got {line!r}; stderr:\n"
                                 + harness.file_tail(self.stderr_path))
        self.url = line[len(harness.StepdServer.READY_PREFIX):].strip()

    def _ready_line(self, timeout: float) -> str:
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf and sel.select(max(0.0, deadline - time.monotonic())):
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
        sel.close()
        line, _, self.stdout_rest = buf.partition(b"\n")
        return line.decode("utf-8", "replace")

    def stop(self, expect_status: int = 0) -> bytes:
        """SIGTERM; checks the exit status and that stdout held only the ready line."""
        # Sent as soon as the ready line is read: stepd must already drain on it by then.
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("stepd did not stop within 30s of SIGTERM")
        rest = self.stdout_rest + self.proc.stdout.read()
        self.proc.stdout.close()
        with open(self.stderr_path, "rb") as f:
            err = f.read()
        check_eq(status, expect_status, f"exit status {expect_status} after SIGTERM")
        check_eq(rest, b"", "nothing on stdout after the ready line")
        return err


def json_records(err: bytes) -> list:
    """Every line of `err` as a JSON object with the four fields every record has."""
    text = err.decode("utf-8")  # strict: the log must be valid UTF-8
    lines = text.splitlines()
    check(len(lines) > 0, "stderr is not empty")
    records = []
    for line in lines:
        record = json.loads(line)
        if not isinstance(record, dict):
            raise AssertionError(f"not a JSON object: {line!r}")
        if not TIME.match(record.get("time", "")):
            raise AssertionError(f"time is not UTC ISO 8601 with milliseconds: {line!r}")
        if record.get("level") not in LEVELS or record.get("logger") != "stepd":
            raise AssertionError(f"level or logger wrong: {line!r}")
        if not isinstance(record.get("message"), str):
            raise AssertionError(f"message is not a string: {line!r}")
        records.append(record)
    print(f"  ok: {len(records)} stderr lines, each a JSON object with time, level, logger, "
          "message", flush=True)
    return records


def only(records: list, message: str) -> dict:
    found = [r for r in records if r["message"] == message]
    check_eq(len(found), 1, f"one {message!r} record")
    return found[0]


@suite.test
def json_records_from_start_to_drain_report(ctx):
    with tempfile.TemporaryDirectory(prefix="stepd-e2e-oplog-") as tmp:
        defs = definitions_dir(tmp, ODD_DIR, {"greeter": harness.PASS_DEFINITION,
                                              "failer": harness.FAIL_DEFINITION}, sidecar=True)
        server = Serve(ctx.stepd, tmp, ["--definitions", defs, "--log-format", "json",
                                        "--log-level", "debug"])
        status, _, body = harness.http("POST", f"{server.url}/v1/state-machines/greeter:sync",
                                       b'{"who":"ops"}')
        check_eq(status, 200, "greeter:sync -> 200 while logging at debug")
        pid = server.proc.pid
        records = json_records(server.stop())

    shown_dir = defs.replace("\udcff", "\ufffd")  # what is not UTF-8 shows as U+FFFD
    version = subprocess.run([ctx.stepd, "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    starting = only(records, "starting")
    check_eq((starting["level"], starting["version"], starting["pid"]), ("info", version, pid),
             "starting: info, version, pid")
    check(records[0] is starting, "starting is the first record")

    config = only(records, "configuration")
    check_eq({k: config[k] for k in ("level", "port", "threads", "drain_seconds", "definitions",
                                     "log_dir")},
             {"level": "debug", "port": 0, "threads": 2, "drain_seconds": 30,
              "definitions": shown_dir, "log_dir": ""},
             "configuration: debug, with the options as given (path escaped and readable)")

    warning = only(records, shown_dir + WARNING_TAIL)
    check_eq(warning["level"], "warn", "the sidecar's unknown member is a warn record")

    loaded = only(records, "state machines loaded")
    check_eq((loaded["level"], loaded["count"], loaded["definitions"]), ("info", 2, shown_dir),
             "state machines loaded: info, count 2, the folder")
    machines = {r["name"]: (r["level"], r["arn"]) for r in records
                if r["message"] == "state machine"}
    check_eq(machines, {"failer": ("debug", harness.sm_arn("failer")),
                        "greeter": ("debug", harness.sm_arn("greeter"))},
             "one debug record per state machine, with its ARN")

    listening = only(records, "listening")
    check_eq((listening["level"], listening["url"], listening["threads"]),
             ("info", server.url, 2), "listening: info, the URL of the ready line, 2 threads")
    check(not any(r["message"].startswith("Try:") for r in records),
          "no Try: hint in JSON (it is for people)")

    stopped = records[-1]
    check_eq({k: stopped.get(k) for k in ("message", "level", "async_completed_while_draining",
                                          "async_abandoned", "requests_abandoned", "timed_out")},
             {"message": "stopped", "level": "info", "async_completed_while_draining": 0,
              "async_abandoned": 0, "requests_abandoned": 0, "timed_out": False},
             "the drain report is the last record: info, nothing abandoned")


@suite.test
def drain_timeout_is_an_error_record(ctx):
    with tempfile.TemporaryDirectory(prefix="stepd-e2e-oplog-") as tmp:
        defs = definitions_dir(tmp, "defs", {"slow": harness.SLOW_DEFINITION}, sidecar=False)
        server = Serve(ctx.stepd, tmp, ["--definitions", defs, "--log-format", "json",
                                        "--drain-seconds", "1"])
        status, answer = harness.aws_json(server.url, "StartExecution", {
            "stateMachineArn": harness.sm_arn("slow"), "input": json.dumps({"wait": 120})})
        check_eq(status, 200, "StartExecution of a 120 s Wait -> 200")
        records = json_records(server.stop(expect_status=1))
    stopped = records[-1]
    check_eq({k: stopped.get(k) for k in ("message", "level", "async_abandoned", "timed_out")},
             {"message": "stopped", "level": "error", "async_abandoned": 1, "timed_out": True},
             "the drain report: error, one asynchronous execution abandoned")


@suite.test
def text_by_default_with_the_hint(ctx):
    with tempfile.TemporaryDirectory(prefix="stepd-e2e-oplog-") as tmp:
        defs = definitions_dir(tmp, "defs", {"greeter": harness.PASS_DEFINITION}, sidecar=False)
        server = Serve(ctx.stepd, tmp, ["--definitions", defs])
        lines = server.stop().decode("utf-8").splitlines()
    prefix = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info |warn |error) stepd: ")
    bad = [line for line in lines if not prefix.match(line)]
    check_eq(bad, [], "every line: UTC time, level (info and above by default), stepd:")
    bodies = [prefix.sub("", line) for line in lines]
    check(f"listening url={server.url} threads=2" in bodies, "the listening line, with its fields")
    check(f"Try: curl -s -X POST {server.url}/v1/state-machines/greeter:sync -d '{{}}'" in bodies,
          "the Try: curl hint for a person")
    check_eq(bodies[-1], "stopped async_completed_while_draining=0 async_abandoned=0 "
             "requests_abandoned=0 timed_out=false", "the drain report comes last")


@suite.test
def levels_warn_and_off_filter(ctx):
    with tempfile.TemporaryDirectory(prefix="stepd-e2e-oplog-") as tmp:
        defs = definitions_dir(tmp, ODD_DIR, {"greeter": harness.PASS_DEFINITION}, sidecar=True)
        server = Serve(ctx.stepd, tmp, ["--definitions", defs, "--log-level", "warn"])
        lines = server.stop().splitlines()
        check_eq(len(lines), 1, "--log-level warn: only the warning")
        # Text keeps the bytes as they are but escapes control characters: one record, one line.
        expected = (b" warn  stepd: " + os.fsencode(defs).replace(b"\t", b"\\t")
                    + WARNING_TAIL.encode())
        check_eq(lines[0][24:], expected, "the warning, its tab escaped")

        server = Serve(ctx.stepd, tmp, ["--definitions", defs, "--log-level", "off"])
        check_eq(server.stop(), b"", "--log-level off: nothing at all")


@suite.test
def unknown_values_are_usage_errors(ctx):
    cases = {("--log-level", "loud"): "--log-level must be one of trace, debug, info, warn, "
                                      "error, off",
             ("--log-format", "xml"): "--log-format must be text or json"}
    for args, message in cases.items():
        p = subprocess.run([ctx.stepd, "serve", "--port", "0", *args], capture_output=True,
                           text=True, timeout=30)
        check_eq((p.returncode, p.stdout, p.stderr.splitlines()[0]),
                 (2, "", "stepd serve: " + message), f"{' '.join(args)}: status 2, the reason")


class Context:
    def __init__(self, stepd: str):
        self.stepd = stepd


def main():
    args = harness.parse_args()
    return suite.run(Context(args.stepd))


if __name__ == "__main__":
    sys.exit(main())
