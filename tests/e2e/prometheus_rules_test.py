#!/usr/bin/python3
"""The monitoring files of perf/: alerting rules, example Prometheus config, Grafana dashboard.

Checks (no server is started): `promtool check rules perf/prometheus/stepd-alerts.yml`;
`promtool test rules perf/prometheus/stepd-alerts.test.yml` (each alert fires, or not, on
synthetic series); `promtool check config perf/prometheus/prometheus.yml`; `python3 -m json.tool`
on perf/grafana/stepd-dashboard.json and its structure (schemaVersion, the ${DS_PROMETHEUS}
datasource, the state_machine variable, the panels the dashboard must have); every panel query
parses as PromQL (promtool, as recording rules); and every metric and grouping label the rules
and the dashboard use is one stepd exposes (prom_harness.METRICS) and every family but
stepd_build_info is shown.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import harness
import prom_harness
from harness import check, check_eq

suite = harness.Suite("Prometheus rules, config and Grafana dashboard")

REQUIRED_PANELS = [
    "Executions/s by outcome",
    "Execution error rate",
    "Execution duration p50 / p99",
    "State transitions/s",
    "In-flight executions and async queue depth",
    "Throttled executions/s",
    "API requests/s by action and code",
    "Task invocations and errors/s",
    "Log events written / dropped per second",
]
REQUIRED_ALERTS = ["StepdDown", "StepdHighExecutionErrorRate", "StepdExecutionsThrottled",
                   "StepdSlowExecutions", "StepdLogEventsDropped"]


def promtool(ctx, *argv, stdin=None):
    cmd = [ctx.promtool, *argv]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60,
                          cwd=ctx.source_dir)
    out = (proc.stdout + proc.stderr).strip()
    print("  $ " + " ".join(cmd) + "\n    " + out.replace("\n", "\n    "), flush=True)
    return proc.returncode, out


def dashboard(ctx):
    with open(ctx.dashboard, encoding="utf-8") as f:
        return json.load(f)


def rule_exprs(ctx):
    """(alert, expr) from the rules file: a minimal reader for its layout (plain or `|` block
    `expr:`), with no YAML library; promtool checks the file itself."""
    exprs, current, block = [], None, None
    with open(ctx.rules, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        stripped = line.strip()
        if block is not None:
            if stripped and (len(line) - len(line.lstrip())) > block[1]:
                block[0].append(stripped)
                continue
            exprs.append((current, " ".join(block[0])))
            block = None
        if stripped.startswith("- alert:") or stripped.startswith("- record:"):
            current = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("expr:"):
            value = stripped[len("expr:"):].strip()
            if value in ("|", ">", "|-", ">-"):
                block = ([], len(line) - len(line.lstrip()))
            else:
                exprs.append((current, value))
    if block is not None:
        exprs.append((current, " ".join(block[0])))
    return exprs


@suite.test
def rules_pass_promtool_check(ctx):
    code, out = promtool(ctx, "check", "rules", ctx.rules)
    check_eq(code, 0, "promtool check rules exits 0")
    names = [name for name, _ in rule_exprs(ctx)]
    check(f"SUCCESS: {len(names)} rules found" in out, f"promtool found the {len(names)} rules")
    for alert in REQUIRED_ALERTS:
        check(alert in names, f"alert {alert} defined")
    with open(ctx.rules, encoding="utf-8") as f:
        text = f.read()
    check_eq(text.count("for: "), len(names), "every rule has a `for:`")
    check_eq(text.count("severity: "), len(names), "every rule has a severity label")
    check_eq(text.count("summary: "), len(names), "every rule has a summary annotation")


@suite.test
def rules_unit_tests(ctx):
    code, out = promtool(ctx, "test", "rules", ctx.rules_test)
    check_eq(code, 0, "promtool test rules exits 0")
    check("SUCCESS" in out, "promtool test rules: SUCCESS")


@suite.test
def example_config_passes_promtool_check(ctx):
    code, out = promtool(ctx, "check", "config", ctx.config)
    check_eq(code, 0, "promtool check config exits 0")
    check("SUCCESS: 1 rule files found" in out, "the example config loads stepd-alerts.yml")


@suite.test
def dashboard_is_valid_json(ctx):
    proc = subprocess.run([sys.executable, "-m", "json.tool", ctx.dashboard],
                          capture_output=True, text=True, timeout=60)
    check_eq(proc.returncode, 0, f"python3 -m json.tool {os.path.relpath(ctx.dashboard, ctx.source_dir)}"
             f" exits 0 {proc.stderr.strip()}")
    dash = dashboard(ctx)
    check(36 <= dash.get("schemaVersion", 0) <= 39, f"schemaVersion {dash.get('schemaVersion')} in 36..39")
    check_eq([i["name"] for i in dash.get("__inputs", [])], ["DS_PROMETHEUS"], "__inputs: DS_PROMETHEUS")
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    check_eq(variables.get("DS_PROMETHEUS", {}).get("type"), "datasource",
             "templating variable DS_PROMETHEUS is a datasource variable")
    sm = variables.get("state_machine", {})
    q = sm.get("query", {})
    q = q.get("query") if isinstance(q, dict) else q
    check(isinstance(q, str) and q.startswith("label_values(") and q.rstrip(") ").endswith("state_machine"),
          f"state_machine variable from label_values: {q}")
    titles = [p["title"] for p in prom_harness.dashboard_panels(dash)]
    check_eq(len(titles), len(set(titles)), "panel titles are unique")
    ids = [p["id"] for p in prom_harness.dashboard_panels(dash)]
    check_eq(len(ids), len(set(ids)), "panel ids are unique")
    for title in REQUIRED_PANELS:
        check(title in titles, f"panel {title!r}")
    for panel in prom_harness.dashboard_panels(dash):
        if panel["type"] == "row":
            continue
        check_eq(panel.get("datasource", {}).get("uid"), "${DS_PROMETHEUS}",
                 f"panel {panel['title']!r} uses ${{DS_PROMETHEUS}}")
        check(panel.get("targets") and all(t.get("expr") for t in panel["targets"]),
              f"panel {panel['title']!r} has queries")


@suite.test
def dashboard_queries_parse_as_promql(ctx):
    # promtool has no expression checker offline; recording rules are parsed with the same parser.
    queries = [(where, prom_harness.grafana_to_promql(expr))
               for where, expr in prom_harness.dashboard_queries(dashboard(ctx))
               if not expr.startswith("label_values(")]
    with tempfile.TemporaryDirectory(prefix="stepd-dash-") as tmp:
        path = os.path.join(tmp, "dashboard-queries.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("groups:\n  - name: dashboard\n    rules:\n")
            for i, (_, expr) in enumerate(queries):
                f.write(f"      - record: dashboard:query:{i}\n        expr: {json.dumps(expr)}\n")
        code, out = promtool(ctx, "check", "rules", path)
    check_eq(code, 0, f"all {len(queries)} dashboard queries parse (promtool check rules)")


@suite.test
def only_stepd_metrics_and_labels_are_used(ctx):
    used = set()
    sources = [(f"rule {name}", expr) for name, expr in rule_exprs(ctx)]
    sources += [(where, expr) for where, expr in prom_harness.dashboard_queries(dashboard(ctx))]
    for where, expr in sources:
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", expr)
        if m:  # Grafana's label_values(SELECTOR, LABEL)
            expr = m.group(1)
            check(m.group(2) in prom_harness.LABELS, f"{where}: label {m.group(2)} is stepd's")
        names = prom_harness.promql_metric_names(expr)
        check(names, f"{where}: selects a metric ({', '.join(sorted(names))})")
        bad = prom_harness.unknown_metric_names(expr)
        check(not bad, f"{where}: every metric is one stepd exposes (unknown: {sorted(bad)})")
        labels = prom_harness.promql_grouping_labels(expr) - {"outcome"}
        check(labels <= prom_harness.LABELS,
              f"{where}: grouping labels {sorted(labels)} are stepd's or the target's")
        used.update(prom_harness.family_of(n) for n in names if prom_harness.family_of(n))
    missing = set(prom_harness.METRICS) - used - {"stepd_build_info"}
    check(not missing, f"every metric family but stepd_build_info is used (missing {sorted(missing)})")


@suite.test
def metric_name_checker_catches_mistakes(ctx):
    """The checker above would fail on a misspelt metric, a bare histogram or an unknown label."""
    check_eq(prom_harness.unknown_metric_names('rate(stepd_execution_started_total[5m])'),
             {"stepd_execution_started_total"}, "a misspelt counter is reported")
    check_eq(prom_harness.unknown_metric_names('rate(stepd_execution_duration_seconds[5m])'),
             {"stepd_execution_duration_seconds"}, "a histogram without _bucket/_sum/_count is reported")
    check_eq(prom_harness.unknown_metric_names(
        'sum by (state_machine, le) (rate(stepd_task_duration_seconds_bucket{x=~"a|b"}[1m])) or up == 0'),
        set(), "known names, label matchers and keywords pass")
    check_eq(prom_harness.promql_grouping_labels('sum by (execution_id) (x)'), {"execution_id"},
             "grouping labels are extracted")


def main():
    args = harness.parse_args(extra=lambda p: p.add_argument("--promtool", default="/usr/bin/promtool"))

    class Ctx:
        source_dir = os.path.abspath(args.source_dir)
        rules = os.path.join(source_dir, "perf", "prometheus", "stepd-alerts.yml")
        rules_test = os.path.join(source_dir, "perf", "prometheus", "stepd-alerts.test.yml")
        config = os.path.join(source_dir, "perf", "prometheus", "prometheus.yml")
        dashboard = os.path.join(source_dir, "perf", "grafana", "stepd-dashboard.json")
        promtool = args.promtool

    if not os.access(Ctx.promtool, os.X_OK):
        print(f"SKIP: {Ctx.promtool} not found: install the Debian package `prometheus`", flush=True)
        return 77  # ctest: skipped
    return suite.run(Ctx)


if __name__ == "__main__":
    sys.exit(main())
