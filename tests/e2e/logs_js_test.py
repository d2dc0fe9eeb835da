#!/usr/bin/python3
"""Runs tests/e2e/js/logs.test.mjs (@aws-sdk/client-cloudwatch-logs, node:test) against stepd.

Starts one server with the harness (no machines: the JS test creates its log group and machines
itself), runs `node --test` with its URL in the environment, and passes when node exits 0 and
the server stops cleanly on SIGTERM. Both SDK clients come from --js-modules DIR
(DIR/node_modules), which scripts/setup-e2e fills with `npm ci` from tests/e2e/js/package-lock.json.
"""

import sys
import tempfile

import harness

PACKAGES = ("@aws-sdk/client-cloudwatch-logs", "@aws-sdk/client-sfn")


def main():
    args = harness.parse_js_args()
    if not harness.node_ready("logs_js_test", args.js_modules, PACKAGES):
        return 1
    tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-logs-js-")
    with harness.StepdServer(args.stepd, {}) as server:
        status = harness.run_node_test("logs_js_test", "logs.test.mjs", args.js_modules, tmp.name,
                                       {"STEPD_URL": server.url})
    tmp.cleanup()
    return 0 if status == 0 else 1

if __name__ == "__main__":
    sys.exit(main())
