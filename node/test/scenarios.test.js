'use strict';
// Replays every shared scenario in tests/scenarios/ through the public API.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { ServiceClient, Simulator, SignalRError } = require('..');

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
};

class Run {
  constructor(sim) {
    this.sim = sim;
    this.service = ServiceClient.fromConnectionString(sim.connectionString);
    this.clients = new Map();
  }

  client(name) {
    assert.ok(this.clients.has(name), `no client named ${name}`);
    return this.clients.get(name);
  }

  id(text) {
    return text.startsWith('$') ? this.client(text.slice(1)).connectionId : text;
  }

  ids(list) {
    return (list ?? []).map((text) => this.id(text));
  }

  async call(step) {
    const operation = OPERATIONS[step.call];
    assert.ok(operation, `unknown operation ${step.call}`);
    try {
      const value = await operation(this.service.hub(step.hub), step, this);
      return value === undefined ? 'ok' : value;
    } catch (error) {
      assert.ok(error instanceof SignalRError, `not a SignalRError: ${error}`);
      return { error: error.code };
    }
  }

  async step(step) {
    const where = JSON.stringify(step);
    if ('connect' in step) {
      this.clients.set(step.connect, this.sim.connect(step.hub, { userId: step.user }));
    } else if ('disconnect' in step) {
      this.client(step.disconnect).disconnect();
    } else if ('call' in step) {
      assert.deepEqual(await this.call(step), step.expect, where);
    } else if ('received' in step) {
      assert.deepEqual(this.client(step.received).received, step.messages, where);
    } else if ('closed' in step) {
      const client = this.client(step.closed);
      assert.ok(client.closed, where);
      assert.equal(client.closeReason, step.reason, where);
    } else if ('advance_clock' in step) {
      this.sim.advanceClock(step.advance_clock);
    } else if ('groups' in step) {
      const actual = Object.fromEntries(
        this.sim.groups(step.groups).map((g) => [g.name, [...g.connectionIds].sort()]),
      );
      const expected = Object.fromEntries(
        Object.entries(step.expect).map(([name, ids]) => [name, this.ids(ids).sort()]),
      );
      assert.deepEqual(actual, expected, where);
    } else {
      assert.fail(`unknown step ${where}`);
    }
  }
}

const files = fs
  .readdirSync(SCENARIOS)
  .filter((name) => name.endsWith('.json'))
  .sort();

test('the shared scenarios directory is not empty', () => {
  assert.ok(files.length > 0, `no scenarios in ${SCENARIOS}`);
});

for (const file of files) {
  const scenario = JSON.parse(fs.readFileSync(path.join(SCENARIOS, file), 'utf8'));
  test(`scenario ${file}: ${scenario.name}`, async () => {
    const sim = await Simulator.start({ port: 0 });
    try {
      const run = new Run(sim);
      for (const step of scenario.steps) await run.step(step);
    } finally {
      await sim.close();
    }
  });
}
