// stepd driven by the AWS SDK for JavaScript v3 (@aws-sdk/client-sfn), with node:test.
//
// Run through tests/e2e/js_test.py, which starts the servers and sets:
//   STEPD_URL           a stepd with the bench workloads and the small machines of harness.py
//   STEPD_THROTTLE_URL  a stepd started with --max-async 1 and the Wait machine "slow"
//   STEPD_SHARED_DIR    ../shared (bench workloads and their expected outputs)
//   STEPD_E2E_JS_MODULES the folder whose node_modules holds @aws-sdk/client-sfn (installed by
//                       scripts/setup-e2e into the build tree); default: this file's folder.
// The client uses disableHostPrefix: true, so StartSyncExecution and TestState go to the
// endpoint itself instead of sync-127.0.0.1. Errors are checked as the SDK surfaces them:
// err.name (and instanceof the modeled class), err.$metadata.httpStatusCode, err.message.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesDir = process.env.STEPD_E2E_JS_MODULES || here;
const requireFromModules = createRequire(path.join(modulesDir, "package.json"));
const sdk = await import(pathToFileURL(requireFromModules.resolve("@aws-sdk/client-sfn")).href);
const {
  SFNClient, SFNServiceException,
  CreateStateMachineCommand, DescribeStateMachineCommand, UpdateStateMachineCommand,
  DeleteStateMachineCommand, ListStateMachinesCommand, paginateListStateMachines,
  StartSyncExecutionCommand, StartExecutionCommand, DescribeExecutionCommand,
  StopExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand,
  ValidateStateMachineDefinitionCommand, TestStateCommand,
  TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand,
  StateMachineDoesNotExist, InvalidArn, InvalidDefinition, InvalidName,
  InvalidExecutionInput, StateMachineTypeNotSupported, StateMachineAlreadyExists,
} = sdk;

const URL_ = process.env.STEPD_URL;
const THROTTLE_URL = process.env.STEPD_THROTTLE_URL;
const SHARED = process.env.STEPD_SHARED_DIR || path.join(here, "..", "..", "..", "..", "shared");
assert.ok(URL_, "STEPD_URL must be set (run through tests/e2e/js_test.py)");

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/stepd-e2e`;
const smArn = (name) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const EXPRESS_PREFIX = `arn:aws:states:${REGION}:${ACCOUNT}:express:`;
const PASS_DEFINITION = {
  Comment: "Adds a greeting",
  StartAt: "Greet",
  States: {
    Greet: {
      Type: "Pass",
      Parameters: { "greeting.$": "States.Format('hello {}', $.who)" },
      ResultPath: "$.out",
      End: true,
    },
  },
};
const NEW_DEFINITION = { StartAt: "P", States: { P: { Type: "Pass", Result: { v: 3 }, End: true } } };
const WORKLOADS = ["iot_ingest", "catch_retry", "intrinsics_heavy", "large_payload", "map_fanout",
  "parallel_branches"];

function makeClient(endpoint, extra = {}) {
  return new SFNClient({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    disableHostPrefix: true,
    ...extra,
  });
}
const sfn = makeClient(URL_);

function ok(what) {
  console.log(`  ok: ${what}`);
}

// Expects the command to fail with err.name === name (and instanceof the modeled class).
async function expectError(client, command, name, { cls, message, messagePrefix } = {}) {
  let err;
  try {
    await client.send(command);
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${name}, but the call succeeded`);
  assert.equal(err.name, name, `err.name (message: ${err.message})`);
  assert.ok(err instanceof SFNServiceException, `${name} is an SFNServiceException (${err})`);
  if (cls) assert.ok(err instanceof cls, `${name} is an instance of the modeled class`);
  assert.equal(err.$metadata?.httpStatusCode, 400, `${name}: HTTP 400`);
  if (message !== undefined) assert.equal(err.message, message, `${name} message`);
  if (messagePrefix !== undefined) {
    assert.ok(err.message.startsWith(messagePrefix), `${name} message starts ${messagePrefix}: ${err.message}`);
  }
  ok(`${command.constructor.name}: ${name}${cls ? " (modeled class)" : ""}${message ? `, "${message}"` : ""}`);
  return err;
}

function workload(name) {
  const base = path.join(SHARED, "bench", "workloads", name);
  return {
    input: readFileSync(path.join(base, "input.json"), "utf8"),
    expected: JSON.parse(readFileSync(path.join(base, "expected_output.json"), "utf8")),
  };
}

test("CreateStateMachine: EXPRESS, idempotent repeat, refusals", async () => {
  const params = { name: "js-created", definition: JSON.stringify(PASS_DEFINITION), roleArn: ROLE, type: "EXPRESS" };
  const first = await sfn.send(new CreateStateMachineCommand(params));
  assert.equal(first.stateMachineArn, smArn("js-created"));
  assert.ok(first.creationDate instanceof Date, "creationDate is a Date");
  ok("created js-created");
  const again = await sfn.send(new CreateStateMachineCommand(params));
  assert.equal(again.stateMachineArn, first.stateMachineArn);
  assert.equal(again.creationDate.getTime(), first.creationDate.getTime());
  ok("idempotent repeat: same ARN and creationDate");
  await expectError(sfn, new CreateStateMachineCommand({ ...params, definition: JSON.stringify(NEW_DEFINITION) }),
    "StateMachineAlreadyExists", { cls: StateMachineAlreadyExists, message: `State Machine Already Exists: '${smArn("js-created")}'` });
  await expectError(sfn, new CreateStateMachineCommand({ ...params, name: "js-std", type: "STANDARD" }),
    "StateMachineTypeNotSupported", { cls: StateMachineTypeNotSupported });
  await expectError(sfn, new CreateStateMachineCommand({ ...params, name: "js-std", type: undefined }),
    "StateMachineTypeNotSupported", { cls: StateMachineTypeNotSupported });
  await expectError(sfn, new CreateStateMachineCommand({ ...params, name: "js-bad", definition: '{"StartAt":"X","States":{}}' }),
    "InvalidDefinition", { cls: InvalidDefinition, messagePrefix: "Invalid State Machine Definition: '" });
  await expectError(sfn, new CreateStateMachineCommand({ ...params, name: "bad*name" }),
    "InvalidName", { cls: InvalidName, message: "Invalid Name: 'bad*name'" });
});

test("DescribeStateMachine", async () => {
  const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: smArn("greeter") }));
  assert.equal(d.name, "greeter");
  assert.equal(d.type, "EXPRESS");
  assert.equal(d.status, "ACTIVE");
  assert.deepEqual(JSON.parse(d.definition), PASS_DEFINITION);
  assert.ok(d.creationDate instanceof Date);
  ok("greeter: name, EXPRESS, ACTIVE, definition, creationDate");
  await expectError(sfn, new DescribeStateMachineCommand({ stateMachineArn: smArn("nope") }),
    "StateMachineDoesNotExist", { cls: StateMachineDoesNotExist, message: `State Machine Does Not Exist: '${smArn("nope")}'` });
  await expectError(sfn, new DescribeStateMachineCommand({ stateMachineArn: "not-an-arn" }),
    "InvalidArn", { cls: InvalidArn, message: "Invalid Arn: 'not-an-arn'" });
});

test("UpdateStateMachine and DeleteStateMachine", async () => {
  const { stateMachineArn: arn } = await sfn.send(new CreateStateMachineCommand({
    name: "js-upd", definition: JSON.stringify(PASS_DEFINITION), roleArn: ROLE, type: "EXPRESS" }));
  const u = await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(NEW_DEFINITION) }));
  assert.ok(u.updateDate instanceof Date, "updateDate is a Date");
  const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  assert.deepEqual(JSON.parse(d.definition), NEW_DEFINITION);
  const run = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: "{}" }));
  assert.deepEqual(JSON.parse(run.output), { v: 3 });
  ok("update: describe and executions see the new definition");
  await expectError(sfn, new UpdateStateMachineCommand({ stateMachineArn: arn }), "MissingRequiredParameter");
  await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
  ok("deleted js-upd");
  const list = await sfn.send(new ListStateMachinesCommand({}));
  assert.ok(!list.stateMachines.some((m) => m.name === "js-upd"), "deleted machine is not listed");
  await expectError(sfn, new StartSyncExecutionCommand({ stateMachineArn: arn, input: "{}" }),
    "StateMachineDoesNotExist", { cls: StateMachineDoesNotExist });
});

test("ListStateMachines: maxResults/nextToken pagination", async () => {
  const all = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines.map((m) => m.name).sort();
  for (const name of ["greeter", "failer", ...WORKLOADS]) assert.ok(all.includes(name), `${name} listed`);
  let token;
  const names = [];
  let pages = 0;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ maxResults: 2, nextToken: token }));
    pages += 1;
    assert.ok(page.stateMachines.length <= 2, "at most 2 per page");
    for (const m of page.stateMachines) {
      assert.equal(m.type, "EXPRESS");
      assert.equal(m.stateMachineArn, smArn(m.name));
      assert.ok(m.creationDate instanceof Date);
    }
    names.push(...page.stateMachines.map((m) => m.name));
    token = page.nextToken;
    assert.ok(pages < 100, "pagination terminates");
  } while (token);
  assert.deepEqual(names.sort(), all);
  assert.ok(pages >= 4, `${all.length} machines over ${pages} pages`);
  ok(`maxResults 2: ${pages} pages, every machine once`);
  const viaPaginator = [];
  for await (const page of paginateListStateMachines({ client: sfn, pageSize: 3 }, {})) {
    viaPaginator.push(...page.stateMachines.map((m) => m.name));
  }
  assert.deepEqual(viaPaginator.sort(), all);
  ok("paginateListStateMachines (pageSize 3) agrees");
  await expectError(sfn, new ListStateMachinesCommand({ nextToken: "garbage-token" }), "InvalidToken");
});

test("StartSyncExecution: every bench workload gives its expected output", async () => {
  for (const name of WORKLOADS) {
    const w = workload(name);
    const r = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: smArn(name), name: `js-${name}`, input: w.input }));
    assert.equal(r.status, "SUCCEEDED", `${name}: ${r.error} ${r.cause}`);
    assert.deepEqual(JSON.parse(r.output), w.expected, `${name}: output`);
    assert.ok(r.executionArn.startsWith(`${EXPRESS_PREFIX}${name}:js-${name}:`), r.executionArn);
    assert.ok(r.startDate instanceof Date && r.stopDate instanceof Date && r.stopDate >= r.startDate);
    assert.equal(r.input, w.input, `${name}: input echoed`);
    ok(`${name}: SUCCEEDED, output == expected_output.json, express ARN, dates`);
  }
});

test("StartSyncExecution: failed execution and request errors", async () => {
  const r = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: smArn("failer"), input: "{}" }));
  assert.equal(r.$metadata.httpStatusCode, 200);
  assert.equal(r.status, "FAILED");
  assert.equal(r.error, "Order.Rejected");
  assert.equal(r.cause, "quantity must be positive");
  assert.equal(r.output, undefined);
  ok("failer: HTTP 200, FAILED, error, cause, no output");
  await expectError(sfn, new StartSyncExecutionCommand({ stateMachineArn: smArn("greeter"), input: "{nope" }),
    "InvalidExecutionInput", { cls: InvalidExecutionInput, messagePrefix: "Invalid State Machine Execution Input: '" });
  await expectError(sfn, new StartSyncExecutionCommand({ stateMachineArn: smArn("nope"), input: "{}" }),
    "StateMachineDoesNotExist", { cls: StateMachineDoesNotExist, message: `State Machine Does Not Exist: '${smArn("nope")}'` });
  await expectError(sfn, new StartSyncExecutionCommand({ stateMachineArn: "arn:aws:states:us-east-1:1:bogus", input: "{}" }),
    "InvalidArn", { cls: InvalidArn, message: "Invalid Arn: 'arn:aws:states:us-east-1:1:bogus'" });
});

test("StartExecution returns an express execution ARN; express answers of the history APIs", async () => {
  const r = await sfn.send(new StartExecutionCommand({ stateMachineArn: smArn("greeter"), name: "js-async", input: '{"who":"js"}' }));
  assert.ok(r.executionArn.startsWith(`${EXPRESS_PREFIX}greeter:js-async:`), r.executionArn);
  assert.ok(r.startDate instanceof Date);
  ok(`StartExecution: ${r.executionArn}`);
  const message = "Invalid Arn: 'Resource type not valid in this context: express'";
  for (const Cmd of [DescribeExecutionCommand, StopExecutionCommand, GetExecutionHistoryCommand]) {
    await expectError(sfn, new Cmd({ executionArn: r.executionArn }), "InvalidArn", { cls: InvalidArn, message });
  }
  await expectError(sfn, new ListExecutionsCommand({ stateMachineArn: smArn("greeter") }),
    "StateMachineTypeNotSupported", { cls: StateMachineTypeNotSupported, message: "This operation is not supported by this type of state machine" });
});

test("ValidateStateMachineDefinition", async () => {
  const good = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: JSON.stringify(PASS_DEFINITION) }));
  assert.equal(good.result, "OK");
  assert.deepEqual(good.diagnostics, []);
  ok("valid definition: OK, no diagnostics");
  const empty = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: "{}" }));
  assert.equal(empty.result, "FAIL");
  assert.deepEqual(empty.diagnostics[0], { severity: "ERROR", code: "SCHEMA_VALIDATION_FAILED",
    message: "These fields are required: [States, StartAt]", location: "/" });
  ok("{}: FAIL, SCHEMA_VALIDATION_FAILED 'These fields are required: [States, StartAt]' at /");
  const bad = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: "{oops" }));
  assert.equal(bad.result, "FAIL");
  assert.equal(bad.diagnostics[0].code, "INVALID_JSON_DESCRIPTION");
  ok("{oops: FAIL, INVALID_JSON_DESCRIPTION");
});

test("TestState", async (t) => {
  let r;
  try {
    r = await sfn.send(new TestStateCommand({
      definition: JSON.stringify({ Type: "Pass", Parameters: { "sum.$": "States.MathAdd($.a, 2)" }, Next: "After" }),
      roleArn: ROLE, input: '{"a":3}' }));
  } catch (e) {
    if (e.name === "UnknownOperationException") {
      t.skip(`the server answers UnknownOperationException for TestState: ${e.message}`);
      return;
    }
    throw e;
  }
  assert.equal(r.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(r.output), { sum: 5 });
  assert.equal(r.nextState, "After");
  ok("Pass with Parameters: SUCCEEDED, output {sum: 5}, nextState After");
  const f = await sfn.send(new TestStateCommand({
    definition: JSON.stringify({ Type: "Fail", Error: "E.Bad", Cause: "because" }), roleArn: ROLE, input: "{}" }));
  assert.equal(f.status, "FAILED");
  assert.equal(f.error, "E.Bad");
  assert.equal(f.cause, "because");
  ok("Fail: FAILED, error, cause");
  await expectError(sfn, new TestStateCommand({ definition: JSON.stringify({ Type: "Pass", End: true }), roleArn: ROLE, input: "{x" }),
    "InvalidExecutionInput", { cls: InvalidExecutionInput });
  await expectError(sfn, new TestStateCommand({ definition: JSON.stringify({ Type: "Bogus" }), roleArn: ROLE, input: "{}" }),
    "InvalidDefinition", { cls: InvalidDefinition });
});

test("TagResource, UntagResource, ListTagsForResource", async () => {
  const { stateMachineArn: arn } = await sfn.send(new CreateStateMachineCommand({
    name: "js-tags", definition: JSON.stringify(PASS_DEFINITION), roleArn: ROLE, type: "EXPRESS",
    tags: [{ key: "team", value: "core" }] }));
  const tags = async () => (await sfn.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags
    .map((x) => `${x.key}=${x.value}`).sort();
  assert.deepEqual(await tags(), ["team=core"]);
  await sfn.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "env", value: "test" }, { key: "team", value: "web" }] }));
  assert.deepEqual(await tags(), ["env=test", "team=web"]);
  await sfn.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["team"] }));
  assert.deepEqual(await tags(), ["env=test"]);
  ok("create tags, tag (add + overwrite), untag, list");
  await expectError(sfn, new ListTagsForResourceCommand({ resourceArn: smArn("nope") }), "ResourceNotFound");
});

// Holds the only asynchronous slot of the --max-async 1 server for `seconds`.
async function occupy(seconds) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await fetch(`${THROTTLE_URL}/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution" },
      body: JSON.stringify({ stateMachineArn: smArn("slow"), input: JSON.stringify({ wait: seconds }) }),
    });
    await res.text();
    if (res.status === 200) return;
    assert.ok(Date.now() < deadline, `could not occupy the async slot (${res.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Records each attempt's outcome (per retry) from below the retry middleware.
function recordAttempts(client) {
  const attempts = [];
  client.middlewareStack.add((next) => async (args) => {
    try {
      const out = await next(args);
      attempts.push("OK");
      return out;
    } catch (e) {
      attempts.push(e.name);
      throw e;
    }
  }, { step: "deserialize", priority: "high", name: "stepdRecordAttempts" });
  return attempts;
}

test("ThrottlingException is retried by the SDK", { skip: !THROTTLE_URL && "STEPD_THROTTLE_URL not set" }, async () => {
  // (a) The slot frees after 1 s: the call succeeds after at least one throttled attempt.
  let client = makeClient(THROTTLE_URL, { maxAttempts: 8 });
  let attempts = recordAttempts(client);
  await occupy(1);
  const r = await client.send(new StartExecutionCommand({ stateMachineArn: smArn("slow"), input: '{"wait":0}' }));
  console.log(`  (a) attempts: ${JSON.stringify(attempts)}, $metadata.attempts=${r.$metadata.attempts}`);
  assert.equal(attempts[0], "ThrottlingException");
  assert.equal(attempts.at(-1), "OK");
  assert.ok(r.$metadata.attempts >= 2, "$metadata.attempts >= 2");
  ok("(a) first attempt throttled; the SDK retried and succeeded");

  // (b) The slot is held for 6 s, longer than the default 3 attempts (throttling backoff is
  // at most 1 + 2 s): ThrottlingException.
  client = makeClient(THROTTLE_URL);
  attempts = recordAttempts(client);
  await occupy(6);
  const err = await expectError(client, new StartExecutionCommand({ stateMachineArn: smArn("slow"), input: '{"wait":0}' }),
    "ThrottlingException", { message: "Rate exceeded" });
  console.log(`  (b) attempts: ${JSON.stringify(attempts)}, $metadata.attempts=${err.$metadata.attempts}, totalRetryDelay=${err.$metadata.totalRetryDelay}`);
  assert.deepEqual(attempts, ["ThrottlingException", "ThrottlingException", "ThrottlingException"]);
  assert.equal(err.$metadata.attempts, 3);
  assert.ok(err.$metadata.totalRetryDelay > 0, "retries waited");
  ok("(b) three throttled attempts (default maxAttempts 3), then ThrottlingException");
});
