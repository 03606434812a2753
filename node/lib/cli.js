'use strict';
// @ts-check
// `npx signalr-rest serve`: the simulator from the package alone, as the Rust CLI's
// `signalr-rest serve` and `python -m signalr_rest serve`. The connection string is the first line
// on stdout; Ctrl-C or SIGTERM stops it (exit 0). Bad options exit 2, naming them; any other
// failure to start (a busy port) exits 1.

const { parseArgs } = require('node:util');

const USAGE = `usage: signalr-rest serve [options]

A local simulator of the Azure SignalR Service REST API; prints its connection string, serves
until Ctrl-C or SIGTERM.

options:
  --host IP                      IP address to listen on (default 127.0.0.1)
  --port PORT                    port; 0 lets the OS choose (default 8888)
  --access-key KEY               key tokens must be signed with (default: the public dev key)
  --secondary-access-key KEY     a second valid key (key rotation)
  --ping-interval SECONDS        silence after which a WebSocket client gets a ping
  --upstream TEMPLATE            serverless upstream 'URL[;hub=..;category=..;event=..]', repeatable
  --upstream-timeout SECONDS     how long each upstream call may take
  --dashboard true|false         serve the live dashboard at /dashboard/ (default: only on a
                                 loopback host, since it has no login)
  --fault RULE                   a fault rule 'ACTION[;hub=NAME][;route=ROUTE][;times=N]
                                 [;fraction=F][;retry-after=SECS]', ACTION a status (400-599),
                                 delay=DURATION (250ms, 2s) or reset; ROUTE one of rest, send,
                                 group, user, connection, token, health, negotiate, connect;
                                 repeatable
  --fault-seed N                 seed for the draws of faults with a fraction, so a run repeats
                                 (default: random)
  -h, --help                     show this help
`;

const OPTIONS = /** @type {const} */ ({
  host: { type: 'string' },
  port: { type: 'string' },
  'access-key': { type: 'string' },
  'secondary-access-key': { type: 'string' },
  'ping-interval': { type: 'string' },
  upstream: { type: 'string', multiple: true },
  'upstream-timeout': { type: 'string' },
  dashboard: { type: 'string' },
  fault: { type: 'string', multiple: true },
  'fault-seed': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
});

/** How often `serve` checks that the process that started it is still there. */
const PARENT_POLL_MS = 250;

/** A bad command line: exit 2 with this message. */
class UsageError extends Error {}

/**
 * `--<name>` as a whole number 0-65535.
 * @param {string} value
 */
function port(value) {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) {
    throw new UsageError(`--port: expected a port number 0-65535, got '${value}'`);
  }
  return number;
}

/**
 * `--<name>` in seconds, as milliseconds (range checks are the core's).
 * @param {string | undefined} value
 * @param {string} name
 */
function seconds(value, name) {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new UsageError(`--${name}: expected a number of seconds, got '${value}'`);
  }
  return number * 1000;
}

/**
 * `--dashboard` as a boolean, undefined when absent.
 * @param {string | undefined} value
 */
function dashboard(value) {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw new UsageError(`--dashboard: expected true or false, got '${value}'`);
  }
  return value === 'true';
}

/**
 * `--fault-seed` as a whole number, undefined when absent.
 * @param {string | undefined} value
 */
function faultSeed(value) {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw new UsageError(
      `--fault-seed: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got '${value}'`,
    );
  }
  return number;
}

/**
 * The options `serve` starts the simulator with, from the command line; undefined for --help.
 * @param {string[]} argv
 */
function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const { code, message } = /** @type {Error & { code?: string }} */ (error);
    // Node's message goes on about positionals after `--`, which serve takes none of.
    throw new UsageError(code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? message.split('. ')[0] : message);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length === 0) throw new UsageError('a command is needed: serve');
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    throw new UsageError(`unknown command '${positionals.join(' ')}'; the command is serve`);
  }
  return {
    host: values.host,
    port: port(values.port ?? '8888'),
    accessKey: values['access-key'],
    secondaryAccessKey: values['secondary-access-key'],
    pingIntervalMs: seconds(values['ping-interval'], 'ping-interval'),
    upstreams: values.upstream ?? [],
    upstreamTimeoutMs: seconds(values['upstream-timeout'], 'upstream-timeout'),
    dashboard: dashboard(values.dashboard),
    faults: values.fault ?? [],
    faultSeed: faultSeed(values['fault-seed']),
  };
}

/**
 * Runs the command line (without `node` and the script); resolves to the exit code.
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
async function main(argv) {
  let options;
  try {
    options = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`signalr-rest: error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { accessKey, ...rest } = options;

  // Handlers first, so a signal that lands while the simulator starts still stops it cleanly; they
  // only resolve a promise. The interval keeps the event loop alive while serving, and stops the
  // simulator when the parent process is gone: `npx` runs this through `sh -c`, and on SIGTERM
  // npm passes the signal to that shell only, which dies without passing it on.
  /** @type {() => void} */
  let stop = () => {};
  const stopped = new Promise((resolve) => {
    stop = () => resolve(undefined);
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const parent = process.ppid;
  const keepAlive = setInterval(() => {
    if (process.ppid !== parent) stop();
  }, PARENT_POLL_MS);
  try {
    let simulator;
    try {
      const { DEV_ACCESS_KEY } = require('./addon');
      const { Simulator } = require('./simulator');
      simulator = await Simulator.start({ ...rest, accessKey: accessKey ?? DEV_ACCESS_KEY });
    } catch (error) {
      const { InvalidArgumentError } = require('./errors');
      process.stderr.write(`signalr-rest: error: ${/** @type {Error} */ (error).message}\n`);
      return error instanceof InvalidArgumentError ? 2 : 1;
    }
    process.stdout.write(`${simulator.connectionString}\n`);
    if (simulator.dashboardUrl !== null) {
      process.stderr.write(`dashboard: ${simulator.dashboardUrl}\n`);
    }
    process.stderr.write('simulator ready; press Ctrl-C to stop\n');
    await stopped;
    await simulator.close();
    return 0;
  } finally {
    clearInterval(keepAlive);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

module.exports = { main, USAGE };
