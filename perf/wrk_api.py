#!/usr/bin/env python3
"""wrk against stepd's StartSyncExecution and native endpoints, beside the HTTP floor, in one run.

Starts stepd (`stepd serve`) and the HTTP floor (perf/floor_server.cc, a Beast server that only
parses the request body with simdjson and answers a fixed 200) on free ports, checks one answer
from each endpoint (a wrong answer is a failure, never measured), then runs wrk against

  floor          POST /                                 the AWS-shaped StartSyncExecution body
  aws            POST / (X-Amz-Target StartSyncExecution) the same body, byte for byte
  native         POST /v1/state-machines/<name>:sync    the raw input
  aws_logged     as aws, on a copy of the machine logging ALL with includeExecutionData
  native_logged  as native, on that copy

interleaved per repetition, and reports per target the median requests/s, p50/p99, errors and
server CPU per request, and the ratios aws/floor, native/floor, aws_logged/aws and
native_logged/native. See perf/README.md.

Exit status: 0 done (with --check: no errors and every ratio on target), 1 a check failed, an
answer was wrong or a server died, 2 usage or a missing program. Progress goes to stderr; the
report to stdout (a table, or JSON with --json). Builds nothing; stdlib only.
"""

import argparse
import collections
import json
import os
import re
import resource
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PERF = REPO / "perf"
ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:"
TARGETS = ("floor", "aws", "native", "aws_logged", "native_logged")
# The targets: requests/s of a target relative to its baseline's, in the same run. The stepd
# endpoints against the HTTP floor; execution logging (ALL, with data) against the same endpoint
# on the same machine with logging OFF.
RATIO_TARGETS = {("aws", "floor"): 0.50, ("native", "floor"): 0.70,
                 ("aws_logged", "aws"): 0.70, ("native_logged", "native"): 0.70}
LOGGED_SUFFIX = "_logged"
READY_TIMEOUT_S = 30
CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1
GATE_ATTEMPTS = 3  # with --gate, a run disturbed by other programs is measured up to 3 times


class Failure(Exception):
    """Ends the run with exit status 1 (a wrong answer, a dead server, wrk failing)."""


def log(message):
    print(f"wrk_api: {message}", file=sys.stderr, flush=True)


# --- servers -------------------------------------------------------------------------------------


class Server:
    """A server process that prints `<prefix>: listening on http://HOST:PORT` when ready."""

    def __init__(self, name, argv, prefix, log_path):
        self.name, self.argv, self.prefix, self.log_path = name, argv, prefix, log_path
        self.proc = None
        self.url = None
        self.stdout_tail = collections.deque(maxlen=20)

    def start(self):
        log(f"starting {self.name}: {' '.join(map(str, self.argv))}")
        with open(self.log_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=err, bufsize=0)

    def wait_ready(self):
        """Reads stdout up to the ready line; then drains the rest so the server never blocks."""
        pattern = re.compile(rf"^{re.escape(self.prefix)}: listening on (http://\S+:\d+)$")
        deadline = time.monotonic() + READY_TIMEOUT_S
        pending = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while self.url is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"{self.name} printed no ready line in {READY_TIMEOUT_S} s"
                                  + self.log_tail())
                if not selector.select(left):
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    self.proc.wait(timeout=5)
                    raise Failure(f"{self.name} exited with status {self.proc.returncode} "
                                  "before it was ready" + self.log_tail())
                pending += chunk
                while b"\n" in pending and self.url is None:
                    line, pending = pending.split(b"\n", 1)
                    text = line.decode(errors="replace").rstrip("\r")
                    self.stdout_tail.append(text)
                    match = pattern.match(text)
                    if match:
                        self.url = match.group(1)
        threading.Thread(target=self._drain, daemon=True).start()
        log(f"{self.name} ready at {self.url} (pid {self.proc.pid})")

    def _drain(self):
        for line in self.proc.stdout:
            self.stdout_tail.append(line.decode(errors="replace").rstrip())

    def check_alive(self):
        if self.proc.poll() is not None:
            raise Failure(f"{self.name} died (status {self.proc.returncode})" + self.log_tail())

    def cpu_seconds(self):
        """User + system CPU of the whole process (all threads) so far, from /proc/PID/stat."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # the name in (...) may hold spaces
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15, utime stime

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log(f"{self.name} ignored SIGTERM for 10 s; killing it")
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines=15):
        try:
            text = Path(self.log_path).read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            text = []
        text = list(self.stdout_tail)[-5:] + text
        return ("\n  " + "\n  ".join(text)) if text else ""


# --- checking one answer -------------------------------------------------------------------------


def post(url, body, headers):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def same_json(a, b):
    """JSON equality that, unlike ==, keeps true apart from 1 and false from 0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


def verify(target, url, body, headers, expected):
    status, reply = post(url, body, headers)
    shown = reply[:600].decode(errors="replace")
    if status != 200:
        raise Failure(f"{target}: {url} answered {status}: {shown}")
    try:
        document = json.loads(reply)
        if target == "floor":
            return
        if target.startswith("aws"):
            if document.get("status") != "SUCCEEDED":
                raise Failure(f"aws: status is not SUCCEEDED: {shown}")
            output = json.loads(document["output"])
        else:
            output = document
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise Failure(f"{target}: unreadable answer ({e}): {shown}") from None
    if not same_json(output, expected):
        raise Failure(f"{target}: wrong output\n  got:      {json.dumps(output, sort_keys=True)}"
                      f"\n  expected: {json.dumps(expected, sort_keys=True)}")


def verify_logged(target, server_url, group):
    """The logged machine really logs: its log group holds an execution event, with data."""
    status, reply = post(server_url + "/", json.dumps({"logGroupName": group, "limit": 1}).encode(),
                         {"Content-Type": "application/x-amz-json-1.1",
                          "X-Amz-Target": "Logs_20140328.FilterLogEvents"})
    try:
        message = json.loads(json.loads(reply)["events"][0]["message"])
        if status == 200 and message["type"] == "ExecutionStarted" and message["details"]["input"]:
            return
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    raise Failure(f"{target}: log group {group} lacks the execution's events "
                  f"({status}: {reply[:300].decode(errors='replace')})")


# --- wrk -----------------------------------------------------------------------------------------

UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(text):
    def need(pattern):
        match = re.search(pattern, text, re.M)
        if not match:
            raise Failure(f"wrk output lacks /{pattern}/:\n{text}")
        return match

    latency = {p: float(v) * UNIT_MS[u] for p, v, u in
               re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)}
    if "50" not in latency or "99" not in latency:
        raise Failure(f"wrk output lacks the latency distribution (--latency):\n{text}")
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "requests": int(need(r"^\s*(\d+) requests in ")[1]),
        "rps": float(need(r"^Requests/sec:\s+([\d.]+)")[1]),
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "non2xx": int(non2xx[1]) if non2xx else 0,
        "socket_errors": sum(map(int, socket.groups())) if socket else 0,
    }


def machine_ticks():
    """(busy, total) CPU ticks of the whole machine, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    return user + nice + system + irq + softirq + steal, sum(values)


def wait_for_quiet(limit_pct, timeout_s):
    """Waits until the machine is below limit_pct busy over 2 s (the servers idle meanwhile)."""
    deadline = time.monotonic() + timeout_s
    while True:
        busy0 = machine_ticks()
        time.sleep(2)
        busy1 = machine_ticks()
        busy_pct = 100 * (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1)
        if busy_pct < limit_pct:
            return
        if time.monotonic() > deadline:
            log(f"machine still {busy_pct:.0f} % busy after {timeout_s} s; measuring anyway")
            return


def measure(args, target, spec, seconds):
    """One wrk run; with --gate, started on a quiet machine and repeated when others intruded."""
    for attempt in range(1, GATE_ATTEMPTS + 1):
        if args.gate is not None:
            wait_for_quiet(args.gate, args.gate_timeout)
        run = run_wrk(args, target, spec, seconds)
        run["attempt"] = attempt
        if args.gate is None or run["foreign_cpu_pct"] <= args.gate:
            break
        log(f"{target}: foreign CPU {run['foreign_cpu_pct']:.1f} % > {args.gate} %, "
            + ("measuring again" if attempt < GATE_ATTEMPTS else "keeping this run"))
    return run


def run_wrk(args, target, spec, seconds):
    server, url, lua, body_file = spec
    server.check_alive()
    argv = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds}s",
            "--latency", "-s", str(lua), url]
    env = dict(os.environ, STEPD_WRK_BODY=str(body_file))
    cpu0, busy0, wall0 = server.cpu_seconds(), machine_ticks(), time.monotonic()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1, busy1, wall1 = server.cpu_seconds(), machine_ticks(), time.monotonic()
    server.check_alive()
    if done.returncode != 0:
        raise Failure(f"{target}: wrk exited with {done.returncode}: {done.stderr}{done.stdout}")
    run = parse_wrk(done.stdout)
    server_cpu = cpu1 - cpu0
    wrk_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    machine_busy = (busy1[0] - busy0[0]) / CLK_TCK
    machine_total = (busy1[1] - busy0[1]) / CLK_TCK or 1e-9
    run["server_cpu_us_per_req"] = server_cpu * 1e6 / max(run["requests"], 1)
    run["server_cpu_pct"] = 100 * server_cpu / machine_total  # % of the whole machine
    run["wrk_cpu_pct"] = 100 * wrk_cpu / machine_total
    # Busy time that is neither the server nor wrk: other programs on the box (or the idle server).
    run["foreign_cpu_pct"] = max(0.0, 100 * (machine_busy - server_cpu - wrk_cpu) / machine_total)
    run["wall_s"] = wall1 - wall0
    return run


# --- report --------------------------------------------------------------------------------------


def summarize(runs, warmup_errors):
    def median(key):
        return statistics.median(r[key] for r in runs)

    return {
        "rps_median": median("rps"),
        "rps_min": min(r["rps"] for r in runs),
        "rps_max": max(r["rps"] for r in runs),
        "p50_ms_median": median("p50_ms"),
        "p99_ms_median": median("p99_ms"),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "warmup_errors": warmup_errors,
        "server_cpu_us_per_req_median": median("server_cpu_us_per_req"),
        "server_cpu_pct_median": median("server_cpu_pct"),
        "wrk_cpu_pct_median": median("wrk_cpu_pct"),
        "foreign_cpu_pct_max": max(r["foreign_cpu_pct"] for r in runs),
        "runs": runs,
    }


def judge(summaries):
    ratios, failures = {}, []
    for target, summary in summaries.items():
        errors = summary["non2xx"] + summary["socket_errors"] + summary["warmup_errors"]
        if errors:
            failures.append(f"{target}: {errors} errors (non-2xx {summary['non2xx']}, socket "
                            f"{summary['socket_errors']}, during warm-up {summary['warmup_errors']})")
    for (target, baseline), minimum in RATIO_TARGETS.items():
        if target not in summaries or baseline not in summaries:
            continue
        base = summaries[baseline]
        ratio = summaries[target]["rps_median"] / base["rps_median"]
        per_rep = [r["rps"] / b["rps"] for r, b in zip(summaries[target]["runs"], base["runs"])]
        cpu_ratio = (base["server_cpu_us_per_req_median"]
                     / summaries[target]["server_cpu_us_per_req_median"])
        ratios[f"{target}/{baseline}"] = {"ratio": ratio, "target": minimum,
                                          "ok": ratio >= minimum, "per_repetition": per_rep,
                                          "cpu_ratio": cpu_ratio}
        if ratio < minimum:
            failures.append(f"{target}/{baseline} = {ratio:.1%}, below the target {minimum:.0%}")
    return ratios, failures


def print_table(config, summaries, ratios, failures):
    print(f"wrk -t{config['wrk_threads']} -c{config['connections']} -d{config['duration_s']}s "
          f"--latency, {config['repetitions']} interleaved repetitions after a "
          f"{config['warmup_s']} s warm-up; servers with {config['server_threads']} threads; "
          f"workload {config['workload']}; {NCPU} CPUs")
    print(f"bodies: StartSyncExecution {config['aws_body_bytes']} B (floor and aws), "
          f"native {config['native_body_bytes']} B")
    print()
    header = ["target", "req/s median", "req/s min–max", "p50 ms", "p99 ms", "non-2xx",
              "socket errors", "server CPU µs/req", "server CPU %", "wrk CPU %", "foreign CPU % max"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for target, s in summaries.items():
        cells = [target, f"{s['rps_median']:,.0f}", f"{s['rps_min']:,.0f}–{s['rps_max']:,.0f}",
                 f"{s['p50_ms_median']:.2f}", f"{s['p99_ms_median']:.2f}", str(s["non2xx"]),
                 str(s["socket_errors"]), f"{s['server_cpu_us_per_req_median']:.1f}",
                 f"{s['server_cpu_pct_median']:.0f}", f"{s['wrk_cpu_pct_median']:.0f}",
                 f"{s['foreign_cpu_pct_max']:.1f}"]
        print("| " + " | ".join(cells) + " |")
    print()
    for name, r in ratios.items():
        spread = ", ".join(f"{x:.0%}" for x in r["per_repetition"])
        baseline = name.split("/")[1]
        print(f"{name}: {r['ratio']:.1%} of {baseline}'s req/s (target ≥ {r['target']:.0%}: "
              f"{'ok' if r['ok'] else 'BELOW'}); per repetition {spread}; "
              f"by CPU per request {r['cpu_ratio']:.1%}")
    warm = sum(s["warmup_errors"] for s in summaries.values())
    total = sum(s["non2xx"] + s["socket_errors"] for s in summaries.values()) + warm
    print(f"errors: {total}" + (f" ({warm} during warm-up)" if warm else ""))
    limit = config["gate_pct"] or 4
    if any(s["foreign_cpu_pct_max"] > limit for s in summaries.values()):
        print(f"note: other programs used more than {limit:g} % of the machine during some runs "
              "(foreign CPU); the ratios are steadier than the absolute numbers")
    for failure in failures:
        print(f"FAIL {failure}")


# --- main ----------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stepd", type=Path, default=REPO / "build/release/service/stepd")
    parser.add_argument("--floor", type=Path, default=REPO / "build/release/perf/stepd_http_floor")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                        help="the shared/ folder (default: ../shared beside the repository)")
    parser.add_argument("--workload", default="iot_ingest",
                        help="a folder of SHARED/bench/workloads (default iot_ingest)")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help="comma-separated subset of " + ",".join(TARGETS) + " (default all)")
    parser.add_argument("--threads", type=int, default=2, help="server threads (both servers)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk per target first")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--gate", type=float, metavar="PCT",
                        help="start each run only when the machine is below PCT %% busy, and "
                             "measure a run again (up to 3 times) when other programs used more "
                             "than PCT %% of the machine during it (default: off)")
    parser.add_argument("--gate-timeout", type=int, default=300, metavar="S",
                        help="longest wait for a quiet machine before a run (default 300)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 on any error or a ratio below its target")
    args = parser.parse_args()
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(args.targets) - set(TARGETS)
    if unknown or not args.targets or len(set(args.targets)) != len(args.targets):
        parser.error(f"--targets: a comma-separated subset of {','.join(TARGETS)}")
    for target in args.targets:  # a logged target is judged against its unlogged twin
        if target.endswith(LOGGED_SUFFIX) and target[:-len(LOGGED_SUFFIX)] not in args.targets:
            args.targets.append(target[:-len(LOGGED_SUFFIX)])
    args.targets = [t for t in TARGETS if t in args.targets]  # fixed order: floor first
    for name in ("threads", "connections", "duration", "repetitions", "wrk_threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    if args.gate is not None and not 0 < args.gate < 100:
        parser.error("--gate: a percentage between 0 and 100")
    if args.wrk_threads > args.connections:
        parser.error("--wrk-threads must not exceed --connections")
    return args


def need_file(path, what):
    if not path.is_file():
        log(f"{what} not found: {path}")
        sys.exit(2)


def main():
    args = parse_args()
    if shutil.which("wrk") is None:
        log("wrk not found on PATH (Debian: apt-get install wrk)")
        return 2
    workload = args.shared / "bench" / "workloads" / args.workload
    for name in ("definition.json", "input.json", "expected_output.json"):
        need_file(workload / name, f"workload file {name}")
    uses_stepd = any(t != "floor" for t in args.targets)
    if "floor" in args.targets:
        need_file(args.floor, "the HTTP floor binary (--floor)")
    if uses_stepd:
        need_file(args.stepd, "the stepd binary (--stepd)")

    machine = args.workload
    logged_machine = machine + LOGGED_SUFFIX
    log_group = f"/aws/vendedlogs/states/{logged_machine}"
    input_text = json.dumps(json.loads((workload / "input.json").read_text()),
                            separators=(",", ":"))
    expected = json.loads((workload / "expected_output.json").read_text())
    aws_body = json.dumps({"stateMachineArn": ARN_PREFIX + machine, "input": input_text},
                          separators=(",", ":")).encode()
    aws_logged_body = aws_body.replace((ARN_PREFIX + machine).encode(),
                                       (ARN_PREFIX + logged_machine).encode(), 1)
    native_body = input_text.encode()
    aws_headers = {"Content-Type": "application/x-amz-json-1.0",
                   "X-Amz-Target": "AWSStepFunctions.StartSyncExecution"}
    native_headers = {"Content-Type": "application/json"}

    servers = []
    with tempfile.TemporaryDirectory(prefix="stepd-wrk-") as tmp:
        tmp = Path(tmp)
        definitions = tmp / "definitions"
        definitions.mkdir()
        shutil.copyfile(workload / "definition.json", definitions / f"{machine}.asl.json")
        shutil.copyfile(workload / "definition.json", definitions / f"{logged_machine}.asl.json")
        (definitions / f"{logged_machine}.config.json").write_text(json.dumps(
            {"loggingConfiguration": {"level": "ALL", "includeExecutionData": True, "destinations": [
                {"cloudWatchLogsLogGroup": {"logGroupArn":
                    f"arn:aws:logs:us-east-1:123456789012:log-group:{log_group}:*"}}]}}))
        (tmp / "aws_body.json").write_bytes(aws_body)
        (tmp / "aws_logged_body.json").write_bytes(aws_logged_body)
        (tmp / "native_body.json").write_bytes(native_body)
        threads = str(args.threads)
        floor = stepd = None
        try:
            if "floor" in args.targets:
                floor = Server("floor", [str(args.floor), "--host", "127.0.0.1", "--port", "0",
                                         "--threads", threads], "floor", tmp / "floor.log")
                servers.append(floor)
            if uses_stepd:
                stepd = Server("stepd", [str(args.stepd), "serve", "--host", "127.0.0.1",
                                         "--port", "0", "--threads", threads,
                                         "--definitions", str(definitions)],
                               "stepd", tmp / "stepd.log")
                servers.append(stepd)
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()

            # target -> (server, url, lua script, body file); floor and aws send the same bytes.
            specs = {}
            if floor:
                specs["floor"] = (floor, floor.url + "/", PERF / "aws_sync.lua",
                                  tmp / "aws_body.json")
            if stepd:
                specs["aws"] = (stepd, stepd.url + "/", PERF / "aws_sync.lua",
                                tmp / "aws_body.json")
                specs["native"] = (stepd, f"{stepd.url}/v1/state-machines/{machine}:sync",
                                   PERF / "native_sync.lua", tmp / "native_body.json")
                specs["aws_logged"] = (stepd, stepd.url + "/", PERF / "aws_sync.lua",
                                       tmp / "aws_logged_body.json")
                specs["native_logged"] = (
                    stepd, f"{stepd.url}/v1/state-machines/{logged_machine}:sync",
                    PERF / "native_sync.lua", tmp / "native_body.json")
            specs = {t: specs[t] for t in args.targets}

            for target, (server, url, _, body_file) in specs.items():
                headers = native_headers if target.startswith("native") else aws_headers
                verify(target, url, body_file.read_bytes(), headers, expected)
                if target.endswith(LOGGED_SUFFIX):
                    verify_logged(target, server.url, log_group)
                log(f"{target}: answer checked at {url}")

            warmup_errors = {t: 0 for t in specs}
            if args.warmup:
                for target, spec in specs.items():
                    log(f"warm-up {target}: {args.warmup} s")
                    run = run_wrk(args, target, spec, args.warmup)  # ungated
                    warmup_errors[target] = run["non2xx"] + run["socket_errors"]
            runs = {t: [] for t in specs}
            order = list(specs)
            for rep in range(args.repetitions):
                # Rotate the order so that no target always runs first (or right after another).
                for target in order[rep % len(order):] + order[:rep % len(order)]:
                    run = measure(args, target, specs[target], args.duration)
                    runs[target].append(run)
                    log(f"rep {rep + 1}/{args.repetitions} {target}: {run['rps']:,.0f} req/s, "
                        f"p99 {run['p99_ms']:.2f} ms, {run['server_cpu_us_per_req']:.1f} µs/req, "
                        f"errors {run['non2xx'] + run['socket_errors']}, "
                        f"foreign CPU {run['foreign_cpu_pct']:.1f} %"
                        + (f" (attempt {run['attempt']})" if run["attempt"] > 1 else ""))
        except Failure as e:
            log(f"FAILED: {e}")
            return 1
        finally:
            for server in servers:
                server.stop()
            if floor and floor.proc and floor.proc.returncode is not None:
                for line in floor.log_tail(lines=64).splitlines():
                    if "worker" in line:
                        log(line.strip())

    summaries = {t: summarize(runs[t], warmup_errors[t]) for t in specs}
    ratios, failures = judge(summaries)
    config = {"workload": args.workload, "targets": list(specs), "server_threads": args.threads,
              "connections": args.connections, "duration_s": args.duration,
              "repetitions": args.repetitions, "warmup_s": args.warmup,
              "wrk_threads": args.wrk_threads, "cpus": NCPU, "gate_pct": args.gate,
              "aws_body_bytes": len(aws_body), "native_body_bytes": len(native_body)}
    if args.json:
        json.dump({"config": config, "targets": summaries, "ratios": ratios,
                   "failures": failures, "ok": not failures}, sys.stdout, indent=2)
        print()
    else:
        print_table(config, summaries, ratios, failures)
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops the servers (finally)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
