"""Shared part of the Prometheus tests (standard library only; see README.md).

  * METRICS / LABELS: the series stepd's GET /metrics exposes, the one list both tests check
    the dashboard, the alerting rules and a live scrape against.
  * PrometheusServer: the real Prometheus (Debian package `prometheus`) on a free loopback port
    with its own configuration and TSDB in a temporary directory; use as a context manager.
  * parse_exposition(): the Prometheus text format, enough to read stepd's own samples.
  * promql_metric_names(): the metric names a PromQL expression selects.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import harness

# Every metric family of GET /metrics, with its type and labels (histograms add `le`).
METRICS = {
    "stepd_build_info": ("gauge", ("version",)),
    "stepd_executions_started_total": ("counter", ("state_machine",)),
    "stepd_executions_succeeded_total": ("counter", ("state_machine",)),
    "stepd_executions_failed_total": ("counter", ("state_machine",)),
    "stepd_executions_timed_out_total": ("counter", ("state_machine",)),
    "stepd_executions_aborted_total": ("counter", ("state_machine",)),
    "stepd_executions_throttled_total": ("counter", ("state_machine",)),
    "stepd_execution_duration_seconds": ("histogram", ("state_machine",)),
    "stepd_state_transitions_total": ("counter", ("state_machine",)),
    "stepd_task_invocations_total": ("counter", ("state_machine", "resource_kind")),
    "stepd_task_errors_total": ("counter", ("state_machine", "resource_kind")),
    "stepd_task_duration_seconds": ("histogram", ("state_machine", "resource_kind")),
    "stepd_api_requests_total": ("counter", ("action", "code")),
    "stepd_executions_in_flight": ("gauge", ()),
    "stepd_async_queue_depth": ("gauge", ()),
    "stepd_log_events_written_total": ("counter", ("log_group",)),
    "stepd_log_events_dropped_total": ("counter", ("log_group",)),
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Labels a query may group or match by: stepd's, the histogram's `le`, Prometheus's target labels.
LABELS = {label for _, labels in METRICS.values() for label in labels} | {"le", "job", "instance"}
# Metrics a query may use besides stepd's own: the scrape health Prometheus records.
PROMETHEUS_METRICS = {"up"}


def series_names() -> set[str]:
    """Every sample name the exposition can hold (histograms as _bucket/_sum/_count)."""
    names = set()
    for name, (kind, _) in METRICS.items():
        if kind == "histogram":
            names.update(name + s for s in HISTOGRAM_SUFFIXES)
        else:
            names.add(name)
    return names


def family_of(sample_name: str) -> str | None:
    if sample_name in METRICS and METRICS[sample_name][0] != "histogram":
        return sample_name
    for suffix in HISTOGRAM_SUFFIXES:
        base = sample_name[: -len(suffix)] if sample_name.endswith(suffix) else None
        if base in METRICS and METRICS[base][0] == "histogram":
            return base
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- PromQL ----------------------------------------------------------------------------------

_PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan", "atan2",
    # aggregation operators, which may be followed by `by (...)` before their parenthesis
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile",
}


def _strip_promql(expr: str) -> str:
    """Drops what is not a metric name: strings, label matchers, ranges, grouping clauses."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    expr = re.sub(r"\{[^{}]*\}", " ", expr)
    expr = re.sub(r"\[[^\[\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", r" \1 ", expr)
    return expr


def promql_metric_names(expr: str) -> set[str]:
    """Identifiers in selector position (not a function call, keyword or number)."""
    names = set()
    stripped = _strip_promql(expr)
    for m in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", stripped):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in _PROMQL_WORDS:
            continue
        names.add(word)
    # A selector that names the metric in its braces: {__name__="x"} / {__name__=~"re"}.
    for m in re.finditer(r'__name__\s*(=~|=)\s*"([^"]*)"', expr):
        names.add(("re:" if m.group(1) == "=~" else "") + m.group(2))
    return names


def promql_grouping_labels(expr: str) -> set[str]:
    labels = set()
    for m in re.finditer(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)", expr):
        labels.update(x.strip() for x in m.group(1).split(",") if x.strip())
    return labels


def unknown_metric_names(expr: str) -> set[str]:
    """The names in expr that are neither stepd's (per METRICS) nor PROMETHEUS_METRICS."""
    known = series_names() | PROMETHEUS_METRICS
    bad = set()
    for name in promql_metric_names(expr):
        if name.startswith("re:"):
            matching = {k for k in known if re.fullmatch(name[3:], k)}
            if not matching:
                bad.add(name)
        elif name not in known:
            bad.add(name)
    return bad


# --- the Grafana dashboard -------------------------------------------------------------------

DASHBOARD = os.path.join("perf", "grafana", "stepd-dashboard.json")  # under the sources


def dashboard_panels(dash):
    for panel in dash["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dash):
    """(where, expr) for every panel target and query variable."""
    for panel in dashboard_panels(dash):
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target.get('refId')}", target.get("expr", "")
    for var in dash["templating"]["list"]:
        if var.get("type") == "query":
            q = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            yield f"variable {var['name']}", q


def grafana_to_promql(expr: str) -> str:
    """Grafana's variables replaced by values Prometheus accepts."""
    for var, value in (("$__rate_interval", "1m"), ("$__interval", "1m"), ("$__range", "1h"),
                       ("$state_machine", ".*")):
        expr = expr.replace(var, value)
    return expr


# --- the exposition format -------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_exposition(text: str):
    """(types {family: type}, samples [(name, {label: value}, float)])."""
    types, samples = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3].strip()
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"unparsable exposition line: {line!r}")
        labels = {}
        body = m.group(3) or ""
        pos = 0
        while pos < len(body):
            lm = _LABEL.match(body, pos)
            if not lm:
                raise ValueError(f"unparsable labels in {line!r}")
            labels[lm.group(1)] = lm.group(2)
            pos = lm.end()
        samples.append((m.group(1), labels, float(m.group(4))))
    return types, samples


# --- Prometheus ------------------------------------------------------------------------------

class PrometheusServer(harness.ManagedProcess):
    """The real Prometheus, scraping `targets` every second; a context manager."""

    def __init__(self, binary: str, targets: list[str], rule_files=(), job: str = "stepd",
                 ready_timeout: float = 20.0):
        self.binary = binary
        self.targets = targets
        self.rule_files = [os.path.abspath(p) for p in rule_files]
        self.job = job
        self.ready_timeout = ready_timeout
        self.proc = None
        self.url = None
        self._tmp = None
        self.log_path = None

    def config_text(self) -> str:
        lines = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s",
                 "  evaluation_interval: 1s"]
        if self.rule_files:
            lines.append("rule_files:")
            lines += [f"  - {json.dumps(p)}" for p in self.rule_files]
        lines += ["scrape_configs:", f"  - job_name: {self.job}", "    metrics_path: /metrics",
                  "    static_configs:",
                  "      - targets: [" + ", ".join(json.dumps(t) for t in self.targets) + "]"]
        return "\n".join(lines) + "\n"

    def start(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="stepd-prom-")
        config = os.path.join(self._tmp.name, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(self.config_text())
        self.log_path = os.path.join(self._tmp.name, "prometheus.log")
        last_error = None
        for _attempt in range(3):  # the free port may be taken between probe and bind
            port = free_port()
            cmd = [self.binary, f"--config.file={config}",
                   f"--web.listen-address=127.0.0.1:{port}",
                   f"--storage.tsdb.path={os.path.join(self._tmp.name, 'data')}",
                   "--storage.tsdb.retention.time=1h", "--log.level=warn"]
            print(f"[prometheus] starting: {' '.join(cmd)}", flush=True)
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, cwd=self._tmp.name)
            self.url = f"http://127.0.0.1:{port}"
            try:
                self._wait_ready()
                print(f"[prometheus] ready at {self.url}", flush=True)
                return self
            except RuntimeError as e:
                last_error = e
                self._kill()
        self._cleanup()
        raise last_error

    def _wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with status {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                status, _, _ = harness.http("GET", self.url + "/-/ready", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"prometheus not ready within {self.ready_timeout}s:\n" + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        return harness.file_tail(self.log_path, lines, "(no log)")

    def api(self, path: str, **params):
        """GET /api/v1/PATH; returns `data` of a success answer, raises on anything else."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, _, body = harness.http("GET", url, timeout=10)
        doc = json.loads(body)
        if status != 200 or doc.get("status") != "success":
            raise AssertionError(f"GET {url} -> {status}: {body[:500]!r}")
        return doc["data"]

    def query(self, expr: str):
        """Instant query: [(labels without __name__, float value)]."""
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [({k: v for k, v in r["metric"].items() if k != "__name__"}, float(r["value"][1]))
                for r in data["result"]]

    def stop(self):
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    code = self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self._kill()
                    raise AssertionError("prometheus did not stop within 15s of SIGTERM")
                print(f"[prometheus] stopped (exit {code})", flush=True)
            else:
                raise AssertionError(f"prometheus exited early with status "
                                     f"{self.proc.returncode}:\n" + self.log_tail())
        finally:
            self.proc = None
            self._cleanup()
