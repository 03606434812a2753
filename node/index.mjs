// ESM entry point: the very objects of the CommonJS entry, so `instanceof` holds across both.
import api from './index.js';

export const {
  version,
  ServiceClient,
  HubClient,
  Simulator,
  VirtualClient,
  upstream,
  SignalRError,
  InvalidArgumentError,
  UnauthorizedError,
  NotFoundError,
  ServiceError,
  RequestTimeoutError,
  TransportError,
  AbortError,
} = api;
