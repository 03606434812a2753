'use strict';
// CommonJS entry point; index.mjs re-exports the same objects for ESM.

const { ServiceClient, HubClient } = require('./lib/client');
const { Simulator, VirtualClient } = require('./lib/simulator');
const upstream = require('./lib/upstream');
const errors = require('./lib/errors');

module.exports = {
  version: require('./package.json').version,
  ServiceClient,
  HubClient,
  Simulator,
  VirtualClient,
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
