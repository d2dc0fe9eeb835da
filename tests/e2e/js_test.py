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
import sys
import tempfile

import harness


def main():
    args = harness.parse_js_args()
    if not harness.node_ready("js_test", args.js_modules, ["@aws-sdk/client-sfn"]):
        return 1
    tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-js-")
    definitions = harness.default_definitions(args.shared_dir)
    throttle_defs = {"slow": json.dumps(harness.SLOW_DEFINITION)}
    with harness.StepdServer(args.stepd, definitions) as server, \
         harness.StepdServer(args.stepd, throttle_defs, ["--max-async", "1"]) as throttle:
        status = harness.run_node_test("js_test", "sfn.test.mjs", args.js_modules, tmp.name, {
            "STEPD_URL": server.url,
            "STEPD_THROTTLE_URL": throttle.url,
            "STEPD_SHARED_DIR": os.path.abspath(args.shared_dir),
        })
    tmp.cleanup()
    return 0 if status == 0 else 1

if __name__ == "__main__":
    sys.exit(main())
