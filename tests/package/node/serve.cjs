'use strict';
// `signalr-rest serve --port 0` from the installed package: the connection string is the first
// stdout line and the simulator answers on its endpoint; then
// - the package's bin run directly stops on SIGTERM with exit 0;
// - run through `npx`, SIGTERM to npx stops the simulator too (npm hands the signal to the
//   `sh -c` it runs the bin in, which dies without passing it on; the bin notices its parent is
//   gone). npx itself then reports the shell's signal, npm's doing, so its status is not checked.
// Every wait has a timeout; whatever is left is killed.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const readline = require('node:readline');

/** @template T @param {Promise<T>} promise @param {string} what */
function within(promise, what, ms = 30_000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts `command args` in a process group of its own; resolves once the simulator answers. */
async function serve(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const exited = once(child, 'exit');
  const lines = readline.createInterface({ input: child.stdout });
  const [first] = await within(once(lines, 'line'), `the connection string of ${command}`);
  const match = /^Endpoint=(http:\/\/127\.0\.0\.1:\d+);AccessKey=SignalRRestDevKey0+;Version=1\.0;$/.exec(first);
  assert.ok(match, `first line: ${first}`);
  const health = await within(fetch(`${match[1]}/api/v1/health`), 'GET /api/v1/health');
  assert.equal(health.status, 200);
  return { child, exited, endpoint: match[1] };
}

/** Whether any process of group `pgid` is left. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

(async () => {
  const children = [];
  try {
    const bin = path.join('node_modules', '.bin', 'signalr-rest');
    const direct = await serve(bin, ['serve', '--port', '0']);
    children.push(direct.child);
    direct.child.kill('SIGTERM');
    const [code, signal] = await within(direct.exited, `${bin} exiting after SIGTERM`);
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    console.log(`${bin} serve: ok (exit 0 on SIGTERM)`);

    const npx = await serve('npx', ['--no-install', 'signalr-rest', 'serve', '--port', '0']);
    children.push(npx.child);
    npx.child.kill('SIGTERM');
    await within(npx.exited, 'npx exiting after SIGTERM');
    const gone = (async () => {
      while (groupAlive(npx.child.pid)) await new Promise((resolve) => setTimeout(resolve, 100));
    })();
    await within(gone, 'the simulator under npx stopping', 10_000);
    await assert.rejects(fetch(`${npx.endpoint}/api/v1/health`), 'nothing answers any more');
    console.log('npx signalr-rest serve: ok (stopped on SIGTERM)');
  } finally {
    for (const child of children) if (groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  }
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
