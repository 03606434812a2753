'use strict';
// A client's `logger` option and the DEBUG=signalr-rest environment variable: the core's debug
// events (one per request attempt: method, path, outcome, attempt, elapsed; retries) for JS.

const NAME = 'signalr-rest';
const LEVELS = ['error', 'warn', 'info', 'debug'];

/** Whether `DEBUG` names this package, as the `debug` package reads it (`*` wildcards, commas). */
function debugEnabled(value = process.env.DEBUG) {
  if (!value) return false;
  const patterns = value.split(/[\s,]+/).filter(Boolean);
  const matches = (pattern) => {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return new RegExp(`^${escaped}$`).test(NAME);
  };
  return (
    patterns.some((p) => !p.startsWith('-') && matches(p)) &&
    !patterns.some((p) => p.startsWith('-') && matches(p.slice(1)))
  );
}

/** What `DEBUG=signalr-rest` prints: one line per event on stderr. */
function stderrLogger(level, message, fields) {
  const pairs = Object.entries(fields).map(([key, value]) => ` ${key}=${value}`);
  process.stderr.write(`${NAME} ${level} ${message}${pairs.join('')}\n`);
}

/** `logger` as a function `(level, message, fields)`: it is one, or a console-like object. */
function asFunction(logger) {
  if (typeof logger === 'function') return logger;
  const usable =
    typeof logger === 'object' &&
    ['log', ...LEVELS].some((method) => typeof logger[method] === 'function');
  if (!usable) {
    throw new TypeError(
      'logger must be a function (level, message, fields) or an object with debug/info/warn/error methods',
    );
  }
  return (level, message, fields) => {
    const method = typeof logger[level] === 'function' ? level : 'log';
    logger[method](message, fields);
  };
}

/**
 * The native sink of a client's events, or undefined when there is nowhere to send them: the
 * `logger` option, else stderr when `DEBUG` names signalr-rest. A logger that throws is reported
 * once as a process warning, never taking the process down.
 */
function nativeLogger(logger) {
  let log;
  if (logger === undefined || logger === null) {
    if (!debugEnabled()) return undefined;
    log = stderrLogger;
  } else {
    log = asFunction(logger);
  }
  let warned = false;
  return (eventJson) => {
    const { level, message, fields } = JSON.parse(eventJson);
    try {
      log(level, message, fields);
    } catch (error) {
      if (!warned) {
        warned = true;
        process.emitWarning(`signalr-rest: the logger threw: ${error}`, 'SignalRRestWarning');
      }
    }
  };
}

module.exports = { debugEnabled, nativeLogger };
