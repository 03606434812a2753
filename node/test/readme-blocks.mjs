// The JavaScript blocks of every README, run: scripts/lib/readme_blocks.py extracts each block marked
// <!-- example: NAME.mjs|.js --> into a scratch directory and each runs there with `node`, against a
// simulator this file starts, its checks below. Run by scripts/lib/test-docs (`node --test` on
// this file; not part of `npm test`, since it needs the CLI build and @microsoft/signalr from
// examples/serverless-chat-express). Every extracted block must have a runner here.
//
// Stand-ins, each named where it is made: @azure/identity (not installed; its credential is built,
// the token comes from the simulator, as in the Python README test), Jest's and Vitest's test
// functions (neither is installed; node:test runs the same test bodies), and a browser page for
// the browser-side block (window.document resolves "/api" against an app server started here,
// and @microsoft/signalr takes its browser code path, with Node's fetch and WebSocket).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ServiceClient, Simulator } from '../index.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const expressModules = path.join(repo, 'examples/serverless-chat-express/node_modules');
const cliDir = process.env.SIGNALR_REST_BIN_DIR ?? path.join(repo, 'target/debug');
const dir = mkdtempSync(path.join(tmpdir(), 'readme-js-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const extracted = spawnSync('python3', [path.join(repo, 'scripts/lib/readme_blocks.py'), '--extract', 'node', dir], {
  encoding: 'utf8',
});
assert.equal(extracted.status, 0, extracted.stderr);
/** Block file name to where it is in the README (file:line). */
const blocks = new Map(
  extracted.stdout.trim().split('\n').filter(Boolean).map((line) => line.split('\t')),
);

function link(name, target) {
  const at = path.join(dir, 'node_modules', name);
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at);
}
function stub(name, files) {
  const at = path.join(dir, 'node_modules', name);
  mkdirSync(at, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(at, file), text);
}
link('signalr-rest', path.join(repo, 'node'));
link('@microsoft/signalr', path.join(expressModules, '@microsoft/signalr'));
link('express', path.join(expressModules, 'express'));
stub('@azure/identity', {
  'package.json': JSON.stringify({ name: '@azure/identity', type: 'module', exports: './index.js' }),
  'index.js': `// Stand-in: no Azure here. Building the credential works; asking it for a token fails.
export class DefaultAzureCredential {
  async getToken(scope) { throw new Error('the @azure/identity stand-in has no token for ' + scope); }
}
`,
});
const expectShim = `function expect(actual) {
  return {
    toEqual: (expected) => assert.deepStrictEqual(actual, expected),
    toBe: (expected) => assert.strictEqual(actual, expected),
  };
}`;
stub('vitest', {
  'package.json': JSON.stringify({ name: 'vitest', type: 'module', exports: './index.js' }),
  'index.js': `// Stand-in: Vitest's test functions on node:test.
import assert from 'node:assert/strict';
export { before as beforeAll, after as afterAll, test } from 'node:test';
export ${expectShim}
`,
});
writeFileSync(
  path.join(dir, 'jest-globals.cjs'),
  `// Stand-in: Jest's globals on node:test.
const assert = require('node:assert/strict');
const { before, after, test } = require('node:test');
${expectShim}
Object.assign(globalThis, { beforeAll: before, afterAll: after, test, expect });
`,
);
writeFileSync(
  path.join(dir, 'browser-page.mjs'),
  `// Stand-in for a browser page served from BROWSER_PAGE_URL: @microsoft/signalr checks for
// window.document (and that this is not Node) and resolves relative URLs with an <a> element.
const page = process.env.BROWSER_PAGE_URL;
Object.defineProperty(process, 'release', { value: { ...process.release, name: 'browser-page' } });
globalThis.window = globalThis;
globalThis.document = {
  createElement() {
    let href = '';
    return { get href() { return href; }, set href(url) { href = new URL(url, page).href; } };
  },
  addEventListener() {},
  removeEventListener() {},
};
`,
);

const env = (extra) => ({ ...process.env, PATH: `${cliDir}${path.delimiter}${process.env.PATH}`, ...extra });

/** Runs `node ...args` in the scratch directory; resolves { code, stdout, stderr } or fails after timeoutMs. */
function node(args, extraEnv, { timeoutMs = 60_000, onStdout, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: dir, env: env(extraEnv) });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} still running after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.on('error', reject);
  });
}

async function started(t) {
  const sim = await Simulator.start({ port: 0 });
  t.after(() => sim.close());
  return sim;
}

async function until(what, check, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function passes(result) {
  assert.equal(result.code, 0, `exit ${result.code} ${result.signal ?? ''}\n${result.stdout}\n${result.stderr}`);
}

const runners = {
  async 'usage.mjs'(t) {
    const sim = await started(t);
    const alice = sim.connect('chat', { userId: 'alice' });
    passes(await node(['usage.mjs'], {
      AZURE_SIGNALR_CONNECTION_STRING: sim.connectionString,
      CONNECTION_ID: alice.connectionId,
    }));
    assert.deepEqual(alice.received.map((m) => m.target), ['newMessage', 'ping', 'newMessage']);
    assert.equal(alice.closeReason, 'signed out');
  },

  async 'keyless.mjs'(t) {
    const sim = await started(t);
    const browser = sim.connect('chat');
    const keyless = await import(pathToFileURL(path.join(dir, 'keyless.mjs')).href);
    assert.equal(typeof keyless.entraIdTokenProvider(), 'function'); // built; asking it would reach Azure
    await keyless.notify(sim.url, async (audience) => sim.accessToken(audience));
    assert.deepEqual(browser.received, [{ target: 'newMessage', arguments: ['hello from an app without the key'] }]);
  },

  async 'server.mjs'(t) {
    const sim = await started(t);
    const bob = sim.connect('chat', { userId: 'bob' });
    let port;
    const requests = (async () => {
      await until('server.mjs to listen', () => port !== undefined);
      const base = `http://127.0.0.1:${port}`;
      const negotiate = await fetch(`${base}/chat/negotiate`, { method: 'POST', headers: { 'x-user-id': 'alice' } });
      const answer = await negotiate.json();
      assert.equal(answer.url, `${sim.url}/client/?hub=chat`);
      assert.equal(typeof answer.accessToken, 'string');
      const posted = await fetch(`${base}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}',
      });
      assert.equal(posted.status, 202);
      assert.deepEqual(bob.received, [{ target: 'newMessage', arguments: [{ text: 'hi' }] }]);
    })();
    let server;
    const ran = node(['server.mjs'], {
      AZURE_SIGNALR_CONNECTION_STRING: sim.connectionString, PORT: '0', DEBUG: 'signalr-rest',
    }, {
      onStdout(out, child) {
        server = child;
        port ??= out.match(/listening on http:\/\/localhost:(\d+)/)?.[1];
      },
    });
    try {
      await requests;
    } finally {
      server?.kill();
    }
    const result = await ran;
    // The Logging section's example line (node/README.md, `DEBUG=signalr-rest node server.mjs`).
    assert.match(result.stderr, /signalr-rest debug request attempt method=POST path=\/api\/v1\/hubs\/chat outcome=Status \{ code: 202/);
  },

  async 'errors.mjs'(t) {
    const sim = await started(t);
    const result = await node(['errors.mjs'], { AZURE_SIGNALR_CONNECTION_STRING: sim.connectionString });
    passes(result);
    assert.equal(result.stdout, 'gone: Error.Connection.NotExisted\n');
  },

  async 'cancellation.mjs'(t) {
    const sim = await started(t);
    passes(await node(['cancellation.mjs'], { AZURE_SIGNALR_CONNECTION_STRING: sim.connectionString }));
  },

  // Starts its own simulator with fault rules; a real @microsoft/signalr client reconnects in it.
  async 'faults.mjs'() {
    passes(await node(['faults.mjs'], {}));
  },

  async 'chat.test.mjs'() {
    passes(await node(['chat.test.mjs'], {}));
  },

  async 'chat.test.js'() {
    passes(await node(['--require', './jest-globals.cjs', 'chat.test.js'], {}));
  },

  async 'chat.spec.mjs'() {
    passes(await node(['chat.spec.mjs'], {}));
  },

  // The root README's browser-side block: a page on an app server whose /api/negotiate answers.
  async 'browser.mjs'(t) {
    const sim = await started(t);
    const service = ServiceClient.fromConnectionString(sim.connectionString);
    const negotiatePaths = [];
    const app = createServer((req, res) => {
      negotiatePaths.push(req.url);
      if (req.method === 'POST' && req.url.startsWith('/api/negotiate?')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(service.negotiate('chat', { userId: 'alice' })));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise((r) => app.listen(0, '127.0.0.1', r));
    t.after(() => app.close());
    let page;
    let out = '';
    let exited;
    const ran = node(['--experimental-websocket', '--no-warnings', '--import', './browser-page.mjs', 'browser.mjs'], {
      BROWSER_PAGE_URL: `http://127.0.0.1:${app.address().port}/chat.html`,
    }, { onSpawn: (child) => (page = child), onStdout: (stdout) => (out = stdout) });
    ran.then((r) => (exited = r), () => {});
    try {
      await until('the page to connect', () => sim.connections('chat').length === 1 || exited);
      assert.equal(exited, undefined, `the page exited: ${JSON.stringify(exited)}`);
      await service.hub('chat').sendToAll('newMessage', ['hello, page']);
      await until('the page to print the message', () => out.includes('hello, page') || exited);
    } finally {
      page.kill();
    }
    const result = await ran;
    assert.match(result.stdout, /^hello, page$/m, result.stderr);
    assert.deepEqual(negotiatePaths, ['/api/negotiate?negotiateVersion=1']);
  },

  async 'negotiate-cli.mjs'(t) {
    const sim = await started(t);
    passes(await node(['negotiate-cli.mjs'], { AZURE_SIGNALR_CONNECTION_STRING: sim.connectionString }));
  },
};

for (const [name, where] of blocks) {
  test(`${where} (${name}) runs`, async (t) => {
    const run = runners[name];
    assert.ok(run, `no runner for the README block ${name} at ${where}: add one to node/test/readme-blocks.mjs`);
    await run(t);
  });
}

test('every runner has its README block', () => {
  assert.deepEqual(Object.keys(runners).filter((name) => !blocks.has(name)), []);
});
