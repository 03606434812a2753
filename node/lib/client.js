'use strict';
// @ts-check
// ServiceClient and HubClient: the REST operations as Promise-returning methods.

const addon = require('./addon');
const check = require('./checks');
const { InvalidArgumentError } = require('./errors');
const { invokeAsync, invokeSync } = require('./invoke');
const { nativeLogger } = require('./logging');

/** @typedef {import('./addon').ClientOptions} NativeClientOptions */
/** @typedef {import('../index').ClientOptions} PublicClientOptions */
/** @typedef {import('../index').ServiceClient} PublicServiceClient */
/** @typedef {import('../index').HubClient} PublicHubClient */

/** Lets only this module construct the classes around native handles. */
const INTERNAL = Symbol('signalr-rest internal');

/**
 * The options of `method` with `signal` checked; `extraKeys` are its other known keys.
 * @template {{ signal?: AbortSignal }} T
 * @param {T | null | undefined} options
 * @param {string} method
 * @param {readonly string[]} [extraKeys]
 * @returns {Partial<Omit<T, 'signal'>> & { signal: AbortSignal | undefined }}
 */
function signalOption(options, method, extraKeys = []) {
  const read = check.options(options, method, ['signal', ...extraKeys]);
  return { ...read, signal: check.optionalSignal(read.signal, `${method} options.signal`) };
}

/** The options every way of making a client takes. */
const SETTINGS = ['timeoutMs', 'retry', 'apiVersion', 'applicationName', 'tokenLifetimeSeconds', 'logger'];

/**
 * The native ClientOptions of `read`, checked.
 * @param {Partial<PublicClientOptions>} read
 * @returns {NativeClientOptions}
 */
function clientSettings(read) {
  /** @type {NativeClientOptions} */
  const settings = {
    timeoutMs: check.optionalNumber(read.timeoutMs, 'timeoutMs'),
    apiVersion: check.optionalString(read.apiVersion, 'apiVersion'),
    applicationName: check.optionalString(read.applicationName, 'applicationName'),
    tokenLifetimeSeconds: check.optionalNumber(read.tokenLifetimeSeconds, 'tokenLifetimeSeconds'),
    runtime: `node ${process.version}`,
  };
  if (read.retry !== undefined && read.retry !== null) {
    const retry = check.options(read.retry, 'retry', ['maxRetries', 'initialDelayMs', 'maxDelayMs']);
    settings.retry = {
      maxRetries: check.optionalWholeNumber(retry.maxRetries, 'retry.maxRetries'),
      initialDelayMs: check.optionalNumber(retry.initialDelayMs, 'retry.initialDelayMs'),
      maxDelayMs: check.optionalNumber(retry.maxDelayMs, 'retry.maxDelayMs'),
    };
  }
  return settings;
}

/**
 * Why a value is not a token, for the error naming the provider.
 * @param {unknown} value
 * @returns {string}
 */
function notAToken(value) {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return `it resolved to ${kind}, not a string`;
}

/**
 * `provider` wrapped for the addon, or undefined: the wrapper never throws or rejects, so the
 * Rust side sees every outcome as a TokenAnswer (`{ token }` or `{ error, name }`).
 */
/**
 * @param {unknown} provider
 * @returns {((audience: string) => Promise<import('./addon').TokenAnswer>) | undefined}
 */
function nativeTokenProvider(provider) {
  if (provider === undefined || provider === null) return undefined;
  if (typeof provider !== 'function') {
    throw new TypeError(
      `tokenProvider must be a function (audience) => Promise<string>, got ${typeof provider}`,
    );
  }
  const name = provider.name || 'tokenProvider';
  const call = /** @type {import('../index').TokenProvider} */ (provider);
  /** @type {(audience: string) => Promise<import('./addon').TokenAnswer>} */
  const wrapped = async (audience) => {
    try {
      const token = await call(audience);
      if (typeof token !== 'string') return { error: notAToken(token), name };
      return { token };
    } catch (error) {
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { error: why, name };
    }
  };
  return wrapped;
}

/**
 * What the methods of a closed client throw.
 * @returns {InvalidArgumentError}
 */
function closedError() {
  return new InvalidArgumentError('invalid client: this ServiceClient has been closed', 'client');
}

/**
 * A client of one service endpoint; create it with `ServiceClient.fromConnectionString` or
 * `ServiceClient.fromEndpoint`.
 * @implements {PublicServiceClient}
 */
class ServiceClient {
  /** @type {import('./addon').ServiceClient | null} */
  #handle;

  /**
   * @param {symbol} token
   * @param {import('./addon').ServiceClient} native
   */
  constructor(token, native) {
    if (token !== INTERNAL) {
      throw new TypeError('use ServiceClient.fromConnectionString(connectionString, options)');
    }
    this.#handle = native;
  }

  /**
   * The native client; throws once closed.
   * @returns {import('./addon').ServiceClient}
   */
  get #native() {
    if (this.#handle === null) throw closedError();
    return this.#handle;
  }

  /** Lets go of this client; hub clients made from it keep working until dropped. */
  async close() {
    this.#handle = null;
  }

  /** `await using client = ...` closes it. */
  async [Symbol.asyncDispose]() {
    await this.close();
  }

  /**
   * The URL a SignalR client connects to for `hub` (the client endpoint when set).
   * @param {string} hub
   */
  clientUrl(hub) {
    const name = check.string(hub, 'hub');
    return invokeSync(() => this.#native.clientUrl(name));
  }

  /**
   * A client from `Endpoint=...;AccessKey=...;Version=1.0;` and optional settings; a connection
   * string with `AuthType=aad` (no key) needs `tokenProvider`.
   * @param {string} connectionString
   * @param {import('../index').ConnectionStringOptions} [options]
   */
  static fromConnectionString(connectionString, options) {
    const read = check.options(options, 'fromConnectionString', [...SETTINGS, 'tokenProvider']);
    const settings = clientSettings(read);
    const provider = nativeTokenProvider(read.tokenProvider);
    const cs = check.string(connectionString, 'connectionString');
    const logger = nativeLogger(read.logger);
    const native = invokeSync(() =>
      addon.ServiceClient.fromConnectionString(cs, settings, provider, logger),
    );
    return new ServiceClient(INTERNAL, native);
  }

  /**
   * A client of `endpoint` (`https://<name>.service.signalr.net`) that signs requests with
   * `accessKey`, or takes every request's token from `tokenProvider` (Microsoft Entra ID).
   * @param {string} endpoint
   * @param {import('../index').EndpointOptions} options
   */
  static fromEndpoint(endpoint, options) {
    const read = check.options(options, 'fromEndpoint', [
      ...SETTINGS,
      'accessKey',
      'tokenProvider',
      'clientEndpoint',
    ]);
    const url = check.string(endpoint, 'endpoint');
    const accessKey = check.optionalString(read.accessKey, 'accessKey');
    const clientEndpoint = check.optionalString(read.clientEndpoint, 'clientEndpoint');
    const provider = nativeTokenProvider(read.tokenProvider);
    if ((accessKey === undefined) === (provider === undefined)) {
      throw new TypeError('fromEndpoint options need one of accessKey and tokenProvider');
    }
    const settings = clientSettings(read);
    const logger = nativeLogger(read.logger);
    const native = invokeSync(() =>
      addon.ServiceClient.fromEndpoint(url, accessKey, clientEndpoint, settings, provider, logger),
    );
    return new ServiceClient(INTERNAL, native);
  }

  /** The REST endpoint, without trailing slash. */
  get endpoint() {
    return this.#native.endpoint;
  }

  /** The application name hubs are prefixed with (lower case), or `undefined`. */
  get applicationName() {
    return this.#native.applicationName ?? undefined;
  }

  /** The REST API version this client speaks: `'1.0'` or `'2022-06-01'`. */
  get apiVersion() {
    // The core speaks only the versions ApiVersion lists.
    return /** @type {import('../index').ApiVersion} */ (this.#native.apiVersion);
  }

  /**
   * A client for the operations of hub `name`.
   * @param {string} name
   */
  hub(name) {
    const hub = check.string(name, 'hub');
    return new HubClient(INTERNAL, invokeSync(() => this.#native.hub(hub)));
  }

  /**
   * Resolves when the service answers its health check.
   * @param {import('../index').CallOptions} [options]
   */
  async health(options) {
    const { signal } = signalOption(options, 'health');
    return invokeAsync(signal, (c) => this.#native.health(c));
  }

  /**
   * The `{ url, accessToken }` a negotiate endpoint returns to a SignalR client of `hub`.
   * @param {string} hub
   * @param {import('../index').NegotiateOptions} [options]
   */
  negotiate(hub, options) {
    const read = check.options(options, 'negotiate', ['userId', 'lifetimeSeconds', 'claims']);
    const name = check.string(hub, 'hub');
    const settings = {
      userId: check.optionalString(read.userId, 'userId'),
      lifetimeSeconds: check.optionalNumber(read.lifetimeSeconds, 'lifetimeSeconds'),
      claimsJson: check.jsonClaims(read.claims),
    };
    const { url, accessToken } = invokeSync(() => this.#native.negotiate(name, settings));
    return { url, accessToken };
  }

  /**
   * The `{ url, accessToken }` for a SignalR client of `hub`, with a service-generated token.
   * @param {string} hub
   * @param {import('../index').ServiceTokenOptions} [options]
   */
  async negotiateWithService(hub, options) {
    const read = signalOption(options, 'negotiateWithService', ['userId', 'lifetimeSeconds']);
    const name = check.string(hub, 'hub');
    const settings = tokenSettings(read);
    const { url, accessToken } = await invokeAsync(read.signal, (c) =>
      this.#native.negotiateWithService(name, settings, c),
    );
    return { url, accessToken };
  }
}

/**
 * Options of the close-many operations: `signal`, `excluded` ids (`skip`), `reason` (`why`).
 * @param {import('../index').CloseConnectionsOptions | undefined} options
 * @param {string} method
 */
function closeManyOptions(options, method) {
  const { signal, excluded, reason } = signalOption(options, method, ['excluded', 'reason']);
  return {
    signal,
    skip: check.stringList(excluded, 'excluded'),
    why: check.optionalString(reason, 'reason'),
  };
}

/**
 * The settings of a service-generated client token (no custom claims: the service adds none).
 * @param {Partial<import('../index').ServiceTokenOptions>} read
 * @returns {import('./addon').NegotiateOptions}
 */
function tokenSettings(read) {
  return {
    userId: check.optionalString(read.userId, 'userId'),
    lifetimeSeconds: check.optionalNumber(read.lifetimeSeconds, 'lifetimeSeconds'),
  };
}

/**
 * The operations on one hub; get one from `ServiceClient.hub(name)`.
 * @implements {PublicHubClient}
 */
class HubClient {
  /** @type {import('./addon').HubClient} */
  #native;

  /**
   * @param {symbol} token
   * @param {import('./addon').HubClient} native
   */
  constructor(token, native) {
    if (token !== INTERNAL) throw new TypeError('use serviceClient.hub(name)');
    this.#native = native;
  }

  /** The hub name as used in request paths (lower case). */
  get name() {
    return this.#native.name;
  }

  /**
   * Sends `target(...args)` to every connection of the hub except `excluded` ids.
   * @param {string} target
   * @param {readonly import('../index').JsonValue[]} [args]
   * @param {import('../index').SendOptions} [options]
   */
  async sendToAll(target, args, options) {
    const { signal, excluded } = signalOption(options, 'sendToAll', ['excluded']);
    const t = check.string(target, 'target');
    const json = check.jsonArguments(args);
    const skip = check.stringList(excluded, 'excluded');
    return invokeAsync(signal, (c) => this.#native.sendToAll(t, json, skip, c));
  }

  /**
   * Sends `target(...args)` to every connection of user `userId`.
   * @param {string} userId
   * @param {string} target
   * @param {readonly import('../index').JsonValue[]} [args]
   * @param {import('../index').CallOptions} [options]
   */
  async sendToUser(userId, target, args, options) {
    const { signal } = signalOption(options, 'sendToUser');
    const user = check.string(userId, 'userId');
    const t = check.string(target, 'target');
    const json = check.jsonArguments(args);
    return invokeAsync(signal, (c) => this.#native.sendToUser(user, t, json, c));
  }

  /**
   * Sends `target(...args)` to one connection.
   * @param {string} connectionId
   * @param {string} target
   * @param {readonly import('../index').JsonValue[]} [args]
   * @param {import('../index').CallOptions} [options]
   */
  async sendToConnection(connectionId, target, args, options) {
    const { signal } = signalOption(options, 'sendToConnection');
    const id = check.string(connectionId, 'connectionId');
    const t = check.string(target, 'target');
    const json = check.jsonArguments(args);
    return invokeAsync(signal, (c) => this.#native.sendToConnection(id, t, json, c));
  }

  /**
   * Sends `target(...args)` to every connection in `group` except `excluded` ids.
   * @param {string} group
   * @param {string} target
   * @param {readonly import('../index').JsonValue[]} [args]
   * @param {import('../index').SendOptions} [options]
   */
  async sendToGroup(group, target, args, options) {
    const { signal, excluded } = signalOption(options, 'sendToGroup', ['excluded']);
    const g = check.string(group, 'group');
    const t = check.string(target, 'target');
    const json = check.jsonArguments(args);
    const skip = check.stringList(excluded, 'excluded');
    return invokeAsync(signal, (c) => this.#native.sendToGroup(g, t, json, skip, c));
  }

  /**
   * Whether the connection is connected.
   * @param {string} connectionId
   * @param {import('../index').CallOptions} [options]
   */
  async connectionExists(connectionId, options) {
    const { signal } = signalOption(options, 'connectionExists');
    const id = check.string(connectionId, 'connectionId');
    return invokeAsync(signal, (c) => this.#native.connectionExists(id, c));
  }

  /**
   * Closes a connection, giving the client `reason`; closing a gone connection succeeds.
   * @param {string} connectionId
   * @param {import('../index').CloseOptions} [options]
   */
  async closeConnection(connectionId, options) {
    const { signal, reason } = signalOption(options, 'closeConnection', ['reason']);
    const id = check.string(connectionId, 'connectionId');
    const why = check.optionalString(reason, 'reason');
    return invokeAsync(signal, (c) => this.#native.closeConnection(id, why, c));
  }

  /**
   * Whether `group` has at least one connection.
   * @param {string} group
   * @param {import('../index').CallOptions} [options]
   */
  async groupExists(group, options) {
    const { signal } = signalOption(options, 'groupExists');
    const g = check.string(group, 'group');
    return invokeAsync(signal, (c) => this.#native.groupExists(g, c));
  }

  /**
   * Whether user `userId` has at least one connection.
   * @param {string} userId
   * @param {import('../index').CallOptions} [options]
   */
  async userExists(userId, options) {
    const { signal } = signalOption(options, 'userExists');
    const user = check.string(userId, 'userId');
    return invokeAsync(signal, (c) => this.#native.userExists(user, c));
  }

  /**
   * Adds a connection to `group`; NotFoundError if the connection does not exist.
   * @param {string} group
   * @param {string} connectionId
   * @param {import('../index').CallOptions} [options]
   */
  async addConnectionToGroup(group, connectionId, options) {
    const { signal } = signalOption(options, 'addConnectionToGroup');
    const g = check.string(group, 'group');
    const id = check.string(connectionId, 'connectionId');
    return invokeAsync(signal, (c) => this.#native.addConnectionToGroup(g, id, c));
  }

  /**
   * Removes a connection from `group`; NotFoundError if it was not in it.
   * @param {string} group
   * @param {string} connectionId
   * @param {import('../index').CallOptions} [options]
   */
  async removeConnectionFromGroup(group, connectionId, options) {
    const { signal } = signalOption(options, 'removeConnectionFromGroup');
    const g = check.string(group, 'group');
    const id = check.string(connectionId, 'connectionId');
    return invokeAsync(signal, (c) => this.#native.removeConnectionFromGroup(g, id, c));
  }

  /**
   * Whether user `userId` is mapped to `group`, connected or not.
   * @param {string} group
   * @param {string} userId
   * @param {import('../index').CallOptions} [options]
   */
  async userInGroup(group, userId, options) {
    const { signal } = signalOption(options, 'userInGroup');
    const g = check.string(group, 'group');
    const user = check.string(userId, 'userId');
    return invokeAsync(signal, (c) => this.#native.userInGroup(g, user, c));
  }

  /**
   * Maps user `userId` to `group` (current and future connections join) for `ttlSeconds`.
   * @param {string} group
   * @param {string} userId
   * @param {import('../index').AddUserOptions} [options]
   */
  async addUserToGroup(group, userId, options) {
    const { signal, ttlSeconds } = signalOption(options, 'addUserToGroup', ['ttlSeconds']);
    const g = check.string(group, 'group');
    const user = check.string(userId, 'userId');
    const ttl = check.optionalNumber(ttlSeconds, 'ttlSeconds');
    return invokeAsync(signal, (c) => this.#native.addUserToGroup(g, user, ttl, c));
  }

  /**
   * Removes user `userId` from `group`, pulling its connections out of it.
   * @param {string} group
   * @param {string} userId
   * @param {import('../index').CallOptions} [options]
   */
  async removeUserFromGroup(group, userId, options) {
    const { signal } = signalOption(options, 'removeUserFromGroup');
    const g = check.string(group, 'group');
    const user = check.string(userId, 'userId');
    return invokeAsync(signal, (c) => this.#native.removeUserFromGroup(g, user, c));
  }

  /**
   * Removes user `userId` from every group.
   * @param {string} userId
   * @param {import('../index').CallOptions} [options]
   */
  async removeUserFromAllGroups(userId, options) {
    const { signal } = signalOption(options, 'removeUserFromAllGroups');
    const user = check.string(userId, 'userId');
    return invokeAsync(signal, (c) => this.#native.removeUserFromAllGroups(user, c));
  }

  /**
   * Closes every connection of the hub except `excluded` ids; each client gets `reason`.
   * @param {import('../index').CloseConnectionsOptions} [options]
   */
  async closeAllConnections(options) {
    const { signal, skip, why } = closeManyOptions(options, 'closeAllConnections');
    return invokeAsync(signal, (c) => this.#native.closeAllConnections(skip, why, c));
  }

  /**
   * Closes every connection in `group` except `excluded` ids; each client gets `reason`.
   * @param {string} group
   * @param {import('../index').CloseConnectionsOptions} [options]
   */
  async closeGroupConnections(group, options) {
    const { signal, skip, why } = closeManyOptions(options, 'closeGroupConnections');
    const g = check.string(group, 'group');
    return invokeAsync(signal, (c) => this.#native.closeGroupConnections(g, skip, why, c));
  }

  /**
   * Closes every connection of user `userId` except `excluded` ids; each client gets `reason`.
   * @param {string} userId
   * @param {import('../index').CloseConnectionsOptions} [options]
   */
  async closeUserConnections(userId, options) {
    const { signal, skip, why } = closeManyOptions(options, 'closeUserConnections');
    const user = check.string(userId, 'userId');
    return invokeAsync(signal, (c) => this.#native.closeUserConnections(user, skip, why, c));
  }

  /**
   * Takes connection `connectionId` out of every group it is in.
   * @param {string} connectionId
   * @param {import('../index').CallOptions} [options]
   */
  async removeConnectionFromAllGroups(connectionId, options) {
    const { signal } = signalOption(options, 'removeConnectionFromAllGroups');
    const id = check.string(connectionId, 'connectionId');
    return invokeAsync(signal, (c) => this.#native.removeConnectionFromAllGroups(id, c));
  }

  /**
   * A client access token for this hub, generated by the service (`:generateToken`).
   * @param {import('../index').ServiceTokenOptions} [options]
   */
  async generateClientToken(options) {
    const read = signalOption(options, 'generateClientToken', ['userId', 'lifetimeSeconds']);
    const settings = tokenSettings(read);
    return invokeAsync(read.signal, (c) => this.#native.generateClientToken(settings, c));
  }
}

module.exports = { ServiceClient, HubClient, INTERNAL, signalOption };
