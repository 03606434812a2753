'use strict';
// @ts-check
// Type checks of JS arguments before they cross into Rust: each failure is a TypeError
// naming the argument and what was wrong with it. Rules about values (empty names, bad
// hub names, negative TTLs) are the core's, reported as InvalidArgumentError.

const { InvalidArgumentError } = require('./errors');

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * @param {unknown} value
 * @returns {string}
 */
function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * `value` if it is a string, else a TypeError naming `name`.
 * @param {unknown} value
 * @param {string} name
 * @returns {string}
 */
function string(value, name) {
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  }
  return value;
}

/**
 * Like `string`, but `undefined` and `null` pass as `undefined`.
 * @param {unknown} value
 * @param {string} name
 * @returns {string | undefined}
 */
function optionalString(value, name) {
  return value === undefined || value === null ? undefined : string(value, name);
}

/**
 * `value` if it is a number (range rules are the core's).
 * @param {unknown} value
 * @param {string} name
 * @returns {number}
 */
function number(value, name) {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  return value;
}

/**
 * Like `number`, but `undefined` and `null` pass as `undefined`.
 * @param {unknown} value
 * @param {string} name
 * @returns {number | undefined}
 */
function optionalNumber(value, name) {
  return value === undefined || value === null ? undefined : number(value, name);
}

/**
 * `value` if it is a whole number of 0 or more, `undefined` if absent.
 * @param {unknown} value
 * @param {string} name
 * @returns {number | undefined}
 */
function optionalWholeNumber(value, name) {
  const number = optionalNumber(value, name);
  if (number !== undefined && !(Number.isSafeInteger(number) && number >= 0)) {
    throw new InvalidArgumentError(`${name} must be a whole number of 0 or more, got ${number}`, name);
  }
  return number;
}

/**
 * `value` if it is a boolean, `undefined` if absent (`undefined` or `null`).
 * @param {unknown} value
 * @param {string} name
 * @returns {boolean | undefined}
 */
function optionalBoolean(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/**
 * A list of strings, `[]` if absent.
 * @param {unknown} value
 * @param {string} name
 * @returns {string[]}
 */
function stringList(value, name) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(`${name} must be an array of strings, got ${describe(value)}`);
  }
  return value.map((item, index) => string(item, `${name}[${index}]`));
}

/**
 * The options object of `method`, refusing keys it does not know (likely typos).
 * @template {object} T
 * @param {T | null | undefined} value
 * @param {string} method
 * @param {readonly string[]} known
 * @returns {Partial<T>}
 */
function options(value, method, known) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${method} options must be an object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${method} options has unknown key "${key}"; known keys: ${known.join(', ')}`,
      );
    }
  }
  return value;
}

/**
 * `value` if it is an AbortSignal or absent. Checked by shape, not `instanceof`, so signals
 * from another realm (a test runner's VM context) are accepted too.
 */
/**
 * @param {unknown} value
 * @param {string} name
 * @returns {AbortSignal | undefined}
 */
function optionalSignal(value, name) {
  if (value === undefined || value === null) return undefined;
  const candidate = /** @type {Partial<AbortSignal>} */ (value);
  const isSignal =
    typeof value === 'object' &&
    typeof candidate.aborted === 'boolean' &&
    typeof candidate.addEventListener === 'function' &&
    typeof candidate.removeEventListener === 'function';
  if (!isSignal) {
    throw new TypeError(`${name} must be an AbortSignal, got ${describe(value)}`);
  }
  return /** @type {AbortSignal} */ (value);
}

/**
 * @param {string} path
 * @param {string} key
 * @returns {string}
 */
function childPath(path, key) {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Throws a TypeError naming the first part of `value` that JSON cannot carry faithfully.
 * @param {unknown} value
 * @param {string} path
 * @param {Set<object>} [ancestors]
 * @returns {void}
 */
function assertJson(value, path, ancestors = new Set()) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`${path} is ${value}, which JSON cannot represent`);
      }
      return;
    case 'undefined':
      throw new TypeError(`${path} is undefined, which JSON cannot represent; use null`);
    case 'function':
      throw new TypeError(`${path} is a function, which JSON cannot represent`);
    case 'symbol':
      throw new TypeError(`${path} is a symbol, which JSON cannot represent`);
    case 'bigint':
      throw new TypeError(
        `${path} is the BigInt ${value}n, which JSON cannot represent; pass a number or a string`,
      );
  }
  if (value === null) return;
  // Only objects are left (every other typeof returned above).
  const object = /** @type {object & { toJSON?: unknown }} */ (value);
  if (typeof object.toJSON === 'function') {
    assertJson(object.toJSON(), path, ancestors);
    return;
  }
  if (ancestors.has(object)) {
    throw new TypeError(`${path} refers back to an object that contains it (a cycle)`);
  }
  ancestors.add(object);
  if (Array.isArray(object)) {
    object.forEach((item, index) => assertJson(item, `${path}[${index}]`, ancestors));
  } else {
    for (const [key, item] of Object.entries(object)) {
      assertJson(item, childPath(path, key), ancestors);
    }
  }
  ancestors.delete(object);
}

/**
 * The hub method arguments as JSON array text, `[]` if absent.
 * @param {unknown} value
 * @returns {string}
 */
function jsonArguments(value) {
  if (value === undefined) return '[]';
  if (!Array.isArray(value)) {
    throw new TypeError(`args must be an array of JSON values, got ${describe(value)}`);
  }
  assertJson(value, 'args');
  return JSON.stringify(value);
}

/**
 * Custom token claims as JSON object text.
 * @param {unknown} value
 * @returns {string | undefined}
 */
function jsonClaims(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`claims must be an object, got ${describe(value)}`);
  }
  assertJson(value, 'claims');
  return JSON.stringify(value);
}

module.exports = {
  string,
  optionalString,
  number,
  optionalNumber,
  optionalWholeNumber,
  optionalBoolean,
  stringList,
  options,
  optionalSignal,
  assertJson,
  jsonArguments,
  jsonClaims,
};
