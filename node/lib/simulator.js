'use strict';
// The local simulator for tests: start it, connect virtual clients, inspect its state.

const addon = require('./addon');
const check = require('./checks');
const { INTERNAL, signalOption } = require('./client');
const { invokeAsync, invokeSync } = require('./invoke');

/** How long `waitFor` waits when no `timeoutMs` is given. */
const DEFAULT_WAIT_MS = 5000;

/** A local stand-in for the service: the v1 REST API on a loopback port, with inspection. */
class Simulator {
  #native;

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
   * `secondaryAccessKey`.
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
    ]);
    const port = check.optionalWholeNumber(read.port, 'port');
    const host = check.optionalString(read.host, 'host');
    const accessKey = check.optionalString(read.accessKey, 'accessKey');
    const pingIntervalMs = check.optionalNumber(read.pingIntervalMs, 'pingIntervalMs');
    const upstreams = check.stringList(read.upstreams, 'upstreams');
    const timeoutMs = check.optionalNumber(read.upstreamTimeoutMs, 'upstreamTimeoutMs');
    const secondary = check.optionalString(read.secondaryAccessKey, 'secondaryAccessKey');
    const native = await invokeAsync(undefined, () =>
      addon.Simulator.start(host, port, accessKey, pingIntervalMs, upstreams, timeoutMs, secondary),
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

  /**
   * A token signed with this simulator's key for `audience` (a request URL), valid for
   * `lifetimeSeconds` (default 3600): what a token provider hands out in tests.
   */
  accessToken(audience, options) {
    const read = check.options(options, 'accessToken', ['lifetimeSeconds']);
    const url = check.string(audience, 'audience');
    const lifetime = check.optionalNumber(read.lifetimeSeconds, 'lifetimeSeconds') ?? 3600;
    return invokeSync(() => this.#native.accessToken(url, lifetime));
  }

  /** Connects an in-process client to `hub`, as `userId` if given. */
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

  /** The hub's groups that have connections: `[{ name, connectionIds }]`. */
  groups(hub) {
    const name = check.string(hub, 'hub');
    return invokeSync(() => this.#native.groups(name));
  }

  /** The hub's live connections: `[{ connectionId, userId }]`. */
  connections(hub) {
    const name = check.string(hub, 'hub');
    return invokeSync(() => this.#native.connections(name)).map(({ connectionId, userId }) => ({
      connectionId,
      userId: userId ?? null,
    }));
  }

  /** The hub's unexpired user-group mappings: `[{ userId, group, expiresAt }]`. */
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

  /** Moves the simulator's clock forward by `seconds`, expiring user-group TTLs. */
  advanceClock(seconds) {
    const by = check.number(seconds, 'seconds');
    invokeSync(() => this.#native.advanceClock(by));
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

/** A client connected in-process to a simulator hub, recording what it receives. */
class VirtualClient {
  #native;

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
    return JSON.parse(invokeSync(() => this.#native.receivedJson()));
  }

  /** Whether the service closed this connection. */
  get closed() {
    return this.#native.isClosed;
  }

  /** The reason the service gave when it closed the connection, or null. */
  get closeReason() {
    return this.#native.closeReason ?? null;
  }

  /** The first invocation of `target`, waiting up to `timeoutMs` (default 5000) for it. */
  async waitFor(target, options) {
    const { signal, timeoutMs } = signalOption(options, 'waitFor', ['timeoutMs']);
    const t = check.string(target, 'target');
    const ms = check.optionalNumber(timeoutMs, 'timeoutMs') ?? DEFAULT_WAIT_MS;
    const json = await invokeAsync(signal, (c) => this.#native.waitForJson(t, ms, c));
    return JSON.parse(json)[0];
  }

  /** Disconnects from the hub, leaving every group. */
  disconnect() {
    this.#native.disconnect();
  }
}

module.exports = { Simulator, VirtualClient };
