// stepd's execution logs read with @aws-sdk/client-cloudwatch-logs (AWS SDK for JavaScript v3),
// under node:test. Executions run through @aws-sdk/client-sfn (StartSyncExecution,
// disableHostPrefix: true); the Logs API has no host prefix.
//
// Run through tests/e2e/logs_js_test.py, which starts a stepd with no machines and sets:
//   STEPD_URL            the server
//   STEPD_E2E_JS_MODULES the folder whose node_modules holds both SDK clients (scripts/setup-e2e)
// The tests share state and run in order: the first creates the log group and the machines and
// runs the executions; the others read the logs back.
// Errors are checked as the SDK surfaces them: err.name, instanceof the modeled class,
// err.$metadata.httpStatusCode.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesDir = process.env.STEPD_E2E_JS_MODULES || here;
const requireFromModules = createRequire(path.join(modulesDir, "package.json"));
const load = async (name) => import(pathToFileURL(requireFromModules.resolve(name)).href);
const sfnSdk = await load("@aws-sdk/client-sfn");
const logsSdk = await load("@aws-sdk/client-cloudwatch-logs");
const { SFNClient, CreateStateMachineCommand, DescribeStateMachineCommand, StartSyncExecutionCommand } = sfnSdk;
const {
  CloudWatchLogsClient, CloudWatchLogsServiceException,
  CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand,
  CreateLogStreamCommand, DescribeLogStreamsCommand, PutLogEventsCommand,
  GetLogEventsCommand, FilterLogEventsCommand,
  ResourceNotFoundException, ResourceAlreadyExistsException,
} = logsSdk;

const URL_ = process.env.STEPD_URL;
assert.ok(URL_, "STEPD_URL must be set (run through tests/e2e/logs_js_test.py)");

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/stepd-e2e`;
const smArn = (name) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const GROUP = "/aws/vendedlogs/states/stepd-e2e-js";
const GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${GROUP}:*`;
const STREAM_RE = /^states\/([A-Za-z0-9_-]+)\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\/[0-9a-f]{8}$/;

const PASS_DEFINITION = { StartAt: "State_1", States: { State_1: { Type: "Pass", Result: { Arg1: "argument1" }, End: true } } };
const FAIL_DEFINITION = { StartAt: "FailState", States: { FailState: { Type: "Fail", Error: "SomeFailure", Cause: "it failed" } } };
const PASS_EVENTS = ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"];
const FAIL_EVENTS = ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"];
const PASS_RUNS = 3;

const common = {
  region: REGION,
  endpoint: URL_,
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  maxAttempts: 1,
};
const sfn = new SFNClient({ ...common, disableHostPrefix: true });
const logs = new CloudWatchLogsClient(common);

function ok(what) {
  console.log(`  ok: ${what}`);
}

async function expectError(command, name, cls, message) {
  let err;
  try {
    await logs.send(command);
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${name}, but ${command.constructor.name} succeeded`);
  assert.equal(err.name, name, `err.name (message: ${err.message})`);
  assert.ok(err instanceof CloudWatchLogsServiceException, `${name} is a CloudWatchLogsServiceException`);
  assert.ok(err instanceof cls, `${name} is an instance of the modeled class`);
  assert.equal(err.$metadata?.httpStatusCode, 400, `${name}: HTTP 400`);
  if (message !== undefined) assert.equal(err.message, message, `${name} message`);
  ok(`${command.constructor.name}: ${name}${message ? `, "${message}"` : ""}`);
}

const runs = []; // { machine, arn, input, status }

test("set-up: CreateLogGroup, machines with loggingConfiguration, executions", async () => {
  const created = await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  assert.equal(created.$metadata.httpStatusCode, 200);
  ok(`CreateLogGroup ${GROUP}`);
  await expectError(new CreateLogGroupCommand({ logGroupName: GROUP }), "ResourceAlreadyExistsException",
    ResourceAlreadyExistsException);
  const machines = { js_pass: [PASS_DEFINITION, true], js_fail: [FAIL_DEFINITION, false] };
  for (const [name, [definition, data]] of Object.entries(machines)) {
    const loggingConfiguration = {
      level: "ALL", includeExecutionData: data,
      destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: GROUP_ARN } }],
    };
    await sfn.send(new CreateStateMachineCommand({
      name, definition: JSON.stringify(definition), roleArn: ROLE, type: "EXPRESS", loggingConfiguration,
    }));
    const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: smArn(name) }));
    assert.deepEqual(d.loggingConfiguration, loggingConfiguration);
  }
  ok("CreateStateMachine js_pass (ALL, data) and js_fail (ALL, no data); DescribeStateMachine echoes the config");
  for (let i = 0; i < PASS_RUNS; i++) {
    const input = { i };
    const r = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: smArn("js_pass"), input: JSON.stringify(input) }));
    assert.equal(r.status, "SUCCEEDED");
    runs.push({ machine: "js_pass", arn: r.executionArn, input });
  }
  const f = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: smArn("js_fail"), input: "{}" }));
  assert.equal(f.status, "FAILED");
  runs.push({ machine: "js_fail", arn: f.executionArn, input: {} });
  ok(`${PASS_RUNS} js_pass executions succeeded, 1 js_fail execution failed`);
});

test("DescribeLogGroups", async () => {
  const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/vendedlogs/states/" }));
  assert.deepEqual(out.logGroups.map((g) => g.logGroupName), [GROUP]);
  const g = out.logGroups[0];
  assert.equal(g.arn, GROUP_ARN, "arn ends with :*");
  assert.equal(typeof g.creationTime, "number");
  ok(`DescribeLogGroups (prefix): [${GROUP}], arn ${g.arn}`);
  const none = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/no/such/prefix" }));
  assert.deepEqual(none.logGroups, []);
  ok("DescribeLogGroups with an unmatched prefix: []");
});

// Every event of every js_pass stream, read with GetLogEvents startFromHead and limit 3,
// following nextForwardToken until it comes back unchanged.
test("GetLogEvents: startFromHead, paging with nextForwardToken until it repeats", async () => {
  const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }))).logStreams;
  const names = streams.map((s) => s.logStreamName);
  for (const n of names) assert.match(n, STREAM_RE);
  assert.deepEqual([...new Set(names.map((n) => n.split("/")[1]))].sort(), ["js_fail", "js_pass"]);
  ok(`DescribeLogStreams: ${names.join(", ")}`);
  const events = [];
  for (const stream of names.filter((n) => n.startsWith("states/js_pass/"))) {
    let token;
    let pages = 0;
    for (;;) {
      const page = await logs.send(new GetLogEventsCommand({
        logGroupName: GROUP, logStreamName: stream, startFromHead: true, limit: 3, nextToken: token,
      }));
      pages++;
      assert.ok(page.events.length <= 3, "at most limit events per page");
      assert.equal(typeof page.nextForwardToken, "string");
      assert.equal(typeof page.nextBackwardToken, "string");
      events.push(...page.events);
      if (page.nextForwardToken === token) {
        assert.equal(page.events.length, 0, "the page whose token repeats is empty");
        break;
      }
      assert.ok(pages < 50, "paging ends");
      token = page.nextForwardToken;
    }
    ok(`${stream}: ${pages} pages of ≤3 until nextForwardToken repeated`);
  }
  assert.equal(events.length, PASS_RUNS * PASS_EVENTS.length, "every js_pass event, once");
  const messages = events.map((e) => JSON.parse(e.message));
  const times = events.map((e) => e.timestamp);
  for (const e of events) assert.equal(typeof e.ingestionTime, "number");
  for (const run of runs.filter((r) => r.machine === "js_pass")) {
    const mine = messages.filter((m) => m.execution_arn === run.arn);
    assert.deepEqual(mine.map((m) => m.type), PASS_EVENTS, `event types of ${run.arn}`);
    assert.deepEqual(mine.map((m) => m.id), ["1", "2", "3", "4"]);
    assert.deepEqual(mine.map((m) => m.previous_event_id), ["0", "0", "2", "3"]);
    assert.ok(mine.every((m) => m.redrive_count === "0" && /^\d+$/.test(m.event_timestamp)));
    assert.deepEqual(JSON.parse(mine[0].details.input), run.input, "details.input is a JSON string");
    assert.equal(mine[0].details.roleArn, ROLE);
    assert.deepEqual(JSON.parse(mine[3].details.output), { Arg1: "argument1" }, "details.output is a JSON string");
  }
  assert.deepEqual(times, [...times].sort((a, b) => a - b), "oldest first");
  ok(`${events.length} events: ${PASS_RUNS} × ${PASS_EVENTS.join(" → ")}, ids and details as AWS writes them`);
});

test("FilterLogEvents: JSON pattern, quoted term, paging with nextToken", async () => {
  const failed = await logs.send(new FilterLogEventsCommand({
    logGroupName: GROUP, filterPattern: '{ $.type = "ExecutionFailed" }',
  }));
  assert.equal(failed.events.length, 1);
  const m = JSON.parse(failed.events[0].message);
  const failArn = runs.find((r) => r.machine === "js_fail").arn;
  assert.equal(m.execution_arn, failArn);
  assert.deepEqual(m.details, { error: "SomeFailure", cause: "it failed" });
  assert.match(failed.events[0].logStreamName, /^states\/js_fail\//);
  assert.equal(typeof failed.events[0].eventId, "string");
  ok('{ $.type = "ExecutionFailed" }: the one js_fail event, error and cause in details');

  const arn = runs[1].arn;
  const one = await logs.send(new FilterLogEventsCommand({
    logGroupName: GROUP, logStreamNamePrefix: "states/", filterPattern: `{ $.execution_arn = "${arn}" }`,
  }));
  assert.deepEqual(one.events.map((e) => JSON.parse(e.message).type), PASS_EVENTS);
  ok('{ $.execution_arn = "<arn>" }: that execution only');

  const exited = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: '"PassStateExited"' }));
  assert.equal(exited.events.length, PASS_RUNS);
  ok(`"PassStateExited" (quoted term): ${PASS_RUNS} events`);

  const all = [];
  let token;
  let pages = 0;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, limit: 4, nextToken: token }));
    assert.ok(page.events.length <= 4);
    all.push(...page.events);
    token = page.nextToken;
    pages++;
    assert.ok(pages < 50, "paging ends");
  } while (token);
  assert.equal(all.length, PASS_RUNS * PASS_EVENTS.length + FAIL_EVENTS.length);
  assert.equal(new Set(all.map((e) => e.eventId)).size, all.length, "no event twice");
  const nodata = all.map((e) => JSON.parse(e.message)).filter((x) => x.execution_arn === failArn);
  assert.deepEqual(nodata.map((x) => x.type), FAIL_EVENTS);
  for (const x of nodata) {
    assert.ok(!("input" in x.details) && !("output" in x.details), "includeExecutionData false: no input/output");
  }
  ok(`limit 4: ${pages} pages until nextToken was absent, ${all.length} events; js_fail's without input/output`);
});

test("CreateLogStream, PutLogEvents, GetLogEvents, DeleteLogGroup", async () => {
  const group = "/stepd/e2e/js-app";
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "s1" }));
  await expectError(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "s1" }),
    "ResourceAlreadyExistsException", ResourceAlreadyExistsException);
  const now = Date.now();
  const put = await logs.send(new PutLogEventsCommand({
    logGroupName: group, logStreamName: "s1",
    logEvents: [{ timestamp: now, message: "first" }, { timestamp: now + 1, message: "second ERROR" }],
  }));
  assert.equal(put.$metadata.httpStatusCode, 200);
  const got = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: "s1", startFromHead: true }));
  assert.deepEqual(got.events.map((e) => [e.timestamp, e.message]), [[now, "first"], [now + 1, "second ERROR"]]);
  const term = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: "ERROR" }));
  assert.deepEqual(term.events.map((e) => e.message), ["second ERROR"]);
  ok("PutLogEvents read back by GetLogEvents; FilterLogEvents term ERROR");
  await logs.send(new DeleteLogGroupCommand({ logGroupName: group }));
  const left = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
  assert.deepEqual(left.logGroups, []);
  ok("DeleteLogGroup: gone from DescribeLogGroups");
});

test("errors: ResourceNotFoundException", async () => {
  await expectError(new GetLogEventsCommand({ logGroupName: "/no/such/group", logStreamName: "s" }),
    "ResourceNotFoundException", ResourceNotFoundException, "The specified log group does not exist.");
  await expectError(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: "states/none" }),
    "ResourceNotFoundException", ResourceNotFoundException, "The specified log stream does not exist.");
  await expectError(new FilterLogEventsCommand({ logGroupName: "/no/such/group" }),
    "ResourceNotFoundException", ResourceNotFoundException);
  await expectError(new DescribeLogStreamsCommand({ logGroupName: "/no/such/group" }),
    "ResourceNotFoundException", ResourceNotFoundException);
  await expectError(new DeleteLogGroupCommand({ logGroupName: "/no/such/group" }),
    "ResourceNotFoundException", ResourceNotFoundException);
});
