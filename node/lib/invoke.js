'use strict';
// @ts-check
// Runs native calls the JS way: an AbortSignal cancels the Rust future through a
// Cancellation token, and native errors become this package's error classes.

const { Cancellation } = require('./addon');
const { abortError, fromNative } = require('./errors');

/**
 * Awaits `call(cancellation)`, a native async call. When `signal` aborts, the token fires and
 * Rust drops the call's future (closing its HTTP request); the Promise rejects with AbortError.
 * @template T
 * @param {AbortSignal | undefined} signal
 * @param {(cancellation: Cancellation | undefined) => Promise<T>} call
 * @returns {Promise<T>}
 */
async function invokeAsync(signal, call) {
  if (signal === undefined) {
    try {
      return await call(undefined);
    } catch (error) {
      throw fromNative(error);
    }
  }
  if (signal.aborted) throw abortError(signal);
  const cancellation = new Cancellation();
  const onAbort = () => cancellation.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await call(cancellation);
  } catch (error) {
    throw fromNative(error, signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Returns `call()`, a synchronous native call, with native errors mapped.
 * @template T
 * @param {() => T} call
 * @returns {T}
 */
function invokeSync(call) {
  try {
    return call();
  } catch (error) {
    throw fromNative(error);
  }
}

module.exports = { invokeAsync, invokeSync };
