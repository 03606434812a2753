// The simulator's dashboard in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against `signalr-rest serve` over real sockets, with a real
// @microsoft/signalr client. Screenshots go to $DASHBOARD_SCREENSHOTS (default
// target/test-output/dashboard).

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import * as signalR from '@microsoft/signalr';
import jwt from 'jsonwebtoken';
import { chromium } from 'playwright-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = process.env.SIGNALR_REST_CLI ?? path.join(repo, 'target/debug/signalr-rest');
const screenshots = process.env.DASHBOARD_SCREENSHOTS ?? path.join(repo, 'target/test-output/dashboard');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WAIT_MS = 10_000;

/** `signalr-rest serve --port 0 ...args`; resolves once it printed its connection string. */
async function serve(...args) {
  const child = spawn(cli, ['serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = [];
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  const [line] = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line'),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`serve printed nothing: ${stderr.join('')}`)), WAIT_MS)),
  ]);
  const endpoint = /Endpoint=([^;]+);/.exec(line)[1];
  const key = /AccessKey=([^;]+);/.exec(line)[1];
  return {
    endpoint,
    key,
    stderr: () => Buffer.concat(stderr).toString(),
    async stop() {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, `serve exited with ${code}`);
    },
  };
}

function token(server, audience, claims = {}) {
  return jwt.sign({ aud: audience, ...claims }, server.key, { algorithm: 'HS256', expiresIn: 600 });
}

async function restCall(server, method, apiPath, body) {
  const url = `${server.endpoint}${apiPath}`;
  const answer = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token(server, url)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer.status;
}

/** A @microsoft/signalr client connected to `hub` as `user`, recording what it receives. */
async function client(server, hub, user) {
  const url = `${server.endpoint}/client/?hub=${hub}`;
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url, { accessTokenFactory: () => token(server, url, { nameid: user }) })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  const received = [];
  let closed = false;
  for (const target of ['newMessage', 'fromPage']) {
    connection.on(target, (...args) => { received.push({ target, args }); });
  }
  connection.onclose(() => { closed = true; });
  await connection.start();
  return { connection, received, isClosed: () => closed };
}

async function eventually(check, what) {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

let browser;
before(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    // Chromium's own background traffic is refused on a closed network; keep it quiet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

test('the dashboard shows a real client, its group and messages live, filters, sends and closes', async () => {
  const server = await serve();
  const page = await browser.newPage();
  const alice = await client(server, 'chat', 'alice');
  try {
    await page.goto(`${server.endpoint}/`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/', 'the root redirects to the dashboard');
    await page.getByRole('status').first().getByText('live').waitFor({ timeout: WAIT_MS });

    const row = page.locator('tr[data-connection]');
    await row.first().waitFor({ timeout: WAIT_MS });
    assert.equal(await row.count(), 1);
    const connectionId = await row.first().getAttribute('data-connection');
    assert.match(await row.first().innerText(), /alice\s+json/);

    assert.equal(await restCall(server, 'PUT', `/api/v1/hubs/chat/groups/room/connections/${connectionId}`), 200);
    await page.locator('tr[data-group="room"]').waitFor({ timeout: WAIT_MS });
    assert.equal(await restCall(server, 'POST', '/api/v1/hubs/chat/groups/room', { target: 'newMessage', arguments: ['hi room'] }), 202);
    await page.locator('#log tr[data-kind="delivery"]', { hasText: 'newMessage to group room: 1 connection(s)' })
      .waitFor({ timeout: WAIT_MS });
    await page.locator('#log tr[data-kind="request"]', { hasText: 'POST /api/v1/hubs/chat/groups/room → 202' })
      .waitFor({ timeout: WAIT_MS });
    await eventually(() => alice.received.some((m) => m.args[0] === 'hi room'), 'the group message at the client');
    await page.screenshot({ path: path.join(screenshots, 'dashboard-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(screenshots, 'dashboard-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // Filters: another user hides the row and the room's log lines; clearing shows them again.
    await page.getByLabel('User', { exact: true }).fill('bob');
    await eventually(async () => (await row.count()) === 0, 'the user filter to hide alice');
    await page.getByLabel('User', { exact: true }).fill('');
    await page.getByLabel('Group', { exact: true }).fill('room');
    await eventually(async () => (await row.count()) === 1, 'the group filter to keep alice');
    await eventually(async () => (await page.locator('#log tr[data-kind="connected"]').count()) === 0,
      'the group filter to hide the connect line');
    await page.getByLabel('Group', { exact: true }).fill('');
    await page.getByLabel('Connection', { exact: true }).fill(connectionId.slice(0, 8));
    await eventually(async () => (await row.count()) === 1, 'the connection filter to keep alice');
    await page.getByLabel('Connection', { exact: true }).fill('');
    await page.locator('#filters').getByLabel('Hub').fill('other');
    await eventually(async () => (await page.locator('section[data-hub="chat"]').count()) === 0,
      'the hub filter to hide hub chat');
    await eventually(async () => (await page.locator('#log tr').count()) === 0, 'the hub filter to empty the log');
    await page.locator('#filters').getByLabel('Hub').fill('');
    // The client's own requests (negotiate, the WebSocket) are logged under its hub.
    await page.locator('#log tr[data-kind="request"]', { hasText: 'POST /client/negotiate → 200' })
      .filter({ hasText: 'chat' }).waitFor({ timeout: WAIT_MS });

    // The send form goes through the REST API and reaches the client.
    const form = page.locator('#send');
    await form.getByLabel('Hub').fill('chat');
    await form.getByLabel('To').selectOption('user');
    await form.getByLabel(/^Name/).fill('alice');
    await form.getByLabel('Target').fill('fromPage');
    await form.getByLabel(/^Arguments/).fill('["from the page", 42]');
    // From the keyboard: Enter in a field submits the form.
    await form.getByLabel(/^Arguments/).press('Enter');
    await page.locator('#send-result', { hasText: '→ 202' }).waitFor({ timeout: WAIT_MS });
    await eventually(() => alice.received.some((m) => m.target === 'fromPage'), 'the page\'s message at the client');
    assert.deepEqual(alice.received.find((m) => m.target === 'fromPage').args, ['from the page', 42]);

    // Bad arguments are refused in the page, naming the problem.
    await form.getByLabel(/^Arguments/).fill('not json');
    await form.getByRole('button', { name: 'Send' }).click();
    await page.locator('#send-result', { hasText: 'Arguments must be a JSON array' }).waitFor({ timeout: WAIT_MS });

    // The page never shows the access key.
    assert.ok(!(await page.content()).includes(server.key), 'the page shows the access key');

    // Closing from the page ends the client's connection.
    await page.getByRole('button', { name: `Close connection ${connectionId}` }).click();
    await eventually(() => alice.isClosed(), 'the client to be closed');
    await eventually(async () => (await row.count()) === 0, 'the closed connection to leave the page');
    await page.locator('#log tr[data-kind="disconnected"]').first().waitFor({ timeout: WAIT_MS });
  } finally {
    await alice.connection.stop();
    await page.close();
    await server.stop();
  }
});

test('the dashboard can be turned off, and its token endpoint signs only REST paths', async () => {
  const off = await serve('--dashboard', 'false');
  try {
    assert.equal((await fetch(`${off.endpoint}/dashboard/`)).status, 404);
    // serve prints its dashboard line, if any, before "simulator ready".
    await eventually(() => off.stderr().includes('simulator ready'), 'the ready line');
    assert.doesNotMatch(off.stderr(), /dashboard:/);
  } finally {
    await off.stop();
  }
  const on = await serve();
  try {
    await eventually(() => on.stderr().includes('simulator ready'), 'the ready line');
    assert.match(on.stderr(), new RegExp(`dashboard: ${on.endpoint}/dashboard/`));
    const ask = (body) => fetch(`${on.endpoint}/dashboard/api/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal((await ask({ path: '/client/?hub=chat' })).status, 400);
    const answer = await ask({ path: '/api/v1/hubs/chat' });
    assert.equal(answer.status, 200);
    const { token: signed } = await answer.json();
    assert.equal(jwt.verify(signed, on.key).aud, `${on.endpoint}/api/v1/hubs/chat`);
  } finally {
    await on.stop();
  }
});

test('injected faults show in the log, and a real client with automatic reconnect comes back after a drop', async () => {
  const server = await serve('--fault', '503;route=send;hub=chat;times=1');
  const page = await browser.newPage();
  const url = `${server.endpoint}/client/?hub=chat`;
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url, { accessTokenFactory: () => token(server, url, { nameid: 'carol' }) })
    .withAutomaticReconnect([0, 100, 200, 500, 1000])
    .configureLogging(signalR.LogLevel.None)
    .build();
  const received = [];
  let reconnected = 0;
  connection.on('newMessage', (...args) => { received.push(args); });
  connection.onreconnected(() => { reconnected += 1; });
  try {
    await connection.start();
    await page.goto(`${server.endpoint}/dashboard/`);
    await page.getByRole('status').first().getByText('live').waitFor({ timeout: WAIT_MS });
    assert.equal(await restCall(server, 'POST', '/api/v1/hubs/chat', { target: 'newMessage', arguments: [1] }), 503);
    await page.locator('#log tr[data-kind="fault"]', { hasText: 'fault 503;hub=chat;route=send;times=1 injected on POST /api/v1/hubs/chat' })
      .waitFor({ timeout: WAIT_MS });
    await page.locator('#log tr[data-kind="request"]', { hasText: '→ 503 in' })
      .filter({ hasText: 'injected fault 503' }).waitFor({ timeout: WAIT_MS });

    // The control endpoint, as `signalr-rest faults drop` calls it: the socket ends without a Close.
    const dropUrl = `${server.endpoint}/simulator/hubs/chat/dropClients`;
    const dropped = await fetch(dropUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token(server, dropUrl)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ close: false }),
    });
    assert.equal(dropped.status, 200);
    await page.locator('#log tr[data-kind="fault"]', { hasText: 'fault drop injected on connection' })
      .waitFor({ timeout: WAIT_MS });
    await eventually(() => reconnected === 1 && connection.state === signalR.HubConnectionState.Connected,
      'the client to reconnect after the drop');
    assert.equal(await restCall(server, 'POST', '/api/v1/hubs/chat', { target: 'newMessage', arguments: [2] }), 202);
    await eventually(() => received.some((args) => args[0] === 2), 'the message after reconnecting');
    assert.deepEqual(received, [[2]], 'the refused send never arrived');
  } finally {
    await connection.stop();
    await page.close();
    await server.stop();
  }
});
