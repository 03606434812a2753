'use strict';
// The error classes of the package and the one mapping from native (core) errors to them.
// Defined only here so `instanceof` holds whether the package was loaded by require or import.

/** Base class of every error this package raises; `code` names the kind. */
class SignalRError extends Error {
  constructor(message, code, options) {
    super(message, options);
    this.code = code;
  }
}

/** An argument broke a rule before anything was sent; `field` names it. */
class InvalidArgumentError extends SignalRError {
  constructor(message, field, options) {
    super(message, 'invalid_argument', options);
    this.field = field;
  }
}

/** The service refused the credentials; `status` is 401 or 403 (null if no token was made). */
class UnauthorizedError extends SignalRError {
  constructor(message, status, options) {
    super(message, 'unauthorized', options);
    this.status = status;
  }
}

/** The addressed connection, user or group does not exist; `errorCode` is `x-ms-error-code`. */
class NotFoundError extends SignalRError {
  constructor(message, errorCode, options) {
    super(message, 'not_found', options);
    this.status = 404;
    this.errorCode = errorCode;
  }
}

/** The service answered with an error status; `code` is `bad_request` for 400. */
class ServiceError extends SignalRError {
  constructor(message, status, body, options) {
    super(message, status === 400 ? 'bad_request' : 'service_error', options);
    this.status = status;
    this.body = body;
  }
}

/** No answer within the client's `timeoutMs` (or `waitFor`'s). */
class RequestTimeoutError extends SignalRError {
  constructor(message, timeoutMs, options) {
    super(message, 'timeout', options);
    this.timeoutMs = timeoutMs;
  }
}

/** The request could not be sent or its answer not read. */
class TransportError extends SignalRError {
  constructor(message, options) {
    super(message, 'transport', options);
  }
}

/** The call's AbortSignal fired; `cause` is the signal's reason. */
class AbortError extends SignalRError {
  constructor(message, options) {
    super(message, 'aborted', options);
  }
}

for (const ErrorClass of [
  SignalRError,
  InvalidArgumentError,
  UnauthorizedError,
  NotFoundError,
  ServiceError,
  RequestTimeoutError,
  TransportError,
  AbortError,
]) {
  Object.defineProperty(ErrorClass.prototype, 'name', {
    value: ErrorClass.name,
    writable: true,
    configurable: true,
  });
}

/** The error for a call aborted through `signal`. */
function abortError(signal) {
  return new AbortError('the operation was aborted', { cause: signal?.reason });
}

/**
 * Turns an error thrown by the native addon into this package's class. The addon's message
 * is a JSON description (see bindings/node/src/error.rs); anything else, such as a Rust panic
 * turned into a rejection, becomes a SignalRError with code `internal`.
 */
function fromNative(error, signal) {
  if (!(error instanceof Error) || error instanceof SignalRError) return error;
  let detail;
  try {
    detail = JSON.parse(error.message);
  } catch {
    detail = undefined;
  }
  if (detail === null || typeof detail !== 'object' || typeof detail.kind !== 'string') {
    return new SignalRError(`internal error in the native addon: ${error.message}`, 'internal', {
      cause: error,
    });
  }
  const { kind, message } = detail;
  switch (kind) {
    case 'invalid_argument':
      return new InvalidArgumentError(message, detail.field);
    case 'unauthorized':
      return new UnauthorizedError(message, detail.status ?? null);
    case 'not_found':
      return new NotFoundError(message, detail.errorCode);
    case 'bad_request':
    case 'service_error':
      return new ServiceError(message, detail.status, detail.body);
    case 'timeout':
      return new RequestTimeoutError(message, detail.timeoutMs);
    case 'transport':
      return new TransportError(message);
    case 'aborted':
      return abortError(signal);
    default:
      return new SignalRError(message, kind);
  }
}

module.exports = {
  SignalRError,
  InvalidArgumentError,
  UnauthorizedError,
  NotFoundError,
  ServiceError,
  RequestTimeoutError,
  TransportError,
  AbortError,
  abortError,
  fromNative,
};
