#!/usr/bin/python3
"""Runs tests/e2e/js/sfn.test.mjs (AWS SDK for JavaScript v3, node:test) against stepd.

Starts two servers with the harness (the main one, and one with --max-async 1 for the
throttling test), runs `node --test` with their URLs in the environment, and passes when node
exits 0 and both servers stop cleanly on SIGTERM. @aws-sdk/client-sfn comes from
--js-modules DIR (DIR/node_modules), which scripts/setup-e2e fills with `npm ci` from
tests/e2e/js/package-lock.json.
"""

import json
import os
import subprocess
import sys
import tempfile

import harness

NODE = "/usr/bin/node"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    args = harness.parse_args(extra=lambda p: p.add_argument(
        "--js-modules", default=os.path.join(here, "js"),
        help="folder whose node_modules holds @aws-sdk/client-sfn (scripts/setup-e2e)"))
    node = NODE if os.access(NODE, os.X_OK) else None
    if node is None:
        print(f"js_test: {NODE} is missing: install nodejs (scripts/setup)", file=sys.stderr)
        return 1
    sdk = os.path.join(args.js_modules, "node_modules", "@aws-sdk", "client-sfn", "package.json")
    if not os.path.exists(sdk):
        print(f"js_test: {sdk} is missing: run scripts/setup-e2e first "
              f"(it runs `npm ci` into {args.js_modules})", file=sys.stderr)
        return 1
    with open(sdk, encoding="utf-8") as f:
        version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
        print(f"js_test: node {version.strip()}, "
              f"@aws-sdk/client-sfn {json.load(f)['version']} from {args.js_modules}", flush=True)

    tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-js-")
    definitions = harness.default_definitions(args.shared_dir)
    throttle_defs = {"slow": json.dumps(harness.SLOW_DEFINITION)}
    with harness.StepdServer(args.stepd, definitions) as server, \
         harness.StepdServer(args.stepd, throttle_defs, ["--max-async", "1"]) as throttle:
        env = harness.client_env(tmp.name, {
            "STEPD_URL": server.url,
            "STEPD_THROTTLE_URL": throttle.url,
            "STEPD_SHARED_DIR": os.path.abspath(args.shared_dir),
            "STEPD_E2E_JS_MODULES": os.path.abspath(args.js_modules),
        })
        cmd = [node, "--test", "--test-reporter=spec", os.path.join(here, "js", "sfn.test.mjs")]
        print(f"[js_test] {' '.join(cmd)}", flush=True)
        p = subprocess.run(cmd, env=env, cwd=tmp.name, timeout=120)
        print(f"[js_test] node --test exited with status {p.returncode}", flush=True)
    tmp.cleanup()
    return 0 if p.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
