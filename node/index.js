'use strict';
// @ts-check
// CommonJS entry point; index.mjs re-exports the same objects for ESM.

const { ServiceClient, HubClient } = require('./lib/client');
const { Simulator, VirtualClient } = require('./lib/simulator');
const upstream = require('./lib/upstream');
const errors = require('./lib/errors');

/**
 * Checked by tsc (tsconfig.json) against index.d.ts: the static sides of the classes and the
 * error classes as they are declared there (instance sides are checked by `@implements` in lib/;
 * AbortError's `name`, set on the prototype below lib/errors.js's classes, is not seen by tsc).
 * @typedef {typeof import('./index')} Public
 * @type {{
 *   ServiceClient: Pick<Public['ServiceClient'], 'fromConnectionString' | 'fromEndpoint'>,
 *   Simulator: Pick<Public['Simulator'], 'start'>,
 *   upstream: Public['upstream'],
 *   SignalRError: Public['SignalRError'],
 *   InvalidArgumentError: Public['InvalidArgumentError'],
 *   UnauthorizedError: Public['UnauthorizedError'],
 *   NotFoundError: Public['NotFoundError'],
 *   ServiceError: Public['ServiceError'],
 *   RequestTimeoutError: Public['RequestTimeoutError'],
 *   TransportError: Public['TransportError'],
 *   AbortError: new (...args: ConstructorParameters<Public['AbortError']>) =>
 *     Omit<InstanceType<Public['AbortError']>, 'name'>,
 * }}
 */
const checked = {
  ServiceClient,
  Simulator,
  upstream,
  SignalRError: errors.SignalRError,
  InvalidArgumentError: errors.InvalidArgumentError,
  UnauthorizedError: errors.UnauthorizedError,
  NotFoundError: errors.NotFoundError,
  ServiceError: errors.ServiceError,
  RequestTimeoutError: errors.RequestTimeoutError,
  TransportError: errors.TransportError,
  AbortError: errors.AbortError,
};

module.exports = {
  version: require('./package.json').version,
  HubClient,
  VirtualClient,
  ...checked,
};
