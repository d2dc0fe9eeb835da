#!/usr/bin/python3
"""stepd's GET /metrics scraped by the real Prometheus (Debian's 2.42), checked through its query API.

Starts `stepd serve --max-async 1` with five machines (ok_machine: Pass; fail_machine: Fail;
slow_machine: TimeoutSeconds 1 + Wait 3 s, so TIMED_OUT; task_machine: a Lambda Task, which
fails with States.TaskFailed while there are no integrations; hold_machine: Wait $.wait, started
asynchronously to hold the only StartExecution slot) and Prometheus scraping it every second
with perf/prometheus/stepd-alerts.yml loaded. Runs a known mix in two phases (one execution per
machine, a scrape, then the rest: native :sync and :batch, StartSyncExecution, StartExecution and
one throttled StartExecution, ListStateMachines, DescribeStateMachine of a missing machine, :sync
of a missing machine), waits for in-flight executions to reach 0 and for a scrape that started
after that, then asserts through /api/v1/query the exact counts per state machine (started,
succeeded, failed, timed out, throttled, histogram _count, task invocations and errors) and per
(action, code), that `promtool check metrics` exits 0 on a live scrape, that no label carries an
execution name or id, and that the alerting rules evaluate (health ok; the error-rate alert pending
for exactly the failing machines), and that every Grafana dashboard query evaluates on the
live data. Every wait polls with a deadline.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter

import harness
import prom_harness
from harness import check, check_eq

suite = harness.Suite("GET /metrics through Prometheus")

HOLD_SECONDS = 2
DEFINITIONS = {
    "ok_machine": {"StartAt": "Greet", "States": {"Greet": {
        "Type": "Pass", "Result": {"greeting": "hello"}, "ResultPath": "$.out", "End": True}}},
    "fail_machine": {"StartAt": "Boom", "States": {"Boom": {
        "Type": "Fail", "Error": "Order.Rejected", "Cause": "quantity must be positive"}}},
    "slow_machine": {"TimeoutSeconds": 1, "StartAt": "Sleep", "States": {"Sleep": {
        "Type": "Wait", "Seconds": 3, "End": True}}},
    "task_machine": {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": f"arn:aws:lambda:{harness.REGION}:{harness.ACCOUNT}:function:nope",
        "End": True}}},
    "hold_machine": {"StartAt": "Hold", "States": {"Hold": {
        "Type": "Wait", "SecondsPath": "$.wait", "End": True}}},
}
MACHINES = list(DEFINITIONS)
OUTCOMES = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timed_out"}
EXECUTION_NAME_PREFIX = "prom-e2e-exec-"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Ctx:
    """What the tests share: the servers, and the tally of what was done."""

    def __init__(self, stepd, prom, promtool, source_dir):
        self.source_dir = source_dir
        self.stepd = stepd
        self.prom = prom
        self.promtool = promtool
        self.started = Counter()       # machine -> executions started
        self.outcome = Counter()       # (machine, "succeeded"/"failed"/"timed_out") -> count
        self.throttled = Counter()     # machine -> StartExecution refused
        self.api = Counter()           # (action, code) -> requests
        self.seq = 0
        self.workload_done = False
        self.end_time = None

    # --- the calls, each tallied --------------------------------------------------------------

    def native_sync(self, machine, body=b"{}"):
        status, _, raw = harness.http("POST", f"{self.stepd.url}/v1/state-machines/{machine}:sync", body)
        self.api[("native_sync", str(status))] += 1
        if machine in DEFINITIONS:
            doc = json.loads(raw)
            result = "SUCCEEDED" if status == 200 else doc.get("status")
            self._finished(machine, result)
        return status

    def native_batch(self, machine, inputs):
        body = ("\n".join(json.dumps(i) for i in inputs) + "\n").encode()
        status, _, raw = harness.http("POST", f"{self.stepd.url}/v1/state-machines/{machine}:batch",
                                      body, {"Content-Type": "application/x-ndjson"})
        self.api[("native_batch", str(status))] += 1
        check_eq(status, 200, f"{machine}:batch -> 200")
        lines = [json.loads(l) for l in raw.decode().splitlines() if l.strip()]
        check_eq(len(lines), len(inputs), f"{machine}:batch: one answer line per input")
        for line in lines:
            self._finished(machine, line.get("status"))

    def aws(self, action, payload):
        status, doc = harness.aws_json(self.stepd.url, action, payload)
        self.api[(action, str(status))] += 1
        return status, doc

    def start_sync(self, machine):
        self.seq += 1
        status, doc = self.aws("StartSyncExecution", {
            "stateMachineArn": harness.sm_arn(machine), "input": "{}",
            "name": f"{EXECUTION_NAME_PREFIX}{self.seq}"})
        check_eq(status, 200, f"StartSyncExecution {machine} -> 200")
        self._finished(machine, doc["status"])
        return doc["status"]

    def _finished(self, machine, status):
        check(status in OUTCOMES, f"{machine}: execution ended {status}")
        self.started[machine] += 1
        self.outcome[(machine, OUTCOMES[status])] += 1

    # --- stepd's own /metrics -----------------------------------------------------------------

    def scrape(self):
        status, headers, body = harness.http("GET", self.stepd.url + "/metrics")
        return status, headers, body.decode("utf-8", "replace")

    def gauge(self, name):
        _, _, text = self.scrape()
        _, samples = prom_harness.parse_exposition(text)
        values = [v for n, labels, v in samples if n == name]
        return sum(values) if values else None

    # --- Prometheus ---------------------------------------------------------------------------

    def last_scrape(self) -> float:
        """Timestamp (s) of stepd's newest successful scrape, or 0. (timestamp() must be given
        the selector itself: on any other expression it answers the evaluation time.)"""
        res = self.prom.query('timestamp(up{job="stepd"})')
        if not res or self.prom.query('up{job="stepd"}')[0][1] != 1.0:
            return 0.0
        return res[0][1]

    def wait_for_scrape_after(self, t: float, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.last_scrape() > t:
                return
            time.sleep(0.2)
        targets = self.prom.api("targets")
        raise AssertionError(f"no successful scrape of stepd after t={t:.3f} within {timeout}s; "
                             f"targets: {json.dumps(targets)[:800]}")

    def by_machine(self, expr_template: str) -> dict:
        """{machine: value} of `sum by (state_machine) (<metric selector>)`."""
        return {labels.get("state_machine"): value
                for labels, value in self.prom.query(f"sum by (state_machine) ({expr_template})")}


@suite.test
def metrics_endpoint_serves_prometheus_text(ctx):
    status, headers, text = ctx.scrape()
    check_eq(status, 200, "GET /metrics -> 200")
    ctype = headers.get("Content-Type", "")
    check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
          f"Content-Type is the text format 0.0.4 ({ctype})")
    types, samples = prom_harness.parse_exposition(text)
    for family, kind in types.items():
        check(family in prom_harness.METRICS, f"family {family} is one of the documented names")
        check_eq(kind, prom_harness.METRICS[family][0], f"{family} is a {kind}")
    info = [(labels, v) for n, labels, v in samples if n == "stepd_build_info"]
    check(len(info) == 1 and info[0][1] == 1 and info[0][0].get("version"),
          f"stepd_build_info{{version=...}} 1 ({info})")
    for name in ("stepd_executions_in_flight", "stepd_async_queue_depth"):
        check_eq(ctx.gauge(name), 0.0, f"{name} 0 before any execution")


@suite.test
def run_known_mix(ctx):
    # Phase A: one execution per machine, then a scrape, so that every counter Prometheus sees
    # grows afterwards (rate() ignores a series' first sample).
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        slow = pool.submit(ctx.native_sync, "slow_machine")
        for machine in ("ok_machine", "fail_machine", "task_machine"):
            ctx.native_sync(machine)
        check_eq(slow.result(), 422, "slow_machine:sync -> 422 (TIMED_OUT)")
    t0 = time.monotonic()
    ctx.wait_for_scrape_after(time.time())
    print(f"  phase A done; waited {time.monotonic() - t0:.1f}s for a scrape", flush=True)

    # Phase B.
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        slow = [pool.submit(ctx.start_sync, "slow_machine")]
        status, doc = ctx.aws("StartExecution", {
            "stateMachineArn": harness.sm_arn("hold_machine"),
            "input": json.dumps({"wait": HOLD_SECONDS}), "name": f"{EXECUTION_NAME_PREFIX}hold"})
        check_eq(status, 200, "StartExecution hold_machine -> 200 (takes the only async slot)")
        ctx.started["hold_machine"] += 1
        ctx.outcome[("hold_machine", "succeeded")] += 1   # checked below: in flight, then done
        check((ctx.gauge("stepd_executions_in_flight") or 0) >= 1,
              "stepd_executions_in_flight >= 1 while hold_machine runs")
        status, doc = ctx.aws("StartExecution", {
            "stateMachineArn": harness.sm_arn("hold_machine"), "input": '{"wait": 0}'})
        check_eq((doc or {}).get("__type"), "ThrottlingException",
                 f"second StartExecution -> ThrottlingException ({status})")
        ctx.throttled["hold_machine"] += 1

        for _ in range(2):
            check_eq(ctx.native_sync("ok_machine"), 200, "ok_machine:sync -> 200")
            check_eq(ctx.start_sync("ok_machine"), "SUCCEEDED", "StartSyncExecution ok_machine")
        ctx.native_batch("ok_machine", [{"n": 1}, {"n": 2}])
        check_eq(ctx.native_sync("fail_machine"), 422, "fail_machine:sync -> 422")
        check_eq(ctx.start_sync("fail_machine"), "FAILED", "StartSyncExecution fail_machine")
        check_eq(ctx.native_sync("task_machine"), 422, "task_machine:sync -> 422 (States.TaskFailed)")

        for _ in range(2):
            status, doc = ctx.aws("ListStateMachines", {})
            check_eq(status, 200, "ListStateMachines -> 200")
        status, doc = ctx.aws("DescribeStateMachine", {"stateMachineArn": harness.sm_arn("missing")})
        check_eq((status, (doc or {}).get("__type")), (400, "StateMachineDoesNotExist"),
                 "DescribeStateMachine of a missing machine -> 400")
        status = ctx.native_sync("missing_machine")
        check(400 <= status < 500, f"missing_machine:sync -> 4xx ({status})")

        check_eq([f.result() for f in slow], ["TIMED_OUT"], "StartSyncExecution slow_machine")

    # The asynchronous execution finishes by itself: poll stepd until nothing is in flight.
    deadline = time.monotonic() + HOLD_SECONDS + 10
    while True:
        gauges = (ctx.gauge("stepd_executions_in_flight"), ctx.gauge("stepd_async_queue_depth"))
        if gauges == (0.0, 0.0):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"in flight / async queue still {gauges} after the workload")
        time.sleep(0.1)
    check_eq(gauges, (0.0, 0.0), "stepd_executions_in_flight and stepd_async_queue_depth back to 0")
    ctx.end_time = time.time()
    ctx.workload_done = True
    print(f"  phase B done; in flight 0 after {time.monotonic() - t0:.1f}s", flush=True)
    print(f"  started {dict(ctx.started)}", flush=True)
    print(f"  outcomes {dict(ctx.outcome)}", flush=True)
    print(f"  api {dict(ctx.api)}", flush=True)


@suite.test
def prometheus_sees_exact_counts(ctx):
    if not ctx.workload_done:
        raise AssertionError("the workload did not complete")
    ctx.wait_for_scrape_after(ctx.end_time)
    check_eq(ctx.prom.query('up{job="stepd"}')[0][1], 1.0, 'up{job="stepd"} == 1')
    info = ctx.prom.query("stepd_build_info")
    check(len(info) == 1 and info[0][1] == 1.0, "stepd_build_info == 1")

    def expect(metric, expected: dict, what):
        got = ctx.by_machine(metric)
        want = {m: float(expected.get(m, 0)) for m in MACHINES}
        have = {m: got.get(m, 0.0) for m in MACHINES}
        check_eq(have, want, f"{what} per state machine")
        extra = set(got) - set(MACHINES)
        check(not extra, f"{what}: no series for other state machines ({sorted(extra)})")

    expect("stepd_executions_started_total", ctx.started, "started")
    check_eq(dict(ctx.started), {"ok_machine": 7, "fail_machine": 3, "slow_machine": 2,
                                 "task_machine": 2, "hold_machine": 1}, "the mix is the intended one")
    for outcome in ("succeeded", "failed", "timed_out"):
        expect(f"stepd_executions_{outcome}_total",
               {m: ctx.outcome[(m, outcome)] for m in MACHINES}, outcome)
    expect("stepd_executions_aborted_total", {}, "aborted")
    expect("stepd_executions_throttled_total", ctx.throttled, "throttled")
    expect("stepd_execution_duration_seconds_count", ctx.started, "execution duration _count")
    expect('stepd_execution_duration_seconds_bucket{le="+Inf"}', ctx.started,
           'execution duration _bucket{le="+Inf"}')

    sums = ctx.by_machine("stepd_execution_duration_seconds_sum")
    check(2.0 <= sums.get("slow_machine", 0) < 6.0,
          f"slow_machine: duration _sum {sums.get('slow_machine')} s covers 2 timeouts of 1 s")
    check(sums.get("hold_machine", 0) >= HOLD_SECONDS,
          f"hold_machine: duration _sum {sums.get('hold_machine')} s >= the {HOLD_SECONDS} s Wait")
    check(sums.get("ok_machine", 99) < 7.0, f"ok_machine: duration _sum {sums.get('ok_machine')} s small")
    p99 = ctx.by_machine("histogram_quantile(0.99, sum by (state_machine, le) "
                         "(stepd_execution_duration_seconds_bucket))")
    check(p99.get("slow_machine", 0) >= 0.5, f"slow_machine p99 from the buckets {p99.get('slow_machine')}")

    transitions = ctx.by_machine("stepd_state_transitions_total")
    for m in MACHINES:
        check(transitions.get(m, 0) >= ctx.started[m],
              f"{m}: state transitions {transitions.get(m)} >= executions {ctx.started[m]}")

    tasks = {(l.get("state_machine"), l.get("resource_kind")): v for l, v in ctx.prom.query(
        "sum by (state_machine, resource_kind) (stepd_task_invocations_total)")}
    check_eq(tasks, {("task_machine", "lambda"): 2.0}, "task invocations: task_machine/lambda 2")
    errors = {(l.get("state_machine"), l.get("resource_kind")): v for l, v in ctx.prom.query(
        "sum by (state_machine, resource_kind) (stepd_task_errors_total)")}
    check_eq(errors, {("task_machine", "lambda"): 2.0}, "task errors: task_machine/lambda 2")
    tcount = ctx.prom.query("sum(stepd_task_duration_seconds_count)")
    check_eq(tcount[0][1] if tcount else 0.0, 2.0, "task duration _count 2")

    api = {(l["action"], l["code"]): v for l, v in ctx.prom.query(
        "sum by (action, code) (stepd_api_requests_total)")}
    for key, n in sorted(ctx.api.items()):
        check_eq(api.get(key, 0.0), float(n), f"api_requests_total{{action={key[0]},code={key[1]}}}")
    extra = {k: v for k, v in api.items() if k not in ctx.api and k[0] in {a for a, _ in ctx.api}}
    check(not extra, f"no other codes for the actions used ({extra})")

    gauges = ctx.prom.query("stepd_executions_in_flight + on() stepd_async_queue_depth")
    check_eq([v for _, v in gauges], [0.0], "in flight + async queue depth == 0 in Prometheus")


@suite.test
def labels_carry_no_execution_names_or_ids(ctx):
    _, _, text = ctx.scrape()
    check(EXECUTION_NAME_PREFIX not in text, "no execution name in /metrics")
    check(not UUID_RE.search(text), "no UUID (execution id) in /metrics")
    check("missing_machine" not in text and '"missing"' not in text,
          "no series for state machines that do not exist")
    values = ctx.prom.api("label/state_machine/values")
    check_eq(sorted(values), sorted(MACHINES), "label state_machine: exactly the five machines")


@suite.test
def promtool_check_metrics_on_live_scrape(ctx):
    status, _, text = ctx.scrape()
    check_eq(status, 200, "GET /metrics -> 200")
    proc = subprocess.run([ctx.promtool, "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)
    out = (proc.stdout + proc.stderr).strip()
    print(f"  promtool check metrics ({len(text)} bytes, {text.count(chr(10))} lines): "
          f"{out or '(no findings)'}", flush=True)
    check_eq(proc.returncode, 0, "promtool check metrics exits 0 (no parse error, no lint finding)")


@suite.test
def alert_rules_evaluate_on_live_data(ctx):
    if not ctx.workload_done:
        raise AssertionError("the workload did not complete")
    want = {"fail_machine", "slow_machine", "task_machine"}
    deadline = time.monotonic() + 15
    while True:
        groups = ctx.prom.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        evaluated_after = all(r.get("health") == "ok" and r.get("lastEvaluation", "") and
                              _rfc3339(r["lastEvaluation"]) > ctx.end_time for r in rules)
        pending = {l.get("state_machine") for l, _ in ctx.prom.query(
            'ALERTS{alertname="StepdHighExecutionErrorRate"}')}
        if evaluated_after and pending >= want:
            break
        if time.monotonic() > deadline:
            bad = [(r["name"], r.get("health"), r.get("lastError")) for r in rules
                   if r.get("health") != "ok"]
            raise AssertionError(f"rules not all evaluated ok ({bad}) or error-rate alerts "
                                 f"{sorted(pending)} != {sorted(want)}")
        time.sleep(0.2)
    check(len(rules) >= 5, f"{len(rules)} rules loaded from perf/prometheus/stepd-alerts.yml")
    check(True, "every rule evaluated with health ok after the workload")
    check_eq(sorted(pending), sorted(want),
             "StepdHighExecutionErrorRate pending for exactly the failing machines")
    firing_down = ctx.prom.query('ALERTS{alertname="StepdDown"}')
    check_eq(firing_down, [], "StepdDown not active while stepd is up")


@suite.test
def dashboard_queries_evaluate_on_live_data(ctx):
    """Parsing is not enough (e.g. `rate({__name__=~...})` parses, then fails at evaluation
    with "vector cannot contain metrics with the same labelset"): run every panel query."""
    with open(os.path.join(ctx.source_dir, prom_harness.DASHBOARD), encoding="utf-8") as f:
        dash = json.load(f)
    for where, expr in prom_harness.dashboard_queries(dash):
        if expr.startswith("label_values("):
            metric = expr[len("label_values("):].split(",")[0].strip()
            values = ctx.prom.api("label/state_machine/values", **{"match[]": metric})
            check_eq(sorted(values), sorted(MACHINES), f"{where}: {expr} lists the machines")
            continue
        result = ctx.prom.query(prom_harness.grafana_to_promql(expr))
        if "stepd_log_events_" in expr:  # no CloudWatch Logs destination in this test
            check(True, f"{where}: evaluates ({len(result)} series)")
        else:
            check(result, f"{where}: evaluates to {len(result)} series")


def _rfc3339(text: str) -> float:
    """Prometheus's lastEvaluation (nanosecond RFC 3339, Z or offset) as epoch seconds."""
    from datetime import datetime
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        return 0.0
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    base = datetime.fromisoformat(m.group(1) + tz).timestamp()
    return base + (float("0" + m.group(2)) if m.group(2) else 0.0)


def main():
    def extra(parser):
        parser.add_argument("--prometheus", default="/usr/bin/prometheus")
        parser.add_argument("--promtool", default="/usr/bin/promtool")
    args = harness.parse_args(extra=extra)
    for tool in (args.prometheus, args.promtool):
        if not os.access(tool, os.X_OK):
            print(f"SKIP: {tool} not found: install the Debian package `prometheus` "
                  "(apt-get install --no-install-recommends prometheus)", flush=True)
            return 77  # ctest: skipped
    rules = os.path.join(os.path.abspath(args.source_dir), "perf", "prometheus", "stepd-alerts.yml")
    definitions = {name: json.dumps(d) for name, d in DEFINITIONS.items()}
    started = time.monotonic()
    with harness.StepdServer(args.stepd, definitions, ["--max-async", "1"], threads=4) as stepd:
        status, _, _ = harness.http("GET", stepd.url + "/metrics")
        if status == 404:
            print("FAIL: this stepd has no GET /metrics (404)", flush=True)
            return 1
        target = stepd.url.split("//", 1)[1]
        with prom_harness.PrometheusServer(args.prometheus, [target], rule_files=[rules]) as prom:
            code = suite.run(Ctx(stepd, prom, args.promtool, os.path.abspath(args.source_dir)))
    print(f"==== took {time.monotonic() - started:.1f}s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
