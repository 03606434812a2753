'use strict';
// @ts-check
// A client's `logger` option and the DEBUG=signalr-rest environment variable: the core's debug
// events (one per request attempt: method, path, outcome, attempt, elapsed; retries) for JS.

/** @typedef {import('../index').LogLevel} LogLevel */
/** @typedef {Record<string, string | number | boolean>} LogFields */
/** @typedef {(level: LogLevel, message: string, fields: LogFields) => void} LogFunction */

const NAME = 'signalr-rest';
const LEVELS = ['error', 'warn', 'info', 'debug'];

/**
 * Whether `DEBUG` names this package, as the `debug` package reads it (`*` wildcards, commas).
 * @param {string | undefined} [value]
 * @returns {boolean}
 */
function debugEnabled(value = process.env.DEBUG) {
  if (!value) return false;
  const patterns = value.split(/[\s,]+/).filter(Boolean);
  /** @param {string} pattern */
  const matches = (pattern) => {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return new RegExp(`^${escaped}$`).test(NAME);
  };
  return (
    patterns.some((p) => !p.startsWith('-') && matches(p)) &&
    !patterns.some((p) => p.startsWith('-') && matches(p.slice(1)))
  );
}

/**
 * What `DEBUG=signalr-rest` prints: one line per event on stderr.
 * @type {LogFunction}
 */
function stderrLogger(level, message, fields) {
  const pairs = Object.entries(fields).map(([key, value]) => ` ${key}=${value}`);
  process.stderr.write(`${NAME} ${level} ${message}${pairs.join('')}\n`);
}

/**
 * `logger` as a function `(level, message, fields)`: it is one, or a console-like object.
 * @param {unknown} logger
 * @returns {LogFunction}
 */
function asFunction(logger) {
  if (typeof logger === 'function') return /** @type {LogFunction} */ (logger);
  const methods = /** @type {Partial<Record<LogLevel | 'log', unknown>>} */ (logger);
  const usable =
    typeof logger === 'object' &&
    logger !== null &&
    ['log', ...LEVELS].some((method) => typeof methods[/** @type {LogLevel} */ (method)] === 'function');
  if (!usable) {
    throw new TypeError(
      'logger must be a function (level, message, fields) or an object with debug/info/warn/error methods',
    );
  }
  const log = /** @type {Record<LogLevel | 'log', (message: string, fields: LogFields) => void>} */ (
    methods
  );
  return (level, message, fields) => {
    const method = typeof methods[level] === 'function' ? level : 'log';
    log[method](message, fields);
  };
}

/**
 * The native sink of a client's events, or undefined when there is nowhere to send them: the
 * `logger` option, else stderr when `DEBUG` names signalr-rest. A logger that throws is reported
 * once as a process warning, never taking the process down.
 */
/**
 * @param {unknown} logger
 * @returns {((event: { level: string, message: string, fields: LogFields }) => void) | undefined}
 */
function nativeLogger(logger) {
  /** @type {LogFunction} */
  let log;
  if (logger === undefined || logger === null) {
    if (!debugEnabled()) return undefined;
    log = stderrLogger;
  } else {
    log = asFunction(logger);
  }
  let warned = false;
  return ({ level, message, fields }) => {
    try {
      // The core's levels are the four LogLevel names (bindings/node/src/logging.rs).
      log(/** @type {LogLevel} */ (level), message, fields);
    } catch (error) {
      if (!warned) {
        warned = true;
        process.emitWarning(`signalr-rest: the logger threw: ${error}`, 'SignalRRestWarning');
      }
    }
  };
}

module.exports = { debugEnabled, nativeLogger };
