'use strict';
// The shared scenario format (tests/scenarios/README.md), checked strictly, and the servers a
// scenario's client may be pointed at instead of the simulator. JSON.parse gives JavaScript
// numbers, so here 60.0 counts as the integer 60 (the other runners tell them apart).

const http = require('node:http');
const net = require('node:net');

const STEP_KINDS = [
  'connect',
  'disconnect',
  'call',
  'received',
  'closed',
  'open',
  'advance_clock',
  'groups',
  'hubs',
  'client_url',
  'shutdown',
  'fault',
  'clear_faults',
  'injected',
  'drop_clients',
];
const ERROR_KINDS = [
  'invalid_argument',
  'unauthorized',
  'not_found',
  'bad_request',
  'service_error',
  'timeout',
  'transport',
];
const ENDPOINTS = ['simulator', 'closed_port', 'stalls', 'fails'];
const AUTHS = ['access_key', 'token_provider', 'failing_token_provider'];
/** The REST API versions in the files' spelling, in the order the runners replay them. */
const API_VERSIONS = ['v1', '2022-06-01'];

class ScenarioError extends Error {}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v) => Number.isInteger(v);
const isStrings = (v) => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** What a field must hold: its name in messages, and the check. */
const T = {
  str: ['a string', (v) => typeof v === 'string'],
  int: ['an integer', isInt],
  positiveInt: ['a positive integer', (v) => isInt(v) && v > 0],
  nonNegativeInt: ['a non-negative integer', (v) => isInt(v) && v >= 0],
  array: ['an array', Array.isArray],
  object: ['an object', isObject],
  strOrNull: ['a string or null', (v) => v === null || typeof v === 'string'],
  strings: ['an array of strings', isStrings],
  expect: [
    '"ok", true, false or {"error": kind}',
    (v) =>
      v === 'ok' ||
      typeof v === 'boolean' ||
      (isObject(v) &&
        Object.keys(v).length === 1 &&
        Object.hasOwn(v, 'error') &&
        ERROR_KINDS.includes(v.error)),
  ],
  groupMembers: [
    'an object of arrays of strings',
    (v) => isObject(v) && Object.values(v).every(isStrings),
  ],
  endpoint: ['one of simulator, closed_port, stalls, fails', (v) => ENDPOINTS.includes(v)],
  auth: ['one of access_key, token_provider, failing_token_provider', (v) => AUTHS.includes(v)],
  true: ['true', (v) => v === true],
  boolean: ['a boolean', (v) => typeof v === 'boolean'],
  status: ['an integer from 400 to 599', (v) => isInt(v) && v >= 400 && v <= 599],
  apiVersions: [
    'a non-empty array of distinct "v1", "2022-06-01"',
    (v) =>
      Array.isArray(v) &&
      v.length > 0 &&
      v.every((version) => API_VERSIONS.includes(version)) &&
      new Set(v).size === v.length,
  ],
};
T.errorExpect = ['{"error": kind}', (v) => isObject(v) && T.expect[1](v)];

const SEND = [['arguments', T.array]];
const SEND_EXCLUDING = [
  ['arguments', T.array],
  ['excluded', T.strings],
];
const CLOSE_MANY = [
  ['excluded', T.strings],
  ['reason', T.str],
];
/** The required and optional fields of each operation, besides call, hub and expect. */
const OPERATIONS = {
  send_to_all: [[['target', T.str]], SEND_EXCLUDING],
  send_to_user: [[['user', T.str], ['target', T.str]], SEND],
  send_to_connection: [[['connection', T.str], ['target', T.str]], SEND],
  send_to_group: [[['group', T.str], ['target', T.str]], SEND_EXCLUDING],
  connection_exists: [[['connection', T.str]], []],
  close_connection: [[['connection', T.str]], [['reason', T.str]]],
  group_exists: [[['group', T.str]], []],
  user_exists: [[['user', T.str]], []],
  add_connection_to_group: [[['group', T.str], ['connection', T.str]], []],
  remove_connection_from_group: [[['group', T.str], ['connection', T.str]], []],
  user_in_group: [[['group', T.str], ['user', T.str]], []],
  add_user_to_group: [[['group', T.str], ['user', T.str]], [['ttl', T.int]]],
  remove_user_from_group: [[['group', T.str], ['user', T.str]], []],
  remove_user_from_all_groups: [[['user', T.str]], []],
  close_all_connections: [[], CLOSE_MANY],
  close_group_connections: [[['group', T.str]], CLOSE_MANY],
  close_user_connections: [[['user', T.str]], CLOSE_MANY],
  remove_connection_from_all_groups: [[['connection', T.str]], []],
  negotiate: [[], [['user', T.str]]],
  negotiate_with_service: [[], [['user', T.str]]],
};

const MESSAGE = [
  ['target', T.str],
  ['arguments', T.array],
];

/** Unknown fields first (in the object's order), then missing ones, then types. */
function checkFields(at, value, required, optional) {
  if (!isObject(value)) throw new ScenarioError(`${at}: must be an object`);
  const known = [...required, ...optional];
  for (const key of Object.keys(value)) {
    if (!known.some(([name]) => name === key)) {
      throw new ScenarioError(`${at}: unknown field "${key}"`);
    }
  }
  for (const [name] of required) {
    if (!Object.hasOwn(value, name)) throw new ScenarioError(`${at}: missing field "${name}"`);
  }
  for (const [name, [typeName, accepts]] of known) {
    if (Object.hasOwn(value, name) && !accepts(value[name])) {
      throw new ScenarioError(`${at}: field "${name}" must be ${typeName}`);
    }
  }
}

/** The key naming what the step does. */
function stepKind(step) {
  return STEP_KINDS.find((kind) => Object.hasOwn(step, kind));
}

function checkStep(at, step) {
  if (!isObject(step)) throw new ScenarioError(`${at}: must be an object`);
  const kinds = STEP_KINDS.filter((kind) => Object.hasOwn(step, kind));
  if (kinds.length !== 1) {
    throw new ScenarioError(`${at}: a step needs exactly one of ${STEP_KINDS.join(', ')}`);
  }
  switch (kinds[0]) {
    case 'connect':
      return checkFields(
        at,
        step,
        [['connect', T.str], ['hub', T.str]],
        [['user', T.str], ['expect', T.errorExpect]],
      );
    case 'disconnect':
      return checkFields(at, step, [['disconnect', T.str]], []);
    case 'call': {
      if (typeof step.call !== 'string') {
        throw new ScenarioError(`${at}: field "call" must be a string`);
      }
      if (!Object.hasOwn(OPERATIONS, step.call)) {
        throw new ScenarioError(`${at}: unknown operation "${step.call}"`);
      }
      const [required, optional] = OPERATIONS[step.call];
      const fields = [['call', T.str], ['hub', T.str], ...required, ['expect', T.expect]];
      return checkFields(at, step, fields, optional);
    }
    case 'received':
      checkFields(at, step, [['received', T.str], ['messages', T.array]], []);
      step.messages.forEach((message, j) =>
        checkFields(`${at}.messages[${j}]`, message, MESSAGE, []),
      );
      return undefined;
    case 'closed':
      return checkFields(at, step, [['closed', T.str], ['reason', T.strOrNull]], []);
    case 'open':
      return checkFields(at, step, [['open', T.str]], []);
    case 'advance_clock':
      return checkFields(at, step, [['advance_clock', T.nonNegativeInt]], []);
    case 'groups':
      return checkFields(at, step, [['groups', T.str], ['expect', T.groupMembers]], []);
    case 'hubs':
      return checkFields(at, step, [['hubs', T.strings]], []);
    case 'client_url':
      return checkFields(at, step, [['client_url', T.str], ['expect', T.str]], []);
    case 'fault':
      return checkFields(at, step, [['fault', T.str]], [['expect', T.errorExpect]]);
    case 'clear_faults':
      return checkFields(at, step, [['clear_faults', T.true]], []);
    case 'injected':
      return checkFields(at, step, [['injected', T.strings]], []);
    case 'drop_clients':
      return checkFields(
        at,
        step,
        [['drop_clients', T.str], ['close', T.boolean]],
        [['connection', T.str]],
      );
    default:
      return checkFields(at, step, [['shutdown', T.true]], []);
  }
}

/** The scenario in `text`; a ScenarioError saying `file: where: what` if it is malformed. */
function parseScenario(file, text) {
  const scenario = JSON.parse(text);
  try {
    const required = [
      ['name', T.str],
      ['steps', T.array],
    ];
    const optional = [
      ['client', T.object],
      ['api_versions', T.apiVersions],
    ];
    checkFields('scenario', scenario, required, optional);
    const client = scenario.client ?? {};
    checkFields('client', client, [], [
      ['access_key', T.str],
      ['endpoint', T.endpoint],
      ['status', T.status],
      ['timeout_ms', T.positiveInt],
      ['application', T.str],
      ['auth', T.auth],
      ['retries', T.nonNegativeInt],
    ]);
    const fails = client.endpoint === 'fails';
    if (fails && !Object.hasOwn(client, 'status')) {
      throw new ScenarioError('client: missing field "status"');
    }
    if (!fails && Object.hasOwn(client, 'status')) {
      throw new ScenarioError('client: field "status" is only for "endpoint": "fails"');
    }
    scenario.steps.forEach((step, i) => checkStep(`steps[${i}]`, step));
  } catch (error) {
    if (error instanceof ScenarioError) throw new ScenarioError(`${file}: ${error.message}`);
    throw error;
  }
  return scenario;
}

/**
 * The versions a scenario file runs under: its `api_versions` in the runners' order, else both.
 * Read before the strict check (a malformed value gives both; replaying then fails).
 */
function apiVersions(text) {
  let listed;
  try {
    listed = JSON.parse(text)?.api_versions;
  } catch {
    listed = undefined;
  }
  const pinned = Array.isArray(listed) ? API_VERSIONS.filter((v) => listed.includes(v)) : [];
  return pinned.length > 0 ? pinned : [...API_VERSIONS];
}

/**
 * `'ok'` when the simulator's `/client/negotiate` for the negotiate answer's `url` accepts
 * `token` (200) and the token carries `user` (as the simulator reads it: `asrs.s.uid`, else
 * `nameid`, else `sub`); otherwise what went wrong.
 */
async function tokenAccepted(url, token, user) {
  if (!url.includes('/client/?')) return { 'url without /client/?': url };
  const negotiate = url.replace('/client/?', '/client/negotiate?');
  let answer;
  try {
    answer = await fetch(negotiate, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10000),
    });
  } catch (error) {
    return { 'token not checked': { url: negotiate, error: String(error) } };
  }
  const body = await answer.text();
  if (answer.status !== 200) {
    return { 'token refused': { url: negotiate, status: answer.status, body } };
  }
  let claims;
  try {
    claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
  } catch (error) {
    return { 'token is no JWT': String(error) };
  }
  const carried =
    ['asrs.s.uid', 'nameid', 'sub'].map((c) => claims[c]).find((v) => typeof v === 'string') ??
    null;
  return carried === (user ?? null) ? 'ok' : { "token's user": carried, expected: user ?? null };
}

/** `value` with every object as its [key, value] pairs, so that comparing it checks key order. */
function ordered(value) {
  if (Array.isArray(value)) return value.map(ordered);
  if (isObject(value)) return { pairs: Object.entries(value).map(([k, v]) => [k, ordered(v)]) };
  return value;
}

// ---- endpoints other than the simulator ----

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

/**
 * The URL the scenario's client talks to, and `close()` for whatever serves it while the
 * scenario runs.
 */
async function endpoint(client, simulatorUrl) {
  const local = (port) => `http://127.0.0.1:${port}`;
  switch (client.endpoint ?? 'simulator') {
    case 'simulator':
      return { url: simulatorUrl, close: async () => {} };
    case 'closed_port': {
      const probe = net.createServer();
      const port = await listen(probe);
      await new Promise((resolve) => probe.close(resolve));
      return { url: local(port), close: async () => {} }; // nothing listens there any more
    }
    case 'stalls': {
      // Accepts connections and never answers.
      const sockets = new Set();
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      const port = await listen(server);
      const close = async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      };
      return { url: local(port), close };
    }
    default: {
      const { status } = client;
      const body = JSON.stringify({
        code: `Error.Scenario.Status${status}`,
        message: `the scenario's server answers every request with ${status}`,
      });
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(status, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        });
      });
      const port = await listen(server);
      const close = async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      };
      return { url: local(port), close };
    }
  }
}

module.exports = {
  API_VERSIONS,
  ScenarioError,
  apiVersions,
  endpoint,
  ordered,
  parseScenario,
  stepKind,
  tokenAccepted,
};
