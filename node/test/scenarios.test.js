'use strict';
// Replays every shared scenario in tests/scenarios/ (format: its README.md) through the public
// API, under each REST API version the file runs under (v1 and 2022-06-01 unless it pins one);
// the format is checked strictly first (scenario-format.js).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { ServiceClient, Simulator, SignalRError } = require('..');
const {
  API_VERSIONS,
  ScenarioError,
  apiVersions,
  endpoint,
  ordered,
  parseScenario,
  stepKind,
  tokenAccepted,
} = require('./scenario-format');

const SCENARIOS = path.join(__dirname, '..', '..', 'tests', 'scenarios');

/** The hub method of an operation, and its arguments built from the step. */
const OPERATIONS = {
  send_to_all: (h, s, r) => h.sendToAll(s.target, s.arguments, { excluded: r.ids(s.excluded) }),
  send_to_user: (h, s) => h.sendToUser(s.user, s.target, s.arguments),
  send_to_connection: (h, s, r) => h.sendToConnection(r.id(s.connection), s.target, s.arguments),
  send_to_group: (h, s, r) =>
    h.sendToGroup(s.group, s.target, s.arguments, { excluded: r.ids(s.excluded) }),
  connection_exists: (h, s, r) => h.connectionExists(r.id(s.connection)),
  close_connection: (h, s, r) => h.closeConnection(r.id(s.connection), { reason: s.reason }),
  group_exists: (h, s) => h.groupExists(s.group),
  user_exists: (h, s) => h.userExists(s.user),
  add_connection_to_group: (h, s, r) => h.addConnectionToGroup(s.group, r.id(s.connection)),
  remove_connection_from_group: (h, s, r) =>
    h.removeConnectionFromGroup(s.group, r.id(s.connection)),
  user_in_group: (h, s) => h.userInGroup(s.group, s.user),
  add_user_to_group: (h, s) => h.addUserToGroup(s.group, s.user, { ttlSeconds: s.ttl }),
  remove_user_from_group: (h, s) => h.removeUserFromGroup(s.group, s.user),
  remove_user_from_all_groups: (h, s) => h.removeUserFromAllGroups(s.user),
  close_all_connections: (h, s, r) =>
    h.closeAllConnections({ excluded: r.ids(s.excluded), reason: s.reason }),
  close_group_connections: (h, s, r) =>
    h.closeGroupConnections(s.group, { excluded: r.ids(s.excluded), reason: s.reason }),
  close_user_connections: (h, s, r) =>
    h.closeUserConnections(s.user, { excluded: r.ids(s.excluded), reason: s.reason }),
  remove_connection_from_all_groups: (h, s, r) =>
    h.removeConnectionFromAllGroups(r.id(s.connection)),
};

/** The files' version names as the client's `apiVersion` spells them. */
const CLIENT_API_VERSION = { v1: '1.0', '2022-06-01': '2022-06-01' };

class Run {
  constructor(sim, service) {
    this.sim = sim;
    this.service = service;
    this.clients = new Map();
    this.at = '';
  }

  client(name) {
    assert.ok(this.clients.has(name), `${this.at}: no client named ${name} connected`);
    return this.clients.get(name);
  }

  /** A connection id: `$name` stands for the id of client `name`. */
  id(text) {
    return text.startsWith('$') ? this.client(text.slice(1)).connectionId : text;
  }

  ids(list) {
    return (list ?? []).map((text) => this.id(text));
  }

  async call(step) {
    try {
      if (step.call === 'negotiate' || step.call === 'negotiate_with_service') {
        // On the ServiceClient; "ok" also needs the simulator to accept the token.
        const answer =
          step.call === 'negotiate'
            ? this.service.negotiate(step.hub, { userId: step.user })
            : await this.service.negotiateWithService(step.hub, { userId: step.user });
        return { outcome: await tokenAccepted(answer.url, answer.accessToken, step.user) };
      }
      const value = await OPERATIONS[step.call](this.service.hub(step.hub), step, this);
      return { outcome: value === undefined ? 'ok' : value };
    } catch (error) {
      assert.ok(error instanceof SignalRError, `${this.at}: not a SignalRError: ${error}`);
      return { outcome: { error: error.code }, detail: error.message };
    }
  }

  async step(at, step) {
    this.at = at;
    const where = `${at}: ${JSON.stringify(step)}`;
    switch (stepKind(step)) {
      case 'connect': {
        let client;
        try {
          client = this.sim.connect(step.hub, { userId: step.user });
        } catch (error) {
          assert.ok(error instanceof SignalRError, `${where}: not a SignalRError: ${error}`);
          assert.deepEqual({ error: error.code }, step.expect, `${where}\n${error.message}`);
          break;
        }
        assert.equal(step.expect, undefined, `${where}: connected`);
        this.clients.set(step.connect, client);
        break;
      }
      case 'disconnect':
        this.client(step.disconnect).disconnect();
        break;
      case 'call': {
        const { outcome, detail } = await this.call(step);
        assert.deepEqual(outcome, step.expect, detail ? `${where}\n${detail}` : where);
        break;
      }
      case 'received':
        // ordered(): object key order counts too (for keys that are not integer-like: JavaScript
        // puts those first in any object).
        assert.deepEqual(
          ordered(this.client(step.received).received),
          ordered(step.messages),
          where,
        );
        break;
      case 'closed': {
        const client = this.client(step.closed);
        assert.ok(client.closed, where);
        assert.equal(client.closeReason, step.reason, where);
        break;
      }
      case 'open': {
        const client = this.client(step.open);
        assert.ok(!client.closed, `${where}: closed (${client.closeReason})`);
        break;
      }
      case 'advance_clock':
        this.sim.advanceClock(step.advance_clock);
        break;
      case 'groups': {
        const actual = Object.fromEntries(
          this.sim.groups(step.groups).map((g) => [g.name, [...g.connectionIds].sort()]),
        );
        const expected = Object.fromEntries(
          Object.entries(step.expect).map(([name, ids]) => [name, this.ids(ids).sort()]),
        );
        assert.deepEqual(actual, expected, where);
        break;
      }
      case 'hubs':
        assert.deepEqual(this.sim.hubs(), step.hubs, where);
        break;
      case 'client_url':
        assert.equal(this.service.clientUrl(step.client_url), this.sim.url + step.expect, where);
        break;
      case 'fault': {
        try {
          this.sim.addFault(step.fault);
        } catch (error) {
          assert.ok(error instanceof SignalRError, `${where}: not a SignalRError: ${error}`);
          assert.deepEqual({ error: error.code }, step.expect, `${where}\n${error.message}`);
          break;
        }
        assert.equal(step.expect, undefined, `${where}: the rule was added`);
        break;
      }
      case 'clear_faults':
        this.sim.clearFaults();
        break;
      case 'injected':
        assert.deepEqual(
          this.sim.injectedFaults().map((f) => f.fault),
          step.injected,
          `${where}\n${JSON.stringify(this.sim.injectedFaults())}`,
        );
        break;
      case 'drop_clients':
        this.sim.dropClients(step.drop_clients, {
          connectionId: step.connection === undefined ? undefined : this.id(step.connection),
          close: step.close,
        });
        break;
      default:
        await this.sim.close();
    }
  }
}

/**
 * The client the scenario asks for; retries off unless it sets `retries`, so an intermittent 5xx
 * fails the scenario.
 */
function serviceClient(client, url, sim, version) {
  const key = client.access_key ?? sim.accessKey;
  const options = { retry: { maxRetries: client.retries ?? 0 }, apiVersion: CLIENT_API_VERSION[version] };
  if (client.timeout_ms !== undefined) options.timeoutMs = client.timeout_ms;
  if (client.application !== undefined) options.applicationName = client.application;
  const auth = client.auth ?? 'access_key';
  const service =
    auth === 'access_key'
      ? ServiceClient.fromConnectionString(`Endpoint=${url};AccessKey=${key};Version=1.0;`, options)
      : ServiceClient.fromEndpoint(url, {
          ...options,
          tokenProvider:
            auth === 'token_provider'
              ? async (audience) => sim.accessToken(audience)
              : async (audience) => {
                  throw new Error(`no credential for ${audience}`);
                },
        });
  assert.equal(service.apiVersion, options.apiVersion);
  return service;
}

const files = fs
  .readdirSync(SCENARIOS)
  // surface.json beside the scenarios is the surface manifest (surface.test.js), not a scenario.
  .filter((name) => name.endsWith('.json') && name !== 'surface.json')
  .sort();

/** Each file under each API version it runs under. */
const runs = files.flatMap((file) =>
  apiVersions(fs.readFileSync(path.join(SCENARIOS, file), 'utf8')).map((version) => ({
    file,
    version,
  })),
);

test('the shared scenarios directory is not empty, and scenarios run under both versions', () => {
  assert.ok(files.length >= 26, `too few scenarios in ${SCENARIOS}`);
  for (const version of API_VERSIONS) {
    const count = runs.filter((run) => run.version === version).length;
    assert.ok(count >= files.length - 1, `only ${count} scenarios run under ${version}`);
  }
});

for (const { file, version } of runs) {
  test(`scenario ${file} (API ${version})`, async () => {
    const scenario = parseScenario(file, fs.readFileSync(path.join(SCENARIOS, file), 'utf8'));
    const client = scenario.client ?? {};
    const sim = await Simulator.start({ port: 0 });
    const server = await endpoint(client, sim.url);
    try {
      const run = new Run(sim, serviceClient(client, server.url, sim, version));
      for (const [i, step] of scenario.steps.entries()) {
        await run.step(`${file} (API ${version}): steps[${i}]`, step);
      }
    } finally {
      await server.close();
      await sim.close();
    }
  });
}

test('malformed scenarios are refused naming the file, step and field', async (t) => {
  const text = fs.readFileSync(path.join(SCENARIOS, 'malformed', 'cases.json'), 'utf8');
  const cases = JSON.parse(text);
  assert.ok(cases.length >= 10);
  for (const [i, { error, scenario, not_in: notIn }] of cases.entries()) {
    const label = `cases.json[${i}]`;
    await t.test(label, { skip: notIn?.node }, () => {
      let refusal;
      try {
        parseScenario(label, JSON.stringify(scenario));
      } catch (e) {
        assert.ok(e instanceof ScenarioError, `${label}: ${e}`);
        refusal = e.message;
      }
      assert.equal(refusal, `${label}: ${error}`);
    });
  }
});

test('ordered() makes key order count', () => {
  assert.notDeepEqual(ordered({ a: 1, b: 2 }), ordered({ b: 2, a: 1 }));
  const parsed = JSON.parse('[{"a":[1,{"c":null}]}]');
  assert.deepEqual(ordered([{ a: [1, { c: null }] }]), ordered(parsed));
});
