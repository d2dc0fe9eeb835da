#!/usr/bin/env python3
"""Runs the stepd benchmarks and checks the speed claims against their targets.

    benchmarks/compare.py build/benchmarks/stepd_jsonpath_bench \
        [--runtime-bench build/benchmarks/stepd_runtime_bench] [--min-time 0.5] [--repetitions 3]

Checked (exit status 1 when one fails, 2 when a benchmark could not run):
  - large_payload end to end: the copying baseline takes at least 20x as long as stepd;
  - a definite path costs the same on the 200 KB document as on the 1 KB one (ratio 0.8-1.2);
  - the hot paths that claim it make no heap allocation (allocs_per_iter == 0).
With --runtime-bench it also prints every workload against its parse + serialise floor.

Times are medians over the repetitions of CPU time, not wall time: the benchmark machines are
shared, and CPU time is what another process's load disturbs least. Ratios are only taken
between benchmarks of the same run.
"""

import argparse
import json
import subprocess
import sys

MIN_COPY_RATIO = 20.0
SELECT_RATIO_RANGE = (0.8, 1.2)
ZERO_ALLOC_BENCHMARKS = [
    "BM_SelectNested/1KB",
    "BM_SelectNested/200KB",
    "BM_SelectIndefinite",
    "BM_TemplateBuild/1KB",
    "BM_TemplateBuild/200KB",
    "BM_ResultPathMerge/1KB",
    "BM_ResultPathMerge/200KB",
    "BM_LargePayloadStepd/end_to_end",
    "BM_LargePayloadStepd/states_only",
]


class BenchmarkError(Exception):
    pass


def run_medians(binary, min_time, repetitions):
    """Runs `binary` and returns {run_name: median row}."""
    command = [
        binary,
        "--benchmark_format=json",
        f"--benchmark_min_time={min_time}",
        f"--benchmark_repetitions={repetitions}",
        "--benchmark_report_aggregates_only=true",
    ]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    medians = {}
    for row in json.loads(completed.stdout)["benchmarks"]:
        if row.get("error_occurred"):
            raise BenchmarkError(f"{row['run_name']}: {row.get('error_message', 'failed')}")
        if row.get("aggregate_name") == "median":
            medians[row["run_name"]] = row
    return medians


def get(medians, name):
    if name not in medians:
        raise BenchmarkError(f"{name} did not run")
    return medians[name]


def check_jsonpath(medians):
    """Prints the claims' numbers; returns the list of failed targets."""
    failures = []

    baseline = get(medians, "BM_LargePayloadCopyBaseline/end_to_end")["cpu_time"]
    stepd = get(medians, "BM_LargePayloadStepd/end_to_end")["cpu_time"]
    ratio = baseline / stepd
    print(f"large_payload end to end: copying baseline {baseline / 1e3:.1f} us, "
          f"stepd {stepd / 1e3:.1f} us, ratio {ratio:.1f}x (target >= {MIN_COPY_RATIO:.0f}x)")
    if ratio < MIN_COPY_RATIO:
        failures.append(f"copying baseline / stepd = {ratio:.1f}x < {MIN_COPY_RATIO:.0f}x")

    # Not a target: how far apart the engines are once both have a parsed input.
    states_baseline = get(medians, "BM_LargePayloadCopyBaseline/states_only")["cpu_time"]
    states_stepd = get(medians, "BM_LargePayloadStepd/states_only")["cpu_time"]
    print(f"large_payload states only: copying baseline {states_baseline / 1e3:.1f} us, "
          f"stepd {states_stepd / 1e3:.2f} us, ratio {states_baseline / states_stepd:.0f}x")

    low, high = SELECT_RATIO_RANGE
    for family, gated in (("BM_SelectNested", True), ("BM_ResultPathMerge", False)):
        small = get(medians, f"{family}/1KB")["cpu_time"]
        large = get(medians, f"{family}/200KB")["cpu_time"]
        ratio = large / small
        target = f" (target {low}-{high})" if gated else ""
        print(f"{family}: 1 KB {small:.1f} ns, 200 KB {large:.1f} ns, "
              f"200KB/1KB {ratio:.2f}{target}")
        if gated and not low <= ratio <= high:
            failures.append(f"{family} 200KB/1KB = {ratio:.2f}, outside {low}-{high}")

    for name in ZERO_ALLOC_BENCHMARKS:
        allocs = get(medians, name).get("allocs_per_iter")
        print(f"{name}: {get(medians, name)['cpu_time']:.1f} ns, allocs_per_iter {allocs}")
        if allocs != 0:
            failures.append(f"{name} allocates {allocs} times per iteration")
    return failures


def print_workloads(medians):
    print(f"{'workload':<18} {'us/exec':>9} {'floor us':>9} {'x floor':>8} {'transitions/s':>14} "
          f"{'allocs/exec':>12} {'allocs/state':>13}")
    for name, row in medians.items():
        if not name.startswith("BM_Workload/"):
            continue
        workload = name.split("/", 1)[1]
        floor = get(medians, f"BM_Floor/{workload}")["cpu_time"]
        print(f"{workload:<18} {row['cpu_time'] / 1e3:>9.2f} {floor / 1e3:>9.2f} "
              f"{row['cpu_time'] / floor:>8.2f} {row['items_per_second']:>14.3e} "
              f"{row['allocs_per_iter']:>12.3g} {row.get('allocs_per_state', 0):>13.3g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("jsonpath_bench", help="path of stepd_jsonpath_bench")
    parser.add_argument("--runtime-bench", help="path of stepd_runtime_bench")
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds per benchmark")
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    try:
        failures = check_jsonpath(run_medians(args.jsonpath_bench, args.min_time,
                                              args.repetitions))
        if args.runtime_bench:
            print_workloads(run_medians(args.runtime_bench, args.min_time, args.repetitions))
    except (BenchmarkError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for failure in failures:
        print(f"FAILED: {failure}")
    if not failures:
        print("all targets met")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
