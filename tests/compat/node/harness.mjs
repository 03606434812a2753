// Shared pieces of the Node compat suites: a `signalr-rest serve` child process, HS256 tokens
// signed here (no JWT dependency: node:crypto is enough), the REST calls the tests make, and
// real @microsoft/signalr connections with an inbox that tests poll with deadlines.

import { spawn, execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as signalR from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The CLI binary; `scripts/lib/test-compat` builds it. */
export const BIN = process.env.SIGNALR_REST_BIN ?? path.resolve(here, '../../../target/debug/signalr-rest');

/** How long a positive wait may take before the test fails. */
export const DEADLINE_MS = Number(process.env.COMPAT_DEADLINE_MS ?? 5000);

const logLevel = process.env.COMPAT_DEBUG ? signalR.LogLevel.Trace : signalR.LogLevel.None;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh name starting with `prefix` (hub names must start with a letter). */
export const unique = (prefix) => `${prefix}${randomBytes(5).toString('hex')}`;

/** Polls `probe` every 10 ms until it returns a truthy value, or throws `describe()` after the deadline. */
export async function waitUntil(probe, describe, deadlineMs = DEADLINE_MS) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`${describe()} (waited ${deadlineMs} ms)`);
    await sleep(10);
  }
}

/** Rejects when `promise` does not settle within `ms`. */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const b64url = (data) => Buffer.from(data).toString('base64url');

/** An HS256 JWT; the key is the UTF-8 bytes of the access key, as the service does it. */
export function signJwt(accessKey, claims) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', Buffer.from(accessKey, 'utf8')).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

function parseConnectionString(line) {
  const fields = {};
  for (const part of line.trim().split(';')) {
    if (!part) continue;
    const at = part.indexOf('=');
    fields[part.slice(0, at).trim().toLowerCase()] = part.slice(at + 1).trim();
  }
  if (!fields.endpoint || !fields.accesskey) throw new Error(`not a connection string: ${JSON.stringify(line)}`);
  return { endpoint: fields.endpoint.replace(/\/+$/, ''), accessKey: fields.accesskey };
}

/** Starts `signalr-rest serve --port 0` with a random key and reads its connection string. */
export async function startServer() {
  const key = `compat-${randomBytes(24).toString('hex')}`;
  const child = spawn(BIN, ['serve', '--port', '0', '--access-key', key], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${BIN} serve printed nothing in 30 s; stderr:\n${stderr}`)), 30000);
    lines.once('line', (line) => { clearTimeout(timer); resolve(line); });
    child.once('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run ${BIN}: ${e.message}`)); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${BIN} serve exited (${code}); stderr:\n${stderr}`)); });
  });
  lines.on('line', () => {}); // keep draining stdout
  const { endpoint, accessKey } = parseConnectionString(first);
  if (accessKey !== key) throw new Error(`serve announced key ${accessKey}, expected ${key}`);
  return new Server(child, first.trim(), endpoint, accessKey, () => stderr);
}

export class Server {
  constructor(child, connectionString, endpoint, accessKey, stderr) {
    this.child = child;
    this.connectionString = connectionString;
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.stderr = stderr;
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves to how the process ended. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return 'already exited';
    const exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(signal ?? code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const how = await exited;
    clearTimeout(timer);
    return how;
  }

  /** The URL SignalR clients are given: `{endpoint}/client/?hub={hub}`. */
  clientUrl(hub) {
    return `${this.endpoint}/client/?hub=${encodeURIComponent(hub)}`;
  }

  /** A client token for `hub` (aud = client URL with the hub lower-cased), user id in `nameid`. */
  clientToken(hub, user, { audience, key, lifetime = 3600, extra = {} } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const claims = { aud: audience ?? `${this.endpoint}/client/?hub=${hub.toLowerCase()}`, iat: now, nbf: now, exp: now + lifetime };
    if (user !== undefined) claims.nameid = user;
    Object.assign(claims, extra);
    return signJwt(key ?? this.accessKey, claims);
  }

  /** Runs the CLI against this server; resolves to its stdout. */
  async cli(...args) {
    const { stdout } = await promisify(execFile)(BIN, args, {
      env: { ...process.env, SIGNALR_CONNECTION_STRING: this.connectionString },
    });
    return stdout;
  }

  /** One v1 REST call for `hub`; `subpath` segments must already be encoded. */
  async rest(method, hub, subpath, { query = [], body } = {}) {
    const url = `${this.endpoint}/api/v1/hubs/${encodeURIComponent(hub.toLowerCase())}${subpath}`;
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(this.accessKey, { aud: url, iat: now, nbf: now, exp: now + 3600 });
    const search = new URLSearchParams(query).toString();
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(search ? `${url}?${search}` : url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text(), call: `${method} ${url}${search ? `?${search}` : ''}` };
  }

  async expectRest(expected, method, hub, subpath, options) {
    const r = await this.rest(method, hub, subpath, options);
    if (r.status !== expected) throw new Error(`${r.call} answered ${r.status} (expected ${expected}): ${r.text}`);
    return r;
  }

  broadcast(hub, target, args, excluded = []) {
    return this.expectRest(202, 'POST', hub, '', { body: { target, arguments: args }, query: excluded.map((e) => ['excluded', e]) });
  }

  sendToUser(hub, user, target, args) {
    return this.expectRest(202, 'POST', hub, `/users/${encodeURIComponent(user)}`, { body: { target, arguments: args } });
  }

  sendToConnection(hub, id, target, args) {
    return this.expectRest(202, 'POST', hub, `/connections/${encodeURIComponent(id)}`, { body: { target, arguments: args } });
  }

  sendToGroup(hub, group, target, args, excluded = []) {
    return this.expectRest(202, 'POST', hub, `/groups/${encodeURIComponent(group)}`, {
      body: { target, arguments: args },
      query: excluded.map((e) => ['excluded', e]),
    });
  }

  addUserToGroup(hub, group, user) {
    return this.expectRest(202, 'PUT', hub, `/groups/${encodeURIComponent(group)}/users/${encodeURIComponent(user)}`);
  }

  removeUserFromGroup(hub, group, user) {
    return this.expectRest(202, 'DELETE', hub, `/groups/${encodeURIComponent(group)}/users/${encodeURIComponent(user)}`);
  }

  addConnectionToGroup(hub, group, id) {
    return this.expectRest(200, 'PUT', hub, `/groups/${encodeURIComponent(group)}/connections/${encodeURIComponent(id)}`);
  }

  removeConnectionFromGroup(hub, group, id) {
    return this.expectRest(200, 'DELETE', hub, `/groups/${encodeURIComponent(group)}/connections/${encodeURIComponent(id)}`);
  }

  closeConnection(hub, id, reason) {
    return this.expectRest(202, 'DELETE', hub, `/connections/${encodeURIComponent(id)}`, { query: [['reason', reason]] });
  }

  /** Status of GET /connections/{id}: 200 or 404. */
  async connectionStatus(hub, id) {
    return (await this.rest('GET', hub, `/connections/${encodeURIComponent(id)}`)).status;
  }

  /** Status of GET /users/{user}: 200 or 404. */
  async userStatus(hub, user) {
    return (await this.rest('GET', hub, `/users/${encodeURIComponent(user)}`)).status;
  }
}

/** The ways a Node app connects: protocol x (negotiate | skipNegotiation + WebSockets). */
export const CONFIGS = [
  { name: 'json, negotiate', protocol: 'json', skipNegotiation: false },
  { name: 'messagepack, negotiate', protocol: 'messagepack', skipNegotiation: false },
  { name: 'json, skipNegotiation + WebSockets', protocol: 'json', skipNegotiation: true },
  { name: 'messagepack, skipNegotiation + WebSockets', protocol: 'messagepack', skipNegotiation: true },
];

/** The client methods the tests register; everything arrives on one of these. */
export const TARGETS = ['msg', 'data'];

/** A started HubConnection and everything it received, in order. */
export class Client {
  constructor(connection, user) {
    this.connection = connection;
    this.user = user;
    this.received = [];
    this.closeError = undefined; // undefined: still open; null: closed without error; Error otherwise
    this.closed = new Promise((resolve) => {
      connection.onclose((error) => {
        this.closeError = error ?? null;
        resolve(error ?? null);
      });
    });
    for (const target of TARGETS) {
      connection.on(target, (...args) => this.received.push({ target, args }));
    }
  }

  get connectionId() {
    return this.connection.connectionId;
  }

  labels() {
    return this.received.filter((m) => m.target === 'msg').map((m) => m.args[0]);
  }

  count(label) {
    return this.labels().filter((l) => l === label).length;
  }

  /** Waits until a `msg` with first argument `label` has arrived. */
  async expect(label, times = 1) {
    await waitUntil(
      () => this.count(label) >= times,
      () => `${this.user ?? 'client'} did not receive ${JSON.stringify(label)} x${times}; received: ${JSON.stringify(this.received)}`,
    );
  }

  /** Asserts `label` never arrived (call only after a later control message did). */
  refute(label) {
    if (this.count(label) !== 0) {
      throw new Error(`${this.user ?? 'client'} received ${JSON.stringify(label)} but must not have; received: ${JSON.stringify(this.received)}`);
    }
  }

  async stop() {
    await this.connection.stop();
  }
}

/** Builds and starts a @microsoft/signalr connection as `user` to `hub`. */
export async function connect(server, hub, user, config, { url, token, withFactory = true, configure, build } = {}) {
  const accessToken = token ?? server.clientToken(hub, user);
  const options = {};
  if (withFactory) options.accessTokenFactory = () => accessToken;
  if (config.skipNegotiation) {
    options.skipNegotiation = true;
    options.transport = signalR.HttpTransportType.WebSockets;
  }
  let builder = new signalR.HubConnectionBuilder().withUrl(url ?? server.clientUrl(hub), options).configureLogging(logLevel);
  if (config.protocol === 'messagepack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
  if (build) builder = build(builder);
  const connection = builder.build();
  if (configure) configure(connection);
  const client = new Client(connection, user);
  await within(connection.start(), DEADLINE_MS * 2, `start() of ${config.name} client for ${user}`);
  return client;
}

export { signalR };
