'use strict';
// @ts-check
// The local simulator for tests: start it, connect virtual clients, inspect its state.

const addon = require('./addon');
const check = require('./checks');
const { INTERNAL, signalOption } = require('./client');
const { InvalidArgumentError } = require('./errors');
const { invokeAsync, invokeSync } = require('./invoke');

/** @typedef {import('../index').Invocation} Invocation */
/** @typedef {import('../index').Simulator} PublicSimulator */
/** @typedef {import('../index').VirtualClient} PublicVirtualClient */

/**
 * `faultSeed` as given, `undefined` if absent: a whole number from 0 to
 * `Number.MAX_SAFE_INTEGER` (a larger one would not be the seed written).
 * @param {unknown} value
 * @returns {number | undefined}
 */
function faultSeed(value) {
  const seed = check.optionalNumber(value, 'faultSeed');
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) {
    throw new InvalidArgumentError(
      `faultSeed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${seed}`,
      'faultSeed',
    );
  }
  return seed;
}

/** How long `waitFor` waits when no `timeoutMs` is given. */
const DEFAULT_WAIT_MS = 5000;

/**
 * A local stand-in for the service: the v1 REST API on a loopback port, with inspection.
 * @implements {PublicSimulator}
 */
class Simulator {
  /** @type {import('./addon').Simulator} */
  #native;

  /**
   * @param {symbol} token
   * @param {import('./addon').Simulator} native
   */
  constructor(token, native) {
    if (token !== INTERNAL) throw new TypeError('use await Simulator.start(options)');
    this.#native = native;
  }

  /**
   * Starts a simulator on `host` (default 127.0.0.1) and `port` (default 0: the OS picks);
   * a WebSocket client silent for `pingIntervalMs` (default 15000) gets a ping.
   * `upstreams` makes hubs serverless: templates as the CLI's `--upstream` takes them
   * (`'URL;hub=..;category=..;event=..'`), tried in order; each call may take
   * `upstreamTimeoutMs` (default 30000) and is signed with the access key and, when given,
   * `secondaryAccessKey`. `dashboard` serves the live dashboard at `dashboardUrl`: by default
   * only when `host` is a loopback address, since the page has no login. `faults` are fault rules
   * in force from the start (`'503;route=send;times=2'`, see `addFault`); `faultSeed` makes the
   * draws of rules with a `fraction` repeatable.
   * @param {import('../index').SimulatorOptions} [options]
   */
  static async start(options) {
    const read = check.options(options, 'Simulator.start', [
      'port',
      'host',
      'accessKey',
      'pingIntervalMs',
      'upstreams',
      'upstreamTimeoutMs',
      'secondaryAccessKey',
      'dashboard',
      'faults',
      'faultSeed',
    ]);
    const port = check.optionalWholeNumber(read.port, 'port');
    const host = check.optionalString(read.host, 'host');
    const accessKey = check.optionalString(read.accessKey, 'accessKey');
    const pingIntervalMs = check.optionalNumber(read.pingIntervalMs, 'pingIntervalMs');
    const upstreams = check.stringList(read.upstreams, 'upstreams');
    const timeoutMs = check.optionalNumber(read.upstreamTimeoutMs, 'upstreamTimeoutMs');
    const secondary = check.optionalString(read.secondaryAccessKey, 'secondaryAccessKey');
    const dashboard = check.optionalBoolean(read.dashboard, 'dashboard');
    const faults = check.stringList(read.faults, 'faults');
    const seed = faultSeed(read.faultSeed);
    const native = await invokeAsync(undefined, () =>
      addon.Simulator.start(
        host,
        port,
        accessKey,
        pingIntervalMs,
        upstreams,
        timeoutMs,
        secondary,
        dashboard,
        faults,
        seed,
      ),
    );
    return new Simulator(INTERNAL, native);
  }

  /** `http://127.0.0.1:<port>` (127.0.0.1 also when listening on `0.0.0.0`). */
  get url() {
    return this.#native.url;
  }

  /** The connection string for `ServiceClient.fromConnectionString`. */
  get connectionString() {
    return this.#native.connectionString;
  }

  /** The access key tokens must be signed with. */
  get accessKey() {
    return this.#native.accessKey;
  }

  /** The live dashboard's URL (`${url}/dashboard/`), or null when it is not served. */
  get dashboardUrl() {
    return this.#native.dashboardUrl ?? null;
  }

  /**
   * A token signed with this simulator's key for `audience` (a request URL), valid for
   * `lifetimeSeconds` (default 3600): what a token provider hands out in tests.
   * @param {string} audience
   * @param {{ lifetimeSeconds?: number }} [options]
   */
  accessToken(audience, options) {
    const read = check.options(options, 'accessToken', ['lifetimeSeconds']);
    const url = check.string(audience, 'audience');
    const lifetime = check.optionalNumber(read.lifetimeSeconds, 'lifetimeSeconds') ?? 3600;
    return invokeSync(() => this.#native.accessToken(url, lifetime));
  }

  /**
   * Connects an in-process client to `hub`, as `userId` if given.
   * @param {string} hub
   * @param {{ userId?: string }} [options]
   */
  connect(hub, options) {
    const read = check.options(options, 'connect', ['userId']);
    const name = check.string(hub, 'hub');
    const userId = check.optionalString(read.userId, 'userId');
    return new VirtualClient(INTERNAL, invokeSync(() => this.#native.connect(name, userId)));
  }

  /** Names of the hubs any call has used, lower case, sorted. */
  hubs() {
    return invokeSync(() => this.#native.hubs());
  }

  /**
   * The hub's groups that have connections: `[{ name, connectionIds }]`.
   * @param {string} hub
   */
  groups(hub) {
    const name = check.string(hub, 'hub');
    return invokeSync(() => this.#native.groups(name));
  }

  /**
   * The hub's live connections: `[{ connectionId, userId }]`.
   * @param {string} hub
   */
  connections(hub) {
    const name = check.string(hub, 'hub');
    return invokeSync(() => this.#native.connections(name)).map(({ connectionId, userId }) => ({
      connectionId,
      userId: userId ?? null,
    }));
  }

  /**
   * The hub's unexpired user-group mappings: `[{ userId, group, expiresAt }]`.
   * @param {string} hub
   */
  userGroups(hub) {
    const name = check.string(hub, 'hub');
    return invokeSync(() => this.#native.userGroups(name)).map((m) => ({
      userId: m.userId,
      group: m.group,
      expiresAt: new Date(m.expiresAtMs),
    }));
  }

  /**
   * The upstream calls made so far (the last 1000), oldest first:
   * `[{ connectionId, hub, category, event, url, status, error }]` (`status` null when no
   * answer came, `error` null unless it failed).
   */
  get upstreamCalls() {
    return invokeSync(() => this.#native.upstreamCalls()).map((c) => ({
      connectionId: c.connectionId,
      hub: c.hub,
      category: c.category,
      event: c.event,
      url: c.url,
      status: c.status ?? null,
      error: c.error ?? null,
    }));
  }

  /**
   * Moves the simulator's clock forward by `seconds`, expiring user-group TTLs.
   * @param {number} seconds
   */
  advanceClock(seconds) {
    const by = check.number(seconds, 'seconds');
    invokeSync(() => this.#native.advanceClock(by));
  }

  /**
   * Adds a fault rule after the others and returns its id (`'f1'`). The rule is
   * `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]`, ACTION a status
   * (400-599), `delay=DURATION` (`250ms`, `2s`) or `reset`; a bad rule throws
   * InvalidArgumentError naming the bad part.
   * @param {string} rule
   */
  addFault(rule) {
    const text = check.string(rule, 'rule');
    return invokeSync(() => this.#native.addFault(text));
  }

  /**
   * Removes the fault rule with this id; false if there is none (it may have run out).
   * @param {string} id
   */
  removeFault(id) {
    const text = check.string(id, 'id');
    return invokeSync(() => this.#native.removeFault(text));
  }

  /** Removes every fault rule. */
  clearFaults() {
    invokeSync(() => this.#native.clearFaults());
  }

  /** The fault rules in force, in order: `[{ id, fault, injected }]`. */
  faults() {
    return invokeSync(() => this.#native.faults()).map(({ id, fault, injected }) => ({
      id,
      fault,
      injected,
    }));
  }

  /**
   * The faults injected so far (the last 1000), oldest first: `[{ faultId, fault, target, hub }]`
   * (`faultId` empty and `fault` `drop`, `drop;close` or `pause=...ms` for a drop or pause asked
   * for directly; `hub` null when not known).
   */
  injectedFaults() {
    return invokeSync(() => this.#native.injectedFaults()).map((f) => ({
      faultId: f.faultId,
      fault: f.fault,
      target: f.target,
      hub: f.hub ?? null,
    }));
  }

  /**
   * Drops the hub's clients (or the one `connectionId` names) as a failing network would: with a
   * Close that allows reconnecting when `close` (default true), else the socket just ends.
   * Returns the ids dropped.
   * @param {string} hub
   * @param {{ connectionId?: string, close?: boolean }} [options]
   */
  dropClients(hub, options) {
    const read = check.options(options, 'dropClients', ['connectionId', 'close']);
    const name = check.string(hub, 'hub');
    const connectionId = check.optionalString(read.connectionId, 'connectionId');
    const close = check.optionalBoolean(read.close, 'close') ?? true;
    return invokeSync(() => this.#native.dropClients(name, connectionId, close));
  }

  /**
   * Stalls the hub's WebSocket clients (or the one `connectionId` names) for `durationMs` (at
   * most an hour): nothing is written to or read from their sockets meanwhile, and messages wait.
   * Returns the ids paused (virtual clients have no socket and are not paused).
   * @param {string} hub
   * @param {number} durationMs
   * @param {{ connectionId?: string }} [options]
   */
  pauseClients(hub, durationMs, options) {
    const read = check.options(options, 'pauseClients', ['connectionId']);
    const name = check.string(hub, 'hub');
    const ms = check.number(durationMs, 'durationMs');
    const connectionId = check.optionalString(read.connectionId, 'connectionId');
    return invokeSync(() => this.#native.pauseClients(name, ms, connectionId));
  }

  /** Stops serving and resolves once the server has ended; closing twice is harmless. */
  async close() {
    await invokeAsync(undefined, () => this.#native.close());
  }

  /** `await using sim = await Simulator.start()` closes it at the end of the block. */
  async [Symbol.asyncDispose]() {
    await this.close();
  }
}

/**
 * A client connected in-process to a simulator hub, recording what it receives.
 * @implements {PublicVirtualClient}
 */
class VirtualClient {
  /** @type {import('./addon').VirtualClient} */
  #native;

  /**
   * @param {symbol} token
   * @param {import('./addon').VirtualClient} native
   */
  constructor(token, native) {
    if (token !== INTERNAL) throw new TypeError('use simulator.connect(hub, options)');
    this.#native = native;
  }

  /** The connection id REST calls address it by. */
  get connectionId() {
    return this.#native.connectionId;
  }

  /** The user id it connected as, or null. */
  get userId() {
    return this.#native.userId ?? null;
  }

  /** Every invocation received so far, in order: `[{ target, arguments }]`. */
  get received() {
    return /** @type {Invocation[]} */ (this.#native.received());
  }

  /** Whether the service closed this connection. */
  get closed() {
    return this.#native.isClosed;
  }

  /** The reason the service gave when it closed the connection, or null. */
  get closeReason() {
    return this.#native.closeReason ?? null;
  }

  /**
   * The first invocation of `target`, waiting up to `timeoutMs` (default 5000) for it.
   * @param {string} target
   * @param {import('../index').CallOptions & { timeoutMs?: number }} [options]
   * @returns {Promise<Invocation>}
   */
  async waitFor(target, options) {
    const { signal, timeoutMs } = signalOption(options, 'waitFor', ['timeoutMs']);
    const t = check.string(target, 'target');
    const ms = check.optionalNumber(timeoutMs, 'timeoutMs') ?? DEFAULT_WAIT_MS;
    const message = await invokeAsync(signal, (c) => this.#native.waitFor(t, ms, c));
    return /** @type {Invocation} */ (message);
  }

  /** Disconnects from the hub, leaving every group. */
  disconnect() {
    this.#native.disconnect();
  }
}

module.exports = { Simulator, VirtualClient };
