// Send-to-connection throughput against one simulator: this package versus Node's fetch with
// jsonwebtoken signing each request (as the core does), at concurrency 1 and 64.
// BENCH_SECONDS sets the measuring time of each run (default 3).
// With BENCH_CONNECTION_STRING set, sends to that simulator (to BENCH_CONNECTION_ID, default
// "bench-connection"; an absent connection still answers 202) instead of starting one, and also
// prints a line `RESULT <name> <concurrency> <calls/s>` per rate (names node, fetch).

import jwt from 'jsonwebtoken';
import { ServiceClient, Simulator } from 'signalr-rest';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCIES = [1, 64];
const TARGET = 'benchmark';
const ARGS = ['hello', { n: 1 }];

/** Calls `call()` from `concurrency` loops for `seconds`; returns calls per second. */
async function measure(call, concurrency, seconds) {
  let calls = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      await call();
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return calls / ((performance.now() - started) / 1000);
}

/** The URL and access key of a connection string, as fetchSender needs them. */
function parseConnectionString(connectionString) {
  const parts = Object.fromEntries(
    connectionString
      .split(';')
      .filter((part) => part.includes('='))
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
      }),
  );
  let url = parts.Endpoint.replace(/\/+$/, '');
  if (parts.Port) url = `${url}:${parts.Port}`;
  return { connectionString, url, accessKey: parts.AccessKey };
}

function fetchSender(sim, connectionId) {
  const url = `${sim.url}/api/v1/hubs/bench/connections/${encodeURIComponent(connectionId)}`;
  const body = JSON.stringify({ target: TARGET, arguments: ARGS });
  return async () => {
    const token = jwt.sign({ aud: url }, sim.accessKey, { algorithm: 'HS256', expiresIn: 3600 });
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`fetch got ${response.status}`);
  };
}

function packageSender(sim, connectionId) {
  const hub = ServiceClient.fromConnectionString(sim.connectionString).hub('bench');
  return () => hub.sendToConnection(connectionId, TARGET, ARGS);
}

const external = process.env.BENCH_CONNECTION_STRING;
const sim = external
  ? parseConnectionString(external)
  : await Simulator.start({ port: 0 });
try {
  const client = external
    ? { connectionId: process.env.BENCH_CONNECTION_ID ?? 'bench-connection', received: null }
    : sim.connect('bench');
  const senders = {
    'signalr-rest': packageSender(sim, client.connectionId),
    'fetch + jsonwebtoken': fetchSender(sim, client.connectionId),
  };
  const rows = [];
  for (const concurrency of CONCURRENCIES) {
    const rates = {};
    for (const [name, send] of Object.entries(senders)) {
      await measure(send, concurrency, Math.min(0.5, SECONDS));
      rates[name] = await measure(send, concurrency, SECONDS);
    }
    rows.push({ concurrency, rates });
  }
  if (!external && client.received.length === 0) {
    throw new Error('the virtual client received nothing');
  }

  const where = external ? 'a shared simulator' : 'one simulator';
  console.log(`send-to-connection against ${where}, ${SECONDS} s per run`);
  console.log('| concurrency | signalr-rest calls/s | fetch + jsonwebtoken calls/s | ratio |');
  console.log('|---:|---:|---:|---:|');
  for (const { concurrency, rates } of rows) {
    const ours = rates['signalr-rest'];
    const theirs = rates['fetch + jsonwebtoken'];
    console.log(
      `| ${concurrency} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${(ours / theirs).toFixed(2)}x |`,
    );
  }
  if (external) {
    for (const { concurrency, rates } of rows) {
      console.log(`RESULT node ${concurrency} ${rates['signalr-rest'].toFixed(1)}`);
      console.log(`RESULT fetch ${concurrency} ${rates['fetch + jsonwebtoken'].toFixed(1)}`);
    }
  }
} finally {
  if (!external) await sim.close();
}
