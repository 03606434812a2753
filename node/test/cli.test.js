'use strict';
// `npx signalr-rest serve` (bin/signalr-rest.js, lib/cli.js) in a real subprocess: the connection
// string is the first stdout line, the simulator answers there, SIGINT and SIGTERM stop it with
// exit 0; bad options exit 2 naming them, a busy port exits 1. Every wait has a timeout.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const readline = require('node:readline');

const { ServiceClient } = require('..');
const addon = require('../lib/addon');
const { startServer } = require('./helpers');

const BIN = path.join(__dirname, '..', 'bin', 'signalr-rest.js');
const WAIT_MS = 30_000;

/**
 * Rejects when `promise` has not settled within WAIT_MS.
 * @template T @param {Promise<T>} promise @param {string} what @returns {Promise<T>}
 */
function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms: ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `signalr-rest ...args`; killed when the test ends. */
function cli(t, ...args) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = readline.createInterface({ input: child.stdout });
  return {
    child,
    firstLine: () => within(once(lines, 'line'), 'the first stdout line').then(([line]) => line),
    /** Resolves to { code, signal, stderr } when the process has exited. */
    exit: () =>
      within(exited, `exit of signalr-rest ${args.join(' ')}`).then(([code, signal]) => ({
        code,
        signal,
        stderr,
      })),
  };
}

for (const stop of ['SIGINT', 'SIGTERM']) {
  test(`serve prints the connection string first, serves, and stops on ${stop} with exit 0`, async (t) => {
    const key = 'k'.repeat(44);
    const serve = cli(t, 'serve', '--port', '0', '--access-key', key);
    const connectionString = await serve.firstLine();
    const match = /^Endpoint=(http:\/\/127\.0\.0\.1:\d+);AccessKey=(\w+);Version=1\.0;$/.exec(connectionString);
    assert.ok(match, connectionString);
    assert.equal(match[2], key);
    const health = await within(fetch(`${match[1]}/api/v1/health`), 'GET /api/v1/health');
    assert.equal(health.status, 200);
    const hub = ServiceClient.fromConnectionString(connectionString).hub('chat');
    await within(hub.sendToAll('t', [1]), 'sendToAll');
    serve.child.kill(stop);
    const { code, signal, stderr } = await serve.exit();
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
  });
}

test('serve defaults to the dev key the addon exposes, and a signal at once still exits 0', async (t) => {
  assert.equal(addon.DEV_ACCESS_KEY, 'SignalRRestDevKey0000000000000000000000000000');
  const serve = cli(t, 'serve', '--port', '0');
  assert.match(await serve.firstLine(), new RegExp(`;AccessKey=${addon.DEV_ACCESS_KEY};`));
  serve.child.kill('SIGTERM');
  const { code, signal, stderr } = await serve.exit();
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
});

test('serve stops when the process that started it is gone (npx runs it through sh -c)', async (t) => {
  // A parent that starts serve and then dies by SIGKILL, as npx's shell dies of npm's SIGTERM.
  const starter = `require('node:child_process').spawn(process.execPath, ${JSON.stringify([BIN, 'serve', '--port', '0'])}, { stdio: 'inherit' }); setInterval(() => {}, 1e9);`;
  const parent = spawn(process.execPath, ['-e', starter], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  t.after(() => {
    try {
      process.kill(-parent.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  });
  const lines = readline.createInterface({ input: parent.stdout });
  const [line] = await within(once(lines, 'line'), 'the connection string');
  const endpoint = /^Endpoint=([^;]+);/.exec(line)[1];
  assert.equal((await within(fetch(`${endpoint}/api/v1/health`), 'GET /api/v1/health')).status, 200);
  parent.kill('SIGKILL');
  const stopped = (async () => {
    for (;;) {
      try {
        await fetch(`${endpoint}/api/v1/health`);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await within(stopped, 'the orphaned simulator stopping');
});

const BAD = [
  [['serve', '--port', '0', '--frobnicate'], /--frobnicate/],
  [['serve', '--port', 'eighty'], /--port.*eighty/],
  [['serve', '--port', '70000'], /--port.*70000/],
  [['serve', '--port', '0', '--ping-interval', 'soon'], /--ping-interval.*soon/],
  [['serve', '--host', 'not-an-ip', '--port', '0'], /not-an-ip/],
  [['serve', '--port', '0', '--upstream', 'ftp://x'], /ftp:\/\/x|upstream/],
  [['serve', '--port'], /--port/],
  [['serve', '--port', '0', '--dashboard', 'yes'], /--dashboard.*yes/],
  [['serve', '--port', '0', '--fault', '600'], /600/],
  [['serve', '--port', '0', '--fault', '503;route=sends'], /sends/],
  [['serve', '--port', '0', '--fault-seed=-1'], /--fault-seed.*-1/],
  [['serve', '--port', '0', '--fault-seed', '1.5'], /--fault-seed.*1\.5/],
  [['serve', '--port', '0', '--fault-seed', '9007199254740992'], /--fault-seed.*9007199254740992/],
  [['bogus'], /bogus/],
  [[], /serve/],
];
for (const [args, named] of BAD) {
  test(`signalr-rest ${args.join(' ') || '(nothing)'} exits 2 naming what is wrong`, async (t) => {
    const { code, stderr } = await cli(t, ...args).exit();
    assert.equal(code, 2, stderr);
    assert.match(stderr, named);
    assert.match(stderr, /usage: signalr-rest serve|^signalr-rest: error: /m);
  });
}

test('serve --fault rules (repeatable) are in force from the start; --fault-seed is taken', async (t) => {
  const serve = cli(
    t, 'serve', '--port', '0', '--fault', '503;route=health;times=1', '--fault', '418;hub=teapot',
    '--fault-seed', '42',
  );
  const connectionString = await serve.firstLine();
  const endpoint = /^Endpoint=([^;]+);/.exec(connectionString)[1];
  const health = () => within(fetch(`${endpoint}/api/v1/health`), 'GET /api/v1/health');
  assert.equal((await health()).status, 503);
  assert.equal((await health()).status, 200);
  const service = ServiceClient.fromConnectionString(connectionString, { retry: { maxRetries: 0 } });
  await within(service.hub('chat').sendToAll('t', []), 'sendToAll to chat');
  await assert.rejects(within(service.hub('teapot').sendToAll('t', []), 'sendToAll to teapot'), {
    status: 418,
  });
  serve.child.kill('SIGTERM');
  const { code, signal, stderr } = await serve.exit();
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
});

test('--help prints the usage and exits 0', async (t) => {
  const help = cli(t, '--help');
  assert.match(await help.firstLine(), /^usage: signalr-rest serve/);
  assert.equal((await help.exit()).code, 0);
});

test('a busy port exits 1 naming it', async (t) => {
  const busy = await startServer((req, res) => res.end());
  t.after(busy.close);
  const { code, stderr } = await cli(t, 'serve', '--port', String(busy.port)).exit();
  assert.equal(code, 1, stderr);
  assert.match(stderr, new RegExp(String(busy.port)));
});

for (const [args, shown] of [
  [[], true],
  [['--dashboard', 'true'], true],
  [['--dashboard', 'false'], false],
]) {
  test(`serve ${args.join(' ') || '(no --dashboard)'} ${shown ? 'prints' : 'does not print'} the dashboard line`, async (t) => {
    const serve = cli(t, 'serve', '--port', '0', ...args);
    const endpoint = /^Endpoint=([^;]+);/.exec(await serve.firstLine())[1];
    const page = await within(fetch(`${endpoint}/dashboard/`), 'GET /dashboard/');
    assert.equal(page.status, shown ? 200 : 404);
    await page.arrayBuffer();
    serve.child.kill('SIGTERM');
    const { code, stderr } = await serve.exit();
    assert.equal(code, 0, stderr);
    if (shown) assert.match(stderr, new RegExp(`^dashboard: ${endpoint}/dashboard/$`, 'm'));
    else assert.doesNotMatch(stderr, /dashboard:/);
  });
}
