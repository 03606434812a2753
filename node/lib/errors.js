'use strict';
// @ts-check
// The error classes of the package and the one mapping from native (core) errors to them.
// Defined only here so `instanceof` holds whether the package was loaded by require or import.

/** @typedef {{ cause?: unknown }} ErrorOptions */

/**
 * Base class of every error this package raises; `code` names the kind. (Subclasses declare their
 * literal `code` as a field and assign it again, so the type checker knows it as index.d.ts
 * declares it.)
 */
class SignalRError extends Error {
  /**
   * @param {string} message
   * @param {import('../index').SignalRErrorCode} code
   * @param {ErrorOptions} [options]
   */
  constructor(message, code, options) {
    super(message, options);
    this.code = code;
  }
}

/** An argument broke a rule before anything was sent; `field` names it. */
class InvalidArgumentError extends SignalRError {
  /** @type {'invalid_argument'} */
  code;

  /**
   * @param {string} message
   * @param {string} field
   * @param {ErrorOptions} [options]
   */
  constructor(message, field, options) {
    super(message, 'invalid_argument', options);
    this.code = 'invalid_argument';
    this.field = field;
  }
}

/** The service refused the credentials; `status` is 401 or 403 (null if no token was made). */
class UnauthorizedError extends SignalRError {
  /** @type {'unauthorized'} */
  code;

  /**
   * @param {string} message
   * @param {number | null} status
   * @param {ErrorOptions} [options]
   */
  constructor(message, status, options) {
    super(message, 'unauthorized', options);
    this.code = 'unauthorized';
    this.status = status;
  }
}

/** The addressed connection, user or group does not exist; `errorCode` is `x-ms-error-code`. */
class NotFoundError extends SignalRError {
  /** @type {'not_found'} */
  code;

  /**
   * @param {string} message
   * @param {string} errorCode
   * @param {ErrorOptions} [options]
   */
  constructor(message, errorCode, options) {
    super(message, 'not_found', options);
    this.code = 'not_found';
    /** @type {404} */
    this.status = 404;
    this.errorCode = errorCode;
  }
}

/** The service answered with an error status; `code` is `bad_request` for 400. */
class ServiceError extends SignalRError {
  /** @type {'bad_request' | 'service_error'} */
  code;

  /**
   * @param {string} message
   * @param {number} status
   * @param {string} body
   * @param {ErrorOptions} [options]
   */
  constructor(message, status, body, options) {
    const code = status === 400 ? 'bad_request' : 'service_error';
    super(message, code, options);
    this.code = code;
    this.status = status;
    this.body = body;
  }
}

/** No answer within the client's `timeoutMs` (or `waitFor`'s). */
class RequestTimeoutError extends SignalRError {
  /** @type {'timeout'} */
  code;

  /**
   * @param {string} message
   * @param {number} timeoutMs
   * @param {ErrorOptions} [options]
   */
  constructor(message, timeoutMs, options) {
    super(message, 'timeout', options);
    this.code = 'timeout';
    this.timeoutMs = timeoutMs;
  }
}

/** The request could not be sent or its answer not read. */
class TransportError extends SignalRError {
  /** @type {'transport'} */
  code;

  /**
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(message, options) {
    super(message, 'transport', options);
    this.code = 'transport';
  }
}

/** The call's AbortSignal fired; `cause` is the signal's reason. */
class AbortError extends SignalRError {
  /** @type {'aborted'} */
  code;

  /**
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(message, options) {
    super(message, 'aborted', options);
    this.code = 'aborted';
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

/**
 * The error for a call aborted through `signal`.
 * @param {AbortSignal} [signal]
 * @returns {AbortError}
 */
function abortError(signal) {
  return new AbortError('the operation was aborted', { cause: signal?.reason });
}

/**
 * What the native addon throws for a core error (bindings/node/src/error.rs): a JS Error whose
 * `code` is the core's kind and whose `message` is readable, with the kind's details as typed
 * properties.
 * @typedef {Error & {
 *   code: string,
 *   field?: string,
 *   status?: number | null,
 *   errorCode?: string,
 *   body?: string,
 *   timeoutMs?: number,
 * }} NativeError
 */

/**
 * Turns an error thrown by the native addon into this package's class, reading its `code` and
 * details; anything else, such as a Rust panic turned into an exception or rejection, becomes a
 * SignalRError with code `internal`. Errors that are already this package's pass through.
 * @param {unknown} error
 * @param {AbortSignal} [signal] the call's signal, whose reason an AbortError carries
 * @returns {unknown}
 */
function fromNative(error, signal) {
  if (!(error instanceof Error) || error instanceof SignalRError) return error;
  const native = /** @type {NativeError} */ (error);
  const { message } = native;
  switch (native.code) {
    case 'invalid_argument':
      return new InvalidArgumentError(message, native.field ?? '');
    case 'unauthorized':
      return new UnauthorizedError(message, native.status ?? null);
    case 'not_found':
      return new NotFoundError(message, native.errorCode ?? '');
    case 'bad_request':
    case 'service_error':
      return new ServiceError(message, native.status ?? 0, native.body ?? '');
    case 'timeout':
      return new RequestTimeoutError(message, native.timeoutMs ?? 0);
    case 'transport':
      return new TransportError(message);
    case 'aborted':
      return abortError(signal);
    default:
      return new SignalRError(`internal error in the native addon: ${message}`, 'internal', {
        cause: error,
      });
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
