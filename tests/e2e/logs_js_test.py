#!/usr/bin/python3
"""Runs tests/e2e/js/logs.test.mjs (@aws-sdk/client-cloudwatch-logs, node:test) against stepd.

Starts one server with the harness (no machines: the JS test creates its log group and machines
itself), runs `node --test` with its URL in the environment, and passes when node exits 0 and
the server stops cleanly on SIGTERM. Both SDK clients come from --js-modules DIR
(DIR/node_modules), which scripts/setup-e2e fills with `npm ci` from tests/e2e/js/package-lock.json.
"""

import json
import os
import subprocess
import sys
import tempfile

import harness

NODE = "/usr/bin/node"
PACKAGES = ("@aws-sdk/client-cloudwatch-logs", "@aws-sdk/client-sfn")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    args = harness.parse_args(extra=lambda p: p.add_argument(
        "--js-modules", default=os.path.join(here, "js"),
        help="folder whose node_modules holds the AWS SDK clients (scripts/setup-e2e)"))
    if not os.access(NODE, os.X_OK):
        print(f"logs_js_test: {NODE} is missing: install nodejs (scripts/setup)", file=sys.stderr)
        return 1
    versions = []
    for package in PACKAGES:
        manifest = os.path.join(args.js_modules, "node_modules", package, "package.json")
        if not os.path.exists(manifest):
            print(f"logs_js_test: {manifest} is missing: run scripts/setup-e2e first "
                  f"(it runs `npm ci` into {args.js_modules})", file=sys.stderr)
            return 1
        with open(manifest, encoding="utf-8") as f:
            versions.append(f"{package} {json.load(f)['version']}")
    node_version = subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout
    print(f"logs_js_test: node {node_version.strip()}, {', '.join(versions)} "
          f"from {args.js_modules}", flush=True)

    tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-logs-js-")
    with harness.StepdServer(args.stepd, {}) as server:
        env = harness.client_env(tmp.name, {
            "STEPD_URL": server.url,
            "STEPD_E2E_JS_MODULES": os.path.abspath(args.js_modules),
        })
        cmd = [NODE, "--test", "--test-reporter=spec", os.path.join(here, "js", "logs.test.mjs")]
        print(f"[logs_js_test] {' '.join(cmd)}", flush=True)
        p = subprocess.run(cmd, env=env, cwd=tmp.name, timeout=120)
        print(f"[logs_js_test] node --test exited with status {p.returncode}", flush=True)
    tmp.cleanup()
    return 0 if p.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
