'use strict';
// A client's logger and DEBUG=signalr-rest: the core's debug event for each request attempt.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');
const { ServiceClient, Simulator } = require('..');
const helpers = require('./helpers');

/** Resolves once `events` has `count` entries (events arrive through the event loop). */
function eventually(events, count) {
  return helpers.eventually(() => events.length >= count);
}

test('a logger function receives one debug event per request attempt', async (t) => {
  const sim = await Simulator.start();
  t.after(() => sim.close());
  const events = [];
  const logger = (level, message, fields) => events.push({ level, message, fields });
  const chat = ServiceClient.fromConnectionString(sim.connectionString, { logger }).hub('chat');
  await chat.sendToAll('hi', []);
  await eventually(events, 1);
  const [event] = events;
  assert.equal(event.level, 'debug');
  assert.equal(event.message, 'request attempt');
  assert.equal(event.fields.method, 'POST');
  assert.equal(event.fields.path, '/api/v1/hubs/chat');
  assert.equal(event.fields.attempt, 1);
  assert.match(event.fields.outcome, /202/);
  assert.equal(typeof event.fields.elapsed, 'string');
  assert.ok(!JSON.stringify(events).includes(sim.accessKey));
  assert.ok(!JSON.stringify(events).includes('eyJ'), 'no token in the events');
});

test("each client's events go to its own logger", async (t) => {
  const sim = await Simulator.start();
  t.after(() => sim.close());
  const first = [];
  const second = [];
  const a = ServiceClient.fromConnectionString(sim.connectionString, {
    logger: (level, message, fields) => first.push(fields.path),
  });
  const b = ServiceClient.fromEndpoint(sim.url, {
    accessKey: sim.accessKey,
    logger: (level, message, fields) => second.push(fields.path),
  });
  const quiet = ServiceClient.fromConnectionString(sim.connectionString);
  await Promise.all([a.hub('one').sendToAll('x'), b.hub('two').sendToAll('x'), quiet.hub('three').sendToAll('x')]);
  await eventually(first, 1);
  await eventually(second, 1);
  assert.deepEqual(first, ['/api/v1/hubs/one']);
  assert.deepEqual(second, ['/api/v1/hubs/two']);
});

test('a console-like logger gets the message and fields from its method for the level', async (t) => {
  const sim = await Simulator.start();
  t.after(() => sim.close());
  const lines = [];
  const logger = { debug: (message, fields) => lines.push([message, fields.method]) };
  await ServiceClient.fromConnectionString(sim.connectionString, { logger }).hub('chat').userExists('u');
  await eventually(lines, 1);
  assert.deepEqual(lines, [['request attempt', 'GET']]);
  assert.throws(
    () => ServiceClient.fromConnectionString(sim.connectionString, { logger: {} }),
    /logger must be a function/,
  );
});

test('retries show as events of their own', async (t) => {
  let calls = 0;
  const server = await helpers.startServer((req, res) => {
    calls += 1;
    res.writeHead(calls === 1 ? 503 : 200).end();
  });
  t.after(() => server.close());
  const events = [];
  const client = ServiceClient.fromConnectionString(server.connectionString, {
    retry: { maxRetries: 1, initialDelayMs: 1 },
    logger: (level, message, fields) => events.push(`${message} ${fields.attempt ?? ''}`.trim()),
  });
  await client.hub('chat').userExists('u');
  await eventually(events, 3);
  assert.deepEqual(events, ['request attempt 1', 'retrying', 'request attempt 2']);
});

test('DEBUG=signalr-rest prints the events to stderr', () => {
  const script = `
    const { ServiceClient, Simulator } = require(${JSON.stringify(path.join(__dirname, '..'))});
    (async () => {
      const sim = await Simulator.start();
      await ServiceClient.fromConnectionString(sim.connectionString).hub('chat').sendToAll('hi');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sim.close();
    })();
  `;
  const stderrOf = (DEBUG) => {
    const { NODE_TEST_CONTEXT, ...env } = { ...process.env, DEBUG };
    const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    return child.stderr;
  };
  assert.equal(stderrOf(''), '');
  assert.match(
    stderrOf('express:*,signalr-rest'),
    /^signalr-rest debug request attempt method=POST path=\/api\/v1\/hubs\/chat outcome=.+ attempt=1 elapsed=\S+$/m,
  );
  assert.match(stderrOf('*'), /signalr-rest debug request attempt/);
  assert.equal(stderrOf('*,-signalr-rest'), '');
  assert.equal(stderrOf('express'), '');
});
