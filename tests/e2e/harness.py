"""End-to-end test harness for stepd (standard library only; run with Debian's /usr/bin/python3).

What it gives a test program:
  * StepdServer: starts `stepd serve --port 0` on its own definitions directory in a temporary
    directory, waits for the one ready line, exposes the URL, and on stop sends SIGTERM and
    asserts a clean exit (status 0).
  * Suite: a tiny runner. Each test is a function; checks print what they verify; the program
    exits 1 when a test failed. Skips are printed with their reason and do not fail the run.
  * client_env(): a hermetic environment for the AWS clients (credentials local/local,
    us-east-1, no metadata service, no pager, empty config and credentials files, no proxies).
  * aws_json(): a raw AWS JSON 1.0 call through urllib, for set-up steps and native checks.
  * Workloads from ../shared/bench/workloads and a few small machines the tests need.

Command line shared by every program: --stepd BINARY --source-dir DIR --shared-dir DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/stepd-e2e"
SM_ARN_PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:"
EXPRESS_ARN_PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:express:"

# The bench workloads whose expected outputs the tests compare with.
WORKLOADS = [
    "iot_ingest",
    "catch_retry",
    "intrinsics_heavy",
    "large_payload",
    "map_fanout",
    "parallel_branches",
]

# Small machines the tests need besides the workloads.
PASS_DEFINITION = {
    "Comment": "Adds a greeting",
    "StartAt": "Greet",
    "States": {
        "Greet": {
            "Type": "Pass",
            "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"},
            "ResultPath": "$.out",
            "End": True,
        }
    },
}
FAIL_DEFINITION = {
    "StartAt": "Boom",
    "States": {"Boom": {"Type": "Fail", "Error": "Order.Rejected",
                        "Cause": "quantity must be positive"}},
}
# Keeps an asynchronous execution in flight for $.wait seconds (throttling tests).
SLOW_DEFINITION = {
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Wait", "SecondsPath": "$.wait", "End": True}},
}

STANDARD_EXTRA_MACHINES = {"greeter": PASS_DEFINITION, "failer": FAIL_DEFINITION}

SM_NOT_SUPPORTED = "This operation is not supported by this type of state machine"
EXPRESS_INVALID_ARN = "Invalid Arn: 'Resource type not valid in this context: express'"


def sm_arn(name: str) -> str:
    return SM_ARN_PREFIX + name


def parse_args(argv=None, extra=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stepd", required=True, help="the stepd binary")
    parser.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(here)))
    parser.add_argument("--shared-dir", default=None)
    if extra:
        extra(parser)
    args = parser.parse_args(argv)
    if args.shared_dir is None:
        args.shared_dir = os.path.join(args.source_dir, "..", "shared")
    args.stepd = os.path.abspath(args.stepd)
    return args


class Workload:
    def __init__(self, shared_dir: str, name: str):
        base = os.path.join(shared_dir, "bench", "workloads", name)
        self.name = name
        with open(os.path.join(base, "definition.json"), encoding="utf-8") as f:
            self.definition = f.read()
        with open(os.path.join(base, "input.json"), encoding="utf-8") as f:
            self.input = f.read()
        with open(os.path.join(base, "expected_output.json"), encoding="utf-8") as f:
            self.expected = json.load(f)


def load_workloads(shared_dir: str) -> dict[str, Workload]:
    return {name: Workload(shared_dir, name) for name in WORKLOADS}


def default_definitions(shared_dir: str) -> dict[str, str]:
    """Every workload plus the small machines, as NAME -> definition text."""
    defs = {w.name: w.definition for w in load_workloads(shared_dir).values()}
    for name, definition in STANDARD_EXTRA_MACHINES.items():
        defs[name] = json.dumps(definition)
    return defs


def file_tail(path, lines: int = 30, missing: str = "(nothing written)") -> str:
    """The last `lines` lines of a child's log file, for failure messages."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except (OSError, TypeError):
        return missing


class ManagedProcess:
    """A child process a test owns, with its temporary directory; a context manager.

    Subclasses start it in start() (setting `proc` and `_tmp`) and stop and check it in stop();
    when the with-block raises, the child is killed and its directory removed instead.
    """

    proc = None
    _tmp = None

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _cleanup(self):
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            self._kill()
            self._cleanup()
        return False


class StepdServer(ManagedProcess):
    """`stepd serve --port 0` in a temporary directory; use as a context manager."""

    READY_PREFIX = "stepd: listening on "

    def __init__(self, binary: str, definitions: dict[str, str], extra_args=(), threads: int = 2,
                 ready_timeout: float = 15.0, stop_timeout: float = 30.0):
        self.binary = binary
        self.definitions = definitions
        self.extra_args = list(extra_args)
        self.threads = threads
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self._tmp = None
        self.proc = None
        self.url = None
        self.port = None
        self.stderr_path = None
        self.exit_code = None

    def start(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="stepd-e2e-")
        defs_dir = os.path.join(self._tmp.name, "definitions")
        os.mkdir(defs_dir)
        for name, text in self.definitions.items():
            with open(os.path.join(defs_dir, name + ".asl.json"), "w", encoding="utf-8") as f:
                f.write(text)
        self.stderr_path = os.path.join(self._tmp.name, "stderr.log")
        cmd = [self.binary, "serve", "--port", "0", "--threads", str(self.threads),
               "--definitions", defs_dir] + self.extra_args
        print(f"[harness] starting: {' '.join(cmd)}", flush=True)
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=err, cwd=self._tmp.name)
        line = self._read_line(self.ready_timeout)
        if not line.startswith(self.READY_PREFIX):
            self._kill()
            raise RuntimeError(f"stepd did not print the ready line; got {line!r}; stderr:\n"
                               + self.stderr_tail())
        self.url = line[len(self.READY_PREFIX):].strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        print(f"[harness] ready at {self.url}", flush=True)
        return self

    def _read_line(self, timeout: float) -> str:
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
        sel.close()
        self._stdout_rest = buf.partition(b"\n")[2]
        return buf.partition(b"\n")[0].decode("utf-8", "replace")

    def stderr_tail(self, lines: int = 30) -> str:
        return file_tail(self.stderr_path, lines, "(no stderr)")

    def stop(self):
        """SIGTERM, then asserts that stepd exits 0 and printed nothing more on stdout."""
        if self.proc is None:
            return
        try:
            if self.proc.poll() is not None:
                raise AssertionError(f"stepd exited early with status {self.proc.returncode}; "
                                     "stderr:\n" + self.stderr_tail())
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise AssertionError(f"stepd did not stop within {self.stop_timeout}s of SIGTERM")
            rest = (self._stdout_rest + self.proc.stdout.read()).decode("utf-8", "replace")
            if self.exit_code != 0:
                raise AssertionError(f"stepd exited with status {self.exit_code} after SIGTERM; "
                                     "stderr:\n" + self.stderr_tail())
            if rest.strip():
                raise AssertionError(f"stepd printed more than the ready line on stdout: {rest!r}")
            print(f"[harness] stepd on port {self.port} stopped cleanly (exit 0)", flush=True)
        finally:
            self.proc.stdout.close()
            self.proc = None
            self._cleanup()


class Skip(Exception):
    """Raised by a test to mark itself skipped, with the reason as message."""


class Suite:
    """Runs registered test functions in order; prints PASS/FAIL/SKIP per test and a summary."""

    def __init__(self, title: str):
        self.title = title
        self.tests = []
        self.results = []

    def test(self, fn):
        self.tests.append(fn)
        return fn

    def run(self, *args) -> int:
        print(f"==== {self.title}: {len(self.tests)} tests", flush=True)
        for fn in self.tests:
            name = fn.__name__
            print(f"---- {name}", flush=True)
            start = time.monotonic()
            try:
                fn(*args)
                outcome, detail = "PASS", ""
            except Skip as e:
                outcome, detail = "SKIP", str(e)
            except Exception as e:  # noqa: BLE001 - reported; the next test still runs
                outcome, detail = "FAIL", f"{type(e).__name__}: {e}"
                traceback.print_exc(file=sys.stdout)
            took = time.monotonic() - start
            self.results.append((name, outcome, detail, took))
            print(f"{outcome} {name} ({took:.2f}s){': ' + detail if detail else ''}", flush=True)
        return self.summary()

    def summary(self) -> int:
        print(f"==== {self.title}: summary", flush=True)
        failed = 0
        for name, outcome, detail, took in self.results:
            failed += outcome == "FAIL"
            line = f"  {outcome:4} {name} ({took:.2f}s)"
            if outcome != "PASS":
                line += f": {detail[:300]}"
            print(line)
        counts = {k: sum(1 for r in self.results if r[1] == k) for k in ("PASS", "FAIL", "SKIP")}
        print(f"==== {self.title}: {counts['PASS']} passed, {counts['FAIL']} failed, "
              f"{counts['SKIP']} skipped", flush=True)
        return 1 if failed else 0


def check(cond, what: str):
    if not cond:
        raise AssertionError(f"check failed: {what}")
    print(f"  ok: {what}", flush=True)


def check_eq(actual, expected, what: str):
    if actual != expected:
        a = json.dumps(actual, sort_keys=True, default=str)
        e = json.dumps(expected, sort_keys=True, default=str)
        raise AssertionError(f"{what}: expected {e[:600]}, got {a[:600]}")
    print(f"  ok: {what}", flush=True)


def client_env(tmp_dir: str, extra: dict | None = None) -> dict:
    """A hermetic environment for the AWS clients: nothing from the machine leaks in."""
    config = os.path.join(tmp_dir, "aws-config")
    creds = os.path.join(tmp_dir, "aws-credentials")
    for path in (config, creds):
        if not os.path.exists(path):
            open(path, "w").close()
    home = os.path.join(tmp_dir, "home")
    os.makedirs(home, exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "AWS_CONFIG_FILE": config,
        "AWS_SHARED_CREDENTIALS_FILE": creds,
        "NO_COLOR": "1",
    }
    if extra:
        env.update(extra)
    return env


def hermetic_process_env(tmp_dir: str):
    """Applies client_env() to this process (for boto3, which reads os.environ)."""
    for key in list(os.environ):
        if key.startswith("AWS_") or key.lower() in ("http_proxy", "https_proxy", "all_proxy",
                                                      "no_proxy"):
            del os.environ[key]
    os.environ.update(client_env(tmp_dir))


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 30.0):
    """(status, headers, body bytes) without raising on HTTP errors; never uses a proxy."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def aws_json(url: str, action: str, payload: dict, timeout: float = 30.0):
    """A raw AWS JSON 1.0 call: (status, parsed body)."""
    status, _, body = http("POST", url + "/", json.dumps(payload).encode(), {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions." + action,
    }, timeout)
    return status, (json.loads(body) if body else None)


# --- node:test programs (the JavaScript SDK tests) ---------------------------------------------

NODE = "/usr/bin/node"
E2E_DIR = os.path.dirname(os.path.abspath(__file__))


def parse_js_args():
    """parse_args() plus --js-modules, the folder whose node_modules holds the SDK clients."""
    return parse_args(extra=lambda p: p.add_argument(
        "--js-modules", default=os.path.join(E2E_DIR, "js"),
        help="folder whose node_modules holds the AWS SDK clients (scripts/setup-e2e)"))


def node_ready(who: str, js_modules: str, packages) -> bool:
    """Checks that node and every package are installed and prints their versions."""
    if not os.access(NODE, os.X_OK):
        print(f"{who}: {NODE} is missing: install nodejs (scripts/setup)", file=sys.stderr)
        return False
    versions = []
    for package in packages:
        manifest = os.path.join(js_modules, "node_modules", package, "package.json")
        if not os.path.exists(manifest):
            print(f"{who}: {manifest} is missing: run scripts/setup-e2e first "
                  f"(it runs `npm ci` into {js_modules})", file=sys.stderr)
            return False
        with open(manifest, encoding="utf-8") as f:
            versions.append(f"{package} {json.load(f)['version']}")
    node_version = subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout
    print(f"{who}: node {node_version.strip()}, {', '.join(versions)} from {js_modules}",
          flush=True)
    return True


def run_node_test(who: str, test_file: str, js_modules: str, tmp_dir: str, env: dict) -> int:
    """Runs `node --test js/<test_file>` with the hermetic client environment plus `env`."""
    env = client_env(tmp_dir, {**env, "STEPD_E2E_JS_MODULES": os.path.abspath(js_modules)})
    cmd = [NODE, "--test", "--test-reporter=spec", os.path.join(E2E_DIR, "js", test_file)]
    print(f"[{who}] {' '.join(cmd)}", flush=True)
    p = subprocess.run(cmd, env=env, cwd=tmp_dir, timeout=120)
    print(f"[{who}] node --test exited with status {p.returncode}", flush=True)
    return p.returncode
