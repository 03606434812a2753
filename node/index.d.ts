/**
 * Azure SignalR Service data-plane REST API (v1 and 2022-06-01): a client for every operation and
 * a local simulator for tests, on a Rust core.
 *
 * @example
 * ```ts
 * import { ServiceClient } from 'signalr-rest';
 * const client = ServiceClient.fromConnectionString(process.env.AZURE_SIGNALR_CONNECTION_STRING!);
 * await client.hub('chat').sendToAll('newMessage', ['hello']);
 * ```
 */

/** This package's version. */
export declare const version: string;

/** Any value JSON can carry: what hub method arguments and token claims may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Options every network call accepts. */
export interface CallOptions {
  /** Aborting it cancels the request; the Promise rejects with {@link AbortError}. */
  signal?: AbortSignal;
}

/** Options of {@link HubClient.sendToAll} and {@link HubClient.sendToGroup}. */
export interface SendOptions extends CallOptions {
  /** Connection ids that must not receive the message. */
  excluded?: readonly string[];
}

/** Options of {@link HubClient.closeConnection}. */
export interface CloseOptions extends CallOptions {
  /** Given to the client in its Close message. */
  reason?: string;
}

/**
 * Options of {@link HubClient.closeAllConnections}, {@link HubClient.closeGroupConnections} and
 * {@link HubClient.closeUserConnections}.
 */
export interface CloseConnectionsOptions extends CallOptions {
  /** Connection ids to leave open. */
  excluded?: readonly string[];
  /** Given to each closed client in its Close message. */
  reason?: string;
}

/** Options of {@link HubClient.addUserToGroup}. */
export interface AddUserOptions extends CallOptions {
  /**
   * Whole seconds the mapping lives; without it, at most a year. `0` adds only the user's
   * current connections.
   */
  ttlSeconds?: number;
}

/** Retry of failed calls: exponential backoff with jitter. */
export interface RetryOptions {
  /** Attempts after the first one (default 3; 0 disables retries). */
  maxRetries?: number;
  /** Wait before the first retry in milliseconds (default 200); doubles each time. */
  initialDelayMs?: number;
  /** Longest wait before a retry in milliseconds (default 30000); a `Retry-After` asking for more ends the retries with a ServiceError. */
  maxDelayMs?: number;
}

/**
 * The REST API versions a client can speak: `'1.0'` (the default) or `'2022-06-01'`, the version
 * Microsoft's SDKs send. Operations only 2022-06-01 has always use it.
 */
export type ApiVersion = '1.0' | '2022-06-01';

/** The levels of the events a {@link Logger} receives. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * Receives the core's events during a client's calls: at `debug`, one `request attempt` per HTTP
 * attempt with `fields` `method`, `path`, `outcome`, `attempt` and `elapsed` (never a token), and
 * `retrying` before each retry. A function, or a console-like object (`console`, pino, winston)
 * whose method for the level (else `log`) is called with `(message, fields)`. Without one,
 * `DEBUG=signalr-rest` in the environment prints the events to stderr.
 */
export type Logger =
  | ((level: LogLevel, message: string, fields: Record<string, string | number | boolean>) => void)
  | { [method in LogLevel | 'log']?: (message: string, fields: Record<string, string | number | boolean>) => void };

/** Settings of a {@link ServiceClient}. */
export interface ClientOptions {
  /** Where this client's debug events go (see {@link Logger}). */
  logger?: Logger;
  /** The REST API version to speak (default `'1.0'`); another value is an {@link InvalidArgumentError}. */
  apiVersion?: ApiVersion;
  /** Prefixes hub names with `{name}_` (lower case), so applications can share one service. */
  applicationName?: string;
  /** Time one HTTP request may take in milliseconds (default 30000). */
  timeoutMs?: number;
  /** Retry policy; sends are only retried where the message cannot have been delivered. */
  retry?: RetryOptions;
  /** Lifetime in seconds of the token signed for each request (default 3600). */
  tokenLifetimeSeconds?: number;
}

/**
 * Gives the bearer token of each REST call instead of the access key (Microsoft Entra ID): called
 * with the audience (the request URL without its query) for every request. A rejection, or a
 * value that is not a string, fails the call with an {@link UnauthorizedError} naming the
 * provider; a provider slower than `timeoutMs` fails it with a {@link RequestTimeoutError}.
 */
export type TokenProvider = (audience: string) => Promise<string> | string;

/** Settings of {@link ServiceClient.fromConnectionString}. */
export interface ConnectionStringOptions extends ClientOptions {
  /** Required by a connection string with `AuthType=aad`; used instead of its key otherwise. */
  tokenProvider?: TokenProvider;
}

/**
 * Settings of {@link ServiceClient.fromEndpoint}: exactly one of `accessKey` and
 * `tokenProvider`.
 */
export type EndpointOptions = ClientOptions & {
  /** The endpoint SignalR clients are sent to by negotiate, when it differs from the REST one. */
  clientEndpoint?: string;
} & (
    | { /** Signs each request's token locally. */ accessKey: string; tokenProvider?: undefined }
    | { /** Gives each request's token (Microsoft Entra ID). */ tokenProvider: TokenProvider; accessKey?: undefined }
  );

/** Settings of the client access token made by {@link ServiceClient.negotiate}. */
export interface NegotiateOptions {
  /** The user the SignalR client connects as (the token's `nameid`). */
  userId?: string;
  /** How long the token is valid in seconds (default 3600). */
  lifetimeSeconds?: number;
  /** Extra claims carried into the connection. */
  claims?: { [claim: string]: JsonValue };
}

/**
 * Settings of a token the service generates ({@link ServiceClient.negotiateWithService},
 * {@link HubClient.generateClientToken}); such tokens carry no custom claims.
 */
export interface ServiceTokenOptions extends CallOptions {
  /** The user the SignalR client connects as (the token's `nameid`). */
  userId?: string;
  /** How long the token is valid in seconds (default 3600), rounded up to whole minutes. */
  lifetimeSeconds?: number;
}

/** What an app's negotiate endpoint returns to a SignalR client, as JSON. */
export interface NegotiateResponse {
  /** The client URL, `{endpoint}/client/?hub={hub}`. */
  url: string;
  /** A client access token for that URL. */
  accessToken: string;
}

/** A client of one service endpoint; cheap to share, all hubs use one connection pool. */
export declare class ServiceClient {
  private constructor();
  /**
   * A client from a connection string (`Endpoint=...;AccessKey=...;Version=1.0;`).
   * @throws {InvalidArgumentError} when the connection string or an option is malformed.
   */
  static fromConnectionString(connectionString: string, options?: ConnectionStringOptions): ServiceClient;
  /**
   * A client of `endpoint` (`https://<name>.service.signalr.net`) with an access key or, without
   * one, a token provider (Microsoft Entra ID).
   * @throws {TypeError} unless exactly one of `accessKey` and `tokenProvider` is given.
   */
  static fromEndpoint(endpoint: string, options: EndpointOptions): ServiceClient;
  /** The REST endpoint, without trailing slash. */
  readonly endpoint: string;
  /** The REST API version this client speaks. */
  readonly apiVersion: ApiVersion;
  /** The application name hubs are prefixed with (lower case), or `undefined`. */
  readonly applicationName: string | undefined;
  /**
   * A client for the operations of hub `name`.
   * @throws {InvalidArgumentError} when the name breaks the hub rules (a letter first, then letters, digits and `` _`,.[] ``).
   */
  hub(name: string): HubClient;
  /** Resolves when the service answers its health check. */
  health(options?: CallOptions): Promise<void>;
  /**
   * The `{ url, accessToken }` a negotiate endpoint returns to a SignalR client of `hub`.
   * Synchronous: the token is signed locally, nothing is sent.
   */
  negotiate(hub: string, options?: NegotiateOptions): NegotiateResponse;
  /**
   * The `{ url, accessToken }` for a SignalR client of `hub`, the token generated by the service
   * (`:generateToken`): how apps that do not sign tokens themselves negotiate.
   */
  negotiateWithService(hub: string, options?: ServiceTokenOptions): Promise<NegotiateResponse>;
  /** The URL a SignalR client connects to for `hub`: `{clientEndpoint or endpoint}/client/?hub={hub}`. */
  clientUrl(hub: string): string;
  /**
   * Lets go of this client: its methods then throw {@link InvalidArgumentError} (`field`
   * `client`); hub clients made from it keep working until dropped.
   */
  close(): Promise<void>;
  /** `await using client = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The operations on one hub: v1's 14 and those 2022-06-01 added (closing many connections,
 * removing a connection from all groups, service-generated client tokens), which always use the
 * 2022-06-01 API whatever {@link ClientOptions.apiVersion} says. Every method rejects with a {@link SignalRError} subclass;
 * arguments (`args`) are JSON values, and `undefined`, functions, symbols, BigInt, non-finite
 * numbers and cycles are refused with a TypeError naming where they are.
 */
export declare class HubClient {
  private constructor();
  /** The hub name as used in request paths (lower case). */
  readonly name: string;
  /** Sends `target(...args)` to every connection of the hub except `excluded` ids. */
  sendToAll(target: string, args?: readonly JsonValue[], options?: SendOptions): Promise<void>;
  /** Sends `target(...args)` to every connection of user `userId` (none connected is fine). */
  sendToUser(userId: string, target: string, args?: readonly JsonValue[], options?: CallOptions): Promise<void>;
  /** Sends `target(...args)` to one connection (an unknown id is fine). */
  sendToConnection(
    connectionId: string,
    target: string,
    args?: readonly JsonValue[],
    options?: CallOptions,
  ): Promise<void>;
  /** Sends `target(...args)` to every connection in `group` except `excluded` ids. */
  sendToGroup(group: string, target: string, args?: readonly JsonValue[], options?: SendOptions): Promise<void>;
  /** Whether the connection is connected. */
  connectionExists(connectionId: string, options?: CallOptions): Promise<boolean>;
  /** Closes a connection, giving the client `reason`; closing a gone connection succeeds. */
  closeConnection(connectionId: string, options?: CloseOptions): Promise<void>;
  /** Whether `group` has at least one connection. */
  groupExists(group: string, options?: CallOptions): Promise<boolean>;
  /** Whether user `userId` has at least one connection. */
  userExists(userId: string, options?: CallOptions): Promise<boolean>;
  /** Adds a connection to `group` until it leaves or closes; {@link NotFoundError} if it does not exist. */
  addConnectionToGroup(group: string, connectionId: string, options?: CallOptions): Promise<void>;
  /** Removes a connection from `group`; {@link NotFoundError} if it was not in it. */
  removeConnectionFromGroup(group: string, connectionId: string, options?: CallOptions): Promise<void>;
  /** Whether user `userId` is mapped to `group`, connected or not. */
  userInGroup(group: string, userId: string, options?: CallOptions): Promise<boolean>;
  /** Maps user `userId` to `group`: its current and future connections join. */
  addUserToGroup(group: string, userId: string, options?: AddUserOptions): Promise<void>;
  /** Removes user `userId` from `group`, pulling its connections out of it. */
  removeUserFromGroup(group: string, userId: string, options?: CallOptions): Promise<void>;
  /** Removes user `userId` from every group. */
  removeUserFromAllGroups(userId: string, options?: CallOptions): Promise<void>;
  /** Closes every connection of the hub except `excluded` ids; each client gets `reason`. */
  closeAllConnections(options?: CloseConnectionsOptions): Promise<void>;
  /** Closes every connection in `group` except `excluded` ids; each client gets `reason`. */
  closeGroupConnections(group: string, options?: CloseConnectionsOptions): Promise<void>;
  /** Closes every connection of user `userId` except `excluded` ids; each client gets `reason`. */
  closeUserConnections(userId: string, options?: CloseConnectionsOptions): Promise<void>;
  /** Takes connection `connectionId` out of every group it is in (an unknown id is fine). */
  removeConnectionFromAllGroups(connectionId: string, options?: CallOptions): Promise<void>;
  /** A client access token for this hub, generated by the service (`:generateToken`). */
  generateClientToken(options?: ServiceTokenOptions): Promise<string>;
}

/** Options of {@link Simulator.start}. */
export interface SimulatorOptions {
  /** Port to listen on; 0 (default) lets the OS choose. */
  port?: number;
  /**
   * IP address to listen on (default `127.0.0.1`); on `0.0.0.0` the `url` and `connectionString`
   * still name `127.0.0.1`.
   */
  host?: string;
  /** The key tokens must be signed with; random when absent. */
  accessKey?: string;
  /** Silence in milliseconds after which a WebSocket client gets a ping (default 15000, as the service). */
  pingIntervalMs?: number;
  /**
   * Serverless upstream templates as the CLI's `--upstream` takes them
   * (`'URL;hub=..;category=..;event=..'`), tried in order.
   */
  upstreams?: string[];
  /** How long an upstream call may take (default 30000). */
  upstreamTimeoutMs?: number;
  /** A second key upstream requests are also signed with. */
  secondaryAccessKey?: string;
  /**
   * Serve the live dashboard (hubs, connections, groups, an activity log, a send form) at
   * {@link Simulator.dashboardUrl}; by default only when `host` is a loopback address, since the
   * page has no login.
   */
  dashboard?: boolean;
  /**
   * Fault rules in force from the start, as {@link Simulator.addFault} takes them
   * (`'503;route=send;times=2'`), in order.
   */
  faults?: string[];
  /**
   * Seed for the draws of fault rules with a `fraction`, so a run repeats: a whole number from 0
   * to `Number.MAX_SAFE_INTEGER`; random when absent.
   */
  faultSeed?: number;
}

/** A fault rule in force in a simulator. */
export interface FaultRule {
  /** Its id, for {@link Simulator.removeFault}. */
  id: string;
  /** The rule text, as it parses back (`503;route=send;times=2`). */
  fault: string;
  /** How many times it has been injected. */
  injected: number;
}

/** One fault a simulator injected. */
export interface InjectedFault {
  /** The id of the rule that injected it; empty for a drop or pause asked for directly. */
  faultId: string;
  /** The rule text, or `drop`, `drop;close` or `pause=...ms` for a socket fault. */
  fault: string;
  /** What it hit: `METHOD /path` of a request, or `connection ID`. */
  target: string;
  /** The hub of the request or connection, lower case; null when not known. */
  hub: string | null;
}

/** One serverless upstream call the simulator made. */
export interface UpstreamCall {
  connectionId: string;
  hub: string;
  /** `connections` or `messages`. */
  category: string;
  /** `connected`, `disconnected` or the invoked method. */
  event: string;
  url: string;
  /** The answer's HTTP status; null when none came. */
  status: number | null;
  /** Why it failed (transport error, timeout), when it did. */
  error: string | null;
}

/** A hub method invocation a client received. */
export interface Invocation {
  /** The client-side method name. */
  target: string;
  /** Its arguments, as JSON values. */
  arguments: JsonValue[];
}

/** A live connection of a simulator hub. */
export interface ConnectionInfo {
  connectionId: string;
  userId: string | null;
}

/** A simulator group that has connections. */
export interface GroupInfo {
  name: string;
  connectionIds: string[];
}

/** A user mapped to a group until `expiresAt` (simulator time). */
export interface UserGroupMapping {
  userId: string;
  group: string;
  expiresAt: Date;
}

/**
 * A local stand-in for the service: the v1 REST API on a loopback port, in-process virtual
 * clients, inspection of its state and a clock tests can advance.
 *
 * @example
 * ```ts
 * const sim = await Simulator.start({ port: 0 });
 * const alice = sim.connect('chat', { userId: 'alice' });
 * await ServiceClient.fromConnectionString(sim.connectionString).hub('chat').sendToUser('alice', 'hi', [1]);
 * alice.received; // [{ target: 'hi', arguments: [1] }]
 * await sim.close();
 * ```
 */
export declare class Simulator {
  private constructor();
  /** Starts a simulator; resolves once it listens. */
  static start(options?: SimulatorOptions): Promise<Simulator>;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The connection string for {@link ServiceClient.fromConnectionString}. */
  readonly connectionString: string;
  /** The access key tokens must be signed with. */
  readonly accessKey: string;
  /** The live dashboard's URL (`${url}/dashboard/`), or null when it is not served. */
  readonly dashboardUrl: string | null;
  /**
   * A token signed with this simulator's key for `audience` (a request URL), valid for
   * `lifetimeSeconds` (default 3600): what a {@link TokenProvider} hands out in tests.
   */
  accessToken(audience: string, options?: { lifetimeSeconds?: number }): string;
  /** Connects an in-process client to `hub`, as `userId` if given. */
  connect(hub: string, options?: { userId?: string }): VirtualClient;
  /** Names of the hubs any call has used, lower case, sorted. */
  hubs(): string[];
  /** The hub's groups that have connections. */
  groups(hub: string): GroupInfo[];
  /** The hub's live connections. */
  connections(hub: string): ConnectionInfo[];
  /** The hub's unexpired user-group mappings. */
  userGroups(hub: string): UserGroupMapping[];
  /** The upstream calls made so far (the last 1000), oldest first. */
  readonly upstreamCalls: UpstreamCall[];
  /** Moves the simulator's clock forward by `seconds`, expiring user-group TTLs. */
  advanceClock(seconds: number): void;
  /**
   * Adds a fault rule after the others; returns its id (`'f1'`). The rule is
   * `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]`: ACTION an HTTP
   * status from 400 to 599, `delay=DURATION` (`250ms`, `2s`) or `reset`; ROUTE one of `rest`,
   * `send`, `group`, `user`, `connection`, `token`, `health`, `negotiate`, `connect`.
   * @throws {InvalidArgumentError} naming the bad part of a bad rule.
   */
  addFault(rule: string): string;
  /** Removes the fault rule with this id; false if there is none (it may have run out). */
  removeFault(id: string): boolean;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** The fault rules in force, in order; a rule whose `times` ran out is gone. */
  faults(): FaultRule[];
  /** The faults injected so far (the last 1000), oldest first. */
  injectedFaults(): InjectedFault[];
  /**
   * Drops the hub's clients (or the one `connectionId` names) as a failing network would: with a
   * Close that allows reconnecting when `close` (default true), else the socket just ends.
   * Returns the ids dropped.
   */
  dropClients(hub: string, options?: { connectionId?: string; close?: boolean }): string[];
  /**
   * Stalls the hub's WebSocket clients (or the one `connectionId` names) for `durationMs` (at
   * most an hour): nothing is written to or read from their sockets meanwhile, messages wait in
   * their queues, and a pause longer than a client's server timeout makes it give up. Returns
   * the ids paused (virtual clients have no socket and are not paused).
   */
  pauseClients(hub: string, durationMs: number, options?: { connectionId?: string }): string[];
  /** Stops serving; resolves once the server has ended. Closing twice is harmless. */
  close(): Promise<void>;
  /** `await using sim = await Simulator.start()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** What every upstream request tells about its client connection. */
export interface UpstreamContext {
  connectionId: string;
  hub: string;
  userId: string | null;
  /** `X-ASRS-User-Claims`: claim type to value, the first value of each type. */
  claims: Record<string, string>;
  /** `X-ASRS-Client-Query`: repeated keys' values joined with `,`. */
  query: Record<string, string>;
}

/** A client connected. */
export interface UpstreamConnected extends UpstreamContext {
  kind: 'connected';
}

/** A client disconnected; `error` says why when it did not close cleanly. */
export interface UpstreamDisconnected extends UpstreamContext {
  kind: 'disconnected';
  error: string | null;
}

/** A client invoked hub method `target`; `invocationId` is null for a send. */
export interface UpstreamInvocation extends UpstreamContext {
  kind: 'invocation';
  invocationId: string | null;
  target: string;
  arguments: JsonValue[];
  protocol: 'json' | 'messagepack';
}

/** A verified upstream request. */
export type UpstreamEvent = UpstreamConnected | UpstreamDisconnected | UpstreamInvocation;

/** Headers as `req.headers`, a Map or a fetch `Headers`; names in any case. */
export type UpstreamHeaders =
  | Record<string, string | string[] | undefined>
  | Map<string, string>
  | { entries(): Iterable<[string, string]> };

/** Receiving serverless upstream requests in the app server. */
export declare const upstream: {
  /**
   * Verifies the request's signature with `accessKeys` (primary and secondary) and reads it.
   * Throws {@link UnauthorizedError} for a bad signature, {@link InvalidArgumentError} for a
   * request the service does not send.
   */
  parseRequest(
    headers: UpstreamHeaders,
    body: Buffer | Uint8Array | string,
    accessKeys: string[] | string,
  ): UpstreamEvent;
  /**
   * The answer to an invocation: its completion framed in the client's `protocol`, with
   * `result` (the call returns it), `error` (the call fails) or neither (empty completion).
   */
  completionBody(
    protocol: 'json' | 'messagepack',
    invocationId: string,
    options?: { result?: JsonValue; error?: string },
  ): Buffer;
};

/** A client connected in-process to a simulator hub, recording what it receives. */
export declare class VirtualClient {
  private constructor();
  /** The connection id REST calls address it by. */
  readonly connectionId: string;
  /** The user id it connected as, or null. */
  readonly userId: string | null;
  /** Every invocation received so far, in order (a fresh copy on each read). */
  readonly received: Invocation[];
  /** Whether the service closed this connection. */
  readonly closed: boolean;
  /** The reason the service gave when it closed the connection, or null. */
  readonly closeReason: string | null;
  /**
   * The first invocation of `target`, waiting up to `timeoutMs` (default 5000) for it.
   * @throws {RequestTimeoutError} when none arrives in time.
   */
  waitFor(target: string, options?: CallOptions & { timeoutMs?: number }): Promise<Invocation>;
  /** Disconnects from the hub, leaving every group. */
  disconnect(): void;
}

/** What kind of failure a {@link SignalRError} is. */
export type SignalRErrorCode =
  | 'invalid_argument'
  | 'unauthorized'
  | 'not_found'
  | 'bad_request'
  | 'service_error'
  | 'timeout'
  | 'transport'
  | 'aborted'
  | 'internal';

/** Base class of every error this package raises; `code` names the kind. */
export declare class SignalRError extends Error {
  constructor(message: string, code: SignalRErrorCode, options?: { cause?: unknown });
  /** The kind of failure; `internal` for a fault inside the native addon (such as a Rust panic). */
  readonly code: SignalRErrorCode;
}

/** An argument broke a rule before anything was sent; `field` names it. */
export declare class InvalidArgumentError extends SignalRError {
  constructor(message: string, field: string, options?: { cause?: unknown });
  readonly code: 'invalid_argument';
  /** The argument or connection-string key at fault, e.g. `hub` or `ttl`. */
  readonly field: string;
}

/** The service refused the credentials. */
export declare class UnauthorizedError extends SignalRError {
  constructor(message: string, status: number | null, options?: { cause?: unknown });
  readonly code: 'unauthorized';
  /** 401 or 403; null when no token could be made. */
  readonly status: number | null;
}

/** The addressed connection, user or group does not exist (404). */
export declare class NotFoundError extends SignalRError {
  constructor(message: string, errorCode: string, options?: { cause?: unknown });
  readonly code: 'not_found';
  readonly status: 404;
  /** The service's `x-ms-error-code`, e.g. `Error.Connection.NotExisted`. */
  readonly errorCode: string;
}

/** The service answered with an error status: `bad_request` for 400, else `service_error`. */
export declare class ServiceError extends SignalRError {
  constructor(message: string, status: number, body: string, options?: { cause?: unknown });
  readonly code: 'bad_request' | 'service_error';
  /** The HTTP status. */
  readonly status: number;
  /** The answer's body (for 400, the service's message). */
  readonly body: string;
}

/** No answer within the client's `timeoutMs` (or `waitFor`'s). */
export declare class RequestTimeoutError extends SignalRError {
  constructor(message: string, timeoutMs: number, options?: { cause?: unknown });
  readonly code: 'timeout';
  /** The timeout that ran out, in milliseconds. */
  readonly timeoutMs: number;
}

/** The request could not be sent or its answer not read. */
export declare class TransportError extends SignalRError {
  constructor(message: string, options?: { cause?: unknown });
  readonly code: 'transport';
}

/** The call's AbortSignal fired; `cause` is the signal's reason. */
export declare class AbortError extends SignalRError {
  constructor(message: string, options?: { cause?: unknown });
  readonly code: 'aborted';
  readonly name: 'AbortError';
}
