// Leak check of the Node package across the FFI (issue 15).
//
// Creates and closes clients and simulators many times and makes many calls across the boundary,
// then checks that the process's RSS (VmRSS) and open descriptors stay near a baseline taken
// after a warm-up. Node's standard library only, besides signalr-rest (../../node). Run with
// `node --expose-gc tests/leaks/leak.mjs` so that garbage is collected before each measurement.
// Environment (defaults: the long form):
//
//   LEAK_CYCLES       create/use/close cycles of a Simulator, a ServiceClient and a virtual client (2000)
//   LEAK_CALLS        calls across the FFI: negotiate, hub(), clientUrl, simulator hubs() and
//                     accessToken, and every LEAK_REST_EVERY-th a real sendToAll (1000000)
//   LEAK_REST_EVERY   one REST call (HTTP to the long-lived simulator) per this many calls (100)
//   LEAK_WARMUP       cycles made before the baseline (200)
//   LEAK_WARMUP_CALLS calls made before the baseline (50000)
//   LEAK_MAX_RSS_MIB  allowed RSS growth over the baseline, per phase, MiB (64)
//   LEAK_MAX_FDS      allowed growth of open descriptors over the baseline (8)
//
// Prints one line per phase (`leak node <phase> rss_mib_before=.. rss_mib=.. fds_before=.. fds=..
// rss_growth_mib=.. fd_growth=.. seconds=.. ops=..`; scripts/leaks reads them): the warm-up against
// the start, shown only, then the cycles and the calls each against the baseline after the
// warm-up; exits 1 when either of those grew past a bound.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceClient, Simulator } from '../../node/index.mjs';

const envNumber = (name, fallback) => {
  const value = (process.env[name] ?? '').replaceAll('_', '');
  return value === '' ? fallback : Number(value);
};

const CYCLES = envNumber('LEAK_CYCLES', 2000);
const CALLS = envNumber('LEAK_CALLS', 1_000_000);
const REST_EVERY = Math.max(1, envNumber('LEAK_REST_EVERY', 100));
const WARMUP = envNumber('LEAK_WARMUP', 200);
const WARMUP_CALLS = envNumber('LEAK_WARMUP_CALLS', 50_000);
const MAX_RSS_MIB = envNumber('LEAK_MAX_RSS_MIB', 64);
const MAX_FDS = envNumber('LEAK_MAX_FDS', 8);
const NO_RETRIES = { retry: { maxRetries: 0 } };

function rssMib() {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

function openFds() {
  return readdirSync('/proc/self/fd').length - 1; // the listing's own descriptor
}

// Collects garbage (the native handles are freed by their finalizers, which napi runs after a
// collection) and lets the runtime's threads finish closing what the calls left.
async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await sleep(100);
  }
}

// A fresh simulator, a client of it and a virtual client, each used once and closed.
async function cycles(count) {
  for (let i = 0; i < count; i++) {
    const sim = await Simulator.start({ port: 0 });
    try {
      const client = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES);
      try {
        const browser = sim.connect('chat', { userId: 'u' });
        try {
          await client.hub('chat').sendToAll('cycle', [i]);
          assert.deepEqual(browser.received, [{ target: 'cycle', arguments: [i] }]);
        } finally {
          browser.disconnect();
        }
      } finally {
        await client.close();
      }
    } finally {
      await sim.close();
    }
  }
}

// Cheap calls that cross the FFI without the network, and one in REST_EVERY a real REST call to
// the long-lived simulator (to a hub nobody is connected to, so nothing piles up).
async function calls(count, sim, client) {
  const restHub = client.hub('leak');
  const audience = `${sim.url}/api/v1/hubs/leak`;
  for (let i = 0; i < count; i++) {
    if (i % REST_EVERY === 0) {
      await restHub.sendToAll('tick', [i]);
      continue;
    }
    switch (i % 5) {
      case 0:
        assert.ok(client.negotiate('chat', { userId: 'user-1' }).accessToken);
        break;
      case 1:
        assert.equal(client.hub('chat').name, 'chat');
        break;
      case 2:
        assert.ok(sim.hubs().length > 0);
        break;
      case 3:
        assert.ok(client.clientUrl('chat'));
        break;
      default:
        assert.ok(sim.accessToken(audience));
    }
  }
}

if (typeof globalThis.gc !== 'function') {
  console.error('leak.mjs: run with node --expose-gc, or garbage is not collected before measuring');
}

let failed = false;
const sim = await Simulator.start({ port: 0 });
const client = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES);
try {
  await settle();
  let beforeRss = rssMib();
  let beforeFds = openFds();

  const report = (phase, started, ops, bounded = true) => {
    const rss = rssMib();
    const fds = openFds();
    const growth = rss - beforeRss;
    const fdGrowth = fds - beforeFds;
    const over = bounded && (growth > MAX_RSS_MIB || fdGrowth > MAX_FDS);
    failed ||= over;
    const seconds = (performance.now() - started) / 1000;
    const sign = (n, digits) => (n >= 0 ? '+' : '') + n.toFixed(digits);
    console.log(
      `leak node ${phase.padEnd(6)} rss_mib_before=${beforeRss.toFixed(1)} rss_mib=${rss.toFixed(1)} ` +
        `fds_before=${beforeFds} fds=${fds} rss_growth_mib=${sign(growth, 1)} fd_growth=${sign(fdGrowth, 0)} ` +
        `seconds=${seconds.toFixed(1)} ops=${ops}` +
        (over ? `  FAIL (bounds: +${MAX_RSS_MIB} MiB, +${MAX_FDS} fds)` : ''),
    );
  };

  // The warm-up's growth is shown, not bounded: allocators and runtimes settle in it.
  let started = performance.now();
  await cycles(WARMUP);
  await calls(WARMUP_CALLS, sim, client);
  await settle();
  report('warmup', started, WARMUP, false);
  beforeRss = rssMib(); // the baseline
  beforeFds = openFds();

  started = performance.now();
  await cycles(CYCLES);
  await settle();
  report('cycles', started, CYCLES);

  started = performance.now();
  await calls(CALLS, sim, client);
  await settle();
  report('calls', started, CALLS);
} finally {
  await client.close();
  await sim.close();
}
process.exitCode = failed ? 1 : 0;
