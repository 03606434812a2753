'use strict';
// @ts-check
// Receiving serverless upstream requests: verify and read them, and answer invocations.

const addon = require('./addon');
const check = require('./checks');
const { invokeSync } = require('./invoke');

/** @typedef {import('../index').UpstreamEvent} UpstreamEvent */

/**
 * Header names lower-cased; a plain object (e.g. `req.headers`), a Map or a fetch `Headers`.
 * @param {unknown} headers
 * @returns {Record<string, string>}
 */
function lowerHeaders(headers) {
  if (headers === null || typeof headers !== 'object') {
    throw new TypeError('headers must be an object, a Map or a Headers');
  }
  const iterable = /** @type {{ entries?: () => Iterable<[unknown, unknown]> }} */ (headers);
  const entries =
    typeof iterable.entries === 'function' && !Array.isArray(headers)
      ? Array.from(iterable.entries())
      : Object.entries(headers);
  /** @type {Record<string, string>} */
  const lowered = {};
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    lowered[String(name).toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return lowered;
}

/**
 * The request body as a Buffer (a Buffer, Uint8Array or string).
 * @param {unknown} body
 * @returns {Buffer}
 */
function bodyBuffer(body) {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body === undefined || body === null) return Buffer.alloc(0);
  throw new TypeError('body must be a Buffer, a Uint8Array or a string');
}

/**
 * Verifies an upstream request's signature with `accessKeys` (primary and secondary) and reads
 * it: `{ kind: 'connected' | 'disconnected' | 'invocation', connectionId, hub, userId, claims,
 * query, ... }`. Throws UnauthorizedError for a bad signature, InvalidArgumentError for a
 * request the service does not send.
 */
/**
 * @param {import('../index').UpstreamHeaders} headers
 * @param {Buffer | Uint8Array | string} body
 * @param {string[] | string} accessKeys
 * @returns {UpstreamEvent}
 */
function parseRequest(headers, body, accessKeys) {
  const keys = typeof accessKeys === 'string' ? [accessKeys] : check.stringList(accessKeys, 'accessKeys');
  const lowered = lowerHeaders(headers);
  const buffer = bodyBuffer(body);
  const native = invokeSync(() => addon.upstreamParseRequest(lowered, buffer, keys));
  const context = {
    connectionId: native.connectionId,
    hub: native.hub,
    userId: native.userId ?? null,
    claims: Object.fromEntries(native.claims),
    query: Object.fromEntries(native.query),
  };
  // The addon sets the fields of its `kind` (bindings/node/src/upstream.rs).
  switch (native.kind) {
    case 'disconnected':
      return { kind: 'disconnected', ...context, error: native.error ?? null };
    case 'invocation':
      return {
        kind: 'invocation',
        ...context,
        invocationId: native.invocationId ?? null,
        target: /** @type {string} */ (native.target),
        arguments: /** @type {import('../index').JsonValue[]} */ (native.arguments),
        protocol: /** @type {'json' | 'messagepack'} */ (native.protocol),
      };
    default:
      return { kind: 'connected', ...context };
  }
}

/**
 * The answer to an invocation, its completion framed in the client's `protocol`: with
 * `{ result }` (any JSON value) the client's call returns it, with `{ error }` it fails with
 * that message, with neither it completes empty.
 */
/**
 * @param {'json' | 'messagepack'} protocol
 * @param {string} invocationId
 * @param {{ result?: import('../index').JsonValue, error?: string }} [options]
 * @returns {Buffer}
 */
function completionBody(protocol, invocationId, options) {
  const read = check.options(options, 'completionBody', ['result', 'error']);
  const p = check.string(protocol, 'protocol');
  const id = check.string(invocationId, 'invocationId');
  /** @type {string | undefined} */
  let resultJson;
  if (options !== undefined && options !== null && 'result' in options) {
    check.assertJson(read.result, 'result');
    resultJson = JSON.stringify(read.result);
  }
  const error = check.optionalString(read.error, 'error');
  return invokeSync(() => addon.upstreamCompletionBody(p, id, resultJson, error));
}

module.exports = { parseRequest, completionBody };
