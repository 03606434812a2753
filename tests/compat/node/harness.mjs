// Shared pieces of the Node compat suites: a `signalr-rest serve` child process (its log read
// for the connection ids clients do not expose), a stand-in app server whose negotiate redirects
// to the simulator, HS256 tokens signed here (node:crypto is enough), the REST calls the tests
// make, and real SignalR client connections with an inbox that tests poll with deadlines.
//
// Clients under test, each installed at a pinned version (package.json, package-lock.json):
//   @microsoft/signalr 10.x and 8.x with @microsoft/signalr-protocol-msgpack of the same version,
//   @aspnet/signalr 1.1.x (the ASP.NET Core 2.x client, still in production) with
//   @aspnet/signalr-protocol-msgpack 1.1.x.

import { spawn, execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { decode as decodeMessagePack } from '@msgpack/msgpack';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The CLI binary; `scripts/lib/test-compat` builds it. */
export const BIN = process.env.SIGNALR_REST_BIN ?? path.resolve(here, '../../../target/debug/signalr-rest');

/** How long a positive wait may take before the test fails. */
export const DEADLINE_MS = Number(process.env.COMPAT_DEADLINE_MS ?? 5000);

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

// `signalr-rest serve` logs (tracing, to stderr) one line per accepted client:
//   ... INFO signalr_rest::simulator::socket: client connected hub=h connection=ID user=Some("alice") protocol=Json
// `user` is Rust's Debug form: None, or Some("...") with `"` and `\` escaped.
const CONNECTED = /client connected hub=(\S+) connection=(\S+) user=(None|Some\("((?:[^"\\]|\\.)*)"\)) protocol=(\S+)/;

function unescapeDebug(text) {
  return text.replace(/\\(u\{([0-9a-fA-F]+)\}|.)/g, (_, esc, hex) => {
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { n: '\n', r: '\r', t: '\t', 0: '\0' }[esc] ?? esc;
  });
}

/** Parses a `client connected` log line; null for any other line. */
export function parseConnected(line) {
  // eslint-disable-next-line no-control-regex
  const match = CONNECTED.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
  if (!match) return null;
  return { hub: match[1], id: match[2], user: match[3] === 'None' ? null : unescapeDebug(match[4]), protocol: match[5] };
}

/** Starts `signalr-rest serve --port 0` with a random key and reads its connection string. */
export async function startServer(extraArgs = []) {
  const key = `compat-${randomBytes(24).toString('hex')}`;
  const child = spawn(BIN, ['serve', '--port', '0', '--access-key', key, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'info' }, // the `client connected` lines are at info
  });
  let stderr = '';
  const connected = [];
  child.stderr.setEncoding('utf8');
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr += `${line}\n`;
    const entry = parseConnected(line);
    if (entry) connected.push(entry);
  });
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
  const server = new Server(child, first.trim(), endpoint, accessKey, () => stderr, connected);
  await server.startApp();
  return server;
}

export class Server {
  constructor(child, connectionString, endpoint, accessKey, stderr, connected) {
    this.child = child;
    this.connectionString = connectionString;
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.stderr = stderr;
    this.connected = connected; // every `client connected` log entry, in order
    this.claimed = new Set(); // ids already handed to a Client
    this.app = null;
  }

  /**
   * The id of the connection `user` (null: anonymous) just opened on `hub`, read from the serve
   * log: the first `client connected` entry for that hub and user not yet handed out. Clients of
   * one hub and user connect one at a time, so that entry is theirs.
   */
  async connectionIdFromLog(hub, user) {
    const entry = await waitUntil(
      () => this.connected.find((e) => !this.claimed.has(e.id) && e.hub.toLowerCase() === hub.toLowerCase() && e.user === (user ?? null)),
      () => `no 'client connected' log line for hub ${hub}, user ${user}; log:\n${this.stderr()}`,
    );
    this.claimed.add(entry.id);
    return entry;
  }

  /**
   * A stand-in app server: POST /app/{hub}/{user}/negotiate answers what `signalr-rest negotiate
   * --hub {hub} --user {user}` prints, {url, accessToken}, as an app built on the SDK does.
   */
  async startApp() {
    this.app = http.createServer(async (req, res) => {
      const match = /^\/app\/([^/]+)\/([^/]+)\/negotiate(\?|$)/.exec(req.url);
      if (req.method === 'POST' && match) {
        try {
          const body = await this.cli('negotiate', '--hub', decodeURIComponent(match[1]), '--user', decodeURIComponent(match[2]));
          res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        } catch (e) {
          res.writeHead(500).end(String(e));
        }
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise((resolve) => this.app.listen(0, '127.0.0.1', resolve));
  }

  /** The URL a client is given in redirect mode; it negotiates at `{url}/negotiate`. */
  appUrl(hub, user) {
    return `http://127.0.0.1:${this.app.address().port}/app/${encodeURIComponent(hub)}/${encodeURIComponent(user)}`;
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves to how the process ended. */
  async stop() {
    if (this.app) await new Promise((resolve) => this.app.close(resolve));
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
    if (user !== undefined && user !== null) claims.nameid = user;
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

  /**
   * One v1 REST call for `hub`; `subpath` segments must already be encoded. `rawBody` is sent
   * as is (JSON text the test wrote by hand, e.g. numbers JavaScript cannot hold exactly).
   */
  async rest(method, hub, subpath, { query = [], body, rawBody } = {}) {
    const url = `${this.endpoint}/api/v1/hubs/${encodeURIComponent(hub.toLowerCase())}${subpath}`;
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(this.accessKey, { aud: url, iat: now, nbf: now, exp: now + 3600 });
    const search = new URLSearchParams(query).toString();
    const headers = { authorization: `Bearer ${token}` };
    const text = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    if (text !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(search ? `${url}?${search}` : url, { method, headers, body: text });
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

  /** Sends `{"target": target, "arguments": argumentsJson}` to a user, the arguments as JSON text. */
  sendRawToUser(hub, user, target, argumentsJson) {
    return this.expectRest(202, 'POST', hub, `/users/${encodeURIComponent(user)}`, {
      rawBody: `{"target":${JSON.stringify(target)},"arguments":${argumentsJson}}`,
    });
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

function load(name, msgpackName) {
  const signalR = require(name);
  const { MessagePackHubProtocol } = require(msgpackName);
  const version = require(`${name}/package.json`).version;
  const realName = require(`${name}/package.json`).name;
  return { signalR, MessagePackHubProtocol, label: `${realName} ${version}` };
}

/**
 * The SignalR client packages under test. `hasConnectionId`: the HubConnection exposes
 * `connectionId` (3.0 on); `reconnects`: it has withAutomaticReconnect (3.0 on).
 */
export const CLIENTS = [
  { ...load('@microsoft/signalr', '@microsoft/signalr-protocol-msgpack'), hasConnectionId: true, reconnects: true },
  { ...load('signalr-8', 'signalr-protocol-msgpack-8'), hasConnectionId: true, reconnects: true },
  { ...load('@aspnet/signalr', '@aspnet/signalr-protocol-msgpack'), hasConnectionId: false, reconnects: false },
];

/**
 * How a client reaches the simulator:
 *   negotiate: the client URL with accessTokenFactory; the client negotiates with the simulator;
 *   redirect: an app server's negotiate returns {url, accessToken}; the client follows it;
 *   skipNegotiation: skipNegotiation + WebSockets straight to the client URL (no negotiate, so
 *     the client never learns its connection id: the tests read it from the serve log).
 */
export const MODES = ['negotiate', 'redirect', 'skipNegotiation'];
export const PROTOCOLS = ['json', 'messagepack'];

/** Every client x protocol x mode. */
export const CONFIGS = CLIENTS.flatMap((client) =>
  PROTOCOLS.flatMap((protocol) =>
    MODES.map((mode) => ({ client, protocol, mode, name: `${client.label}, ${protocol}, ${mode}` }))));

/** The newest client in each mode, JSON (for tests that are about the server, not the client). */
export const latest = (mode = 'negotiate', protocol = 'json') =>
  CONFIGS.find((c) => c.client === CLIENTS[0] && c.mode === mode && c.protocol === protocol);

/** The client methods the tests register; everything arrives on one of these. */
export const TARGETS = ['msg', 'data'];

/**
 * A logger for the clients: keeps every message (with logMessageContent the WebSocket transport
 * logs each frame it sends and receives, so tests see the raw text the client got); prints them
 * when COMPAT_DEBUG is set.
 */
class RecordingLogger {
  constructor(label) {
    this.label = label;
    this.lines = [];
  }

  log(level, message) {
    this.lines.push(message);
    if (process.env.COMPAT_DEBUG) console.error(`[${this.label}] ${message}`);
  }

  /** The text frames the client received, as received. */
  received() {
    const prefix = '(WebSockets transport) data received. ';
    return this.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  }

  /**
   * The hub messages the client received, decoded here from the logged frames: JSON records as
   * objects; MessagePack arrays (after their varint length prefix) as arrays.
   */
  messages() {
    const messages = [];
    for (const frame of this.received()) {
      const text = /^String data of length \d+\. Content: '([\s\S]*)'\.$/.exec(frame);
      if (text) {
        for (const record of text[1].split('\x1e')) if (record && record !== '{}') messages.push(JSON.parse(record));
        continue;
      }
      const binary = /^Binary data of length \d+\. Content: '([^']*)'\.$/.exec(frame);
      if (!binary) continue;
      const bytes = Uint8Array.from(binary[1].split(' ').map((b) => parseInt(b, 16)));
      for (let at = 0; at < bytes.length;) {
        let length = 0;
        for (let shift = 0; ; shift += 7) {
          const byte = bytes[at++];
          length |= (byte & 0x7f) << shift;
          if (!(byte & 0x80)) break;
        }
        messages.push(decodeMessagePack(bytes.subarray(at, at + length)));
        at += length;
      }
    }
    return messages;
  }

  /** The Close message the client received as {error, allowReconnect}, or null. */
  closeMessage() {
    for (const m of this.messages()) {
      if (Array.isArray(m) && m[0] === 7) return { error: m[1] ?? undefined, allowReconnect: m[2] ?? undefined };
      if (!Array.isArray(m) && m.type === 7) return { error: m.error, allowReconnect: m.allowReconnect };
    }
    return null;
  }

  /** The handshake request the client sent, parsed. */
  handshake() {
    for (const line of this.lines) {
      const match = /sending data\. String data of length \d+\. Content: '(\{[^']*"protocol"[^']*\})\x1e'/.exec(line);
      if (match) return JSON.parse(match[1]);
    }
    return null;
  }
}

/** A started HubConnection and everything it received, in order. */
export class Client {
  constructor(connection, user, logger, config) {
    this.connection = connection;
    this.user = user;
    this.logger = logger;
    this.config = config;
    this.received = [];
    this.id = null; // set by connect(): from the client where it knows it, checked against the log
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

  /** What the client says its connection id is (null where it does not know or expose it). */
  get clientConnectionId() {
    return this.connection.connectionId ?? null;
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

/**
 * Builds and starts a connection of `config` (client package, protocol, mode) as `user` to `hub`,
 * then finds its connection id in the serve log (and checks it against the client's own where
 * the client knows it). `token`/`url`/`withFactory` override what the mode would use.
 */
export async function connect(server, hub, user, config, { url, token, withFactory, configure, build, findId = true } = {}) {
  const { signalR, MessagePackHubProtocol } = config.client;
  const logger = new RecordingLogger(`${config.name} ${user}`);
  const redirect = config.mode === 'redirect' && url === undefined && token === undefined;
  const options = { logger, logMessageContent: true };
  if (withFactory ?? !redirect) {
    const accessToken = token ?? server.clientToken(hub, user);
    options.accessTokenFactory = () => accessToken;
  }
  if (config.mode === 'skipNegotiation') {
    options.skipNegotiation = true;
    options.transport = signalR.HttpTransportType.WebSockets;
  }
  const target = url ?? (redirect ? server.appUrl(hub, user) : server.clientUrl(hub));
  let builder = new signalR.HubConnectionBuilder().withUrl(target, options);
  if (config.protocol === 'messagepack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
  if (build) builder = build(builder);
  const connection = builder.build();
  if (configure) configure(connection);
  const client = new Client(connection, user, logger, config);
  await within(connection.start(), DEADLINE_MS * 2, `start() of ${config.name} client for ${user}`);
  if (findId) {
    const entry = await server.connectionIdFromLog(hub, user);
    const own = client.clientConnectionId;
    if (own !== null && own !== entry.id) {
      throw new Error(`${config.name}: connectionId ${own}, but the serve log says ${entry.id}`);
    }
    client.id = entry.id;
    client.serverProtocol = entry.protocol;
  }
  return client;
}
