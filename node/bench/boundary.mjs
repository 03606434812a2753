// What crossing the JS/Rust boundary costs, through the public API only, so the same script
// measures any two builds of the package (issue 10: "measure argument passing before and after"):
//   send        BENCH_SENDS (default 20000) hub.sendToConnection calls to a virtual client of a
//               simulator, 64 in flight: arguments checked and converted (JSON text), one native
//               call and one HTTP request each (the simulator is in this process, on 127.0.0.1).
//   received    virtualClient.received read BENCH_READS (default 50) times while it holds 1000
//               invocations: messages crossing back from Rust.
//   sync error  BENCH_ERRORS (default 20000) serviceClient.hub('1bad') calls, each refused by the
//               core with an InvalidArgumentError: an error crossing from a synchronous call.
//   async error the same count of hub.addUserToGroup calls with a negative TTL, refused inside
//               the call's future: an error crossing as a Promise rejection, without network.
//
// `BENCH_BASELINE=<directory of another build of this package> node bench/boundary.mjs` loads
// both builds into this process and alternates them, BENCH_ROUNDS (default 5) times per
// measurement, so a busy machine slows both alike; the table gives each side's median.

import { createRequire } from 'node:module';
import path from 'node:path';

const SENDS = Number(process.env.BENCH_SENDS ?? 20_000);
const READS = Number(process.env.BENCH_READS ?? 50);
const ERRORS = Number(process.env.BENCH_ERRORS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const HELD = 1000;
const CONCURRENCY = 64;

const here = path.join(import.meta.dirname, '..');
const sides = [{ name: 'this build', dir: here }];
if (process.env.BENCH_BASELINE) {
  sides.unshift({ name: 'baseline', dir: path.resolve(process.env.BENCH_BASELINE) });
}

/** A typical invocation's arguments: a string and a small nested object. */
function argumentsOf(i) {
  return ['hello', { n: i, user: { name: 'alice', tags: ['a', 'b'] }, ok: true, score: 1.5 }];
}

/** Runs `call(i)` for i in [0, count) with `concurrency` in flight; returns elapsed ms. */
async function timeAsync(count, concurrency, call) {
  let next = 0;
  const started = performance.now();
  const loop = async () => {
    while (next < count) await call(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return performance.now() - started;
}

/** Runs `call(i)` for i in [0, count) one after another; returns elapsed ms. */
async function timeSync(count, call) {
  const started = performance.now();
  for (let i = 0; i < count; i++) call(i);
  return performance.now() - started;
}

/** The measurements of one build: name -> { count, run() -> elapsed ms }. */
async function prepare(dir) {
  const pkg = createRequire(path.join(dir, 'package.json'))(dir);
  const { InvalidArgumentError, ServiceClient, Simulator } = pkg;
  const sim = await Simulator.start({ port: 0 });
  const service = ServiceClient.fromConnectionString(sim.connectionString);
  const hub = service.hub('bench');
  const holder = sim.connect('bench');
  await timeAsync(HELD, CONCURRENCY, (i) =>
    hub.sendToConnection(holder.connectionId, 'message', argumentsOf(i)),
  );
  if (holder.received.length !== HELD) throw new Error(`holder has ${holder.received.length}`);
  const refuse = () => {
    try {
      service.hub('1bad');
    } catch (error) {
      if (!(error instanceof InvalidArgumentError) || error.field !== 'hub') throw error;
      return;
    }
    throw new Error('hub("1bad") did not throw');
  };
  const reject = async () => {
    try {
      await hub.addUserToGroup('g', 'u', { ttlSeconds: -1 });
    } catch (error) {
      if (!(error instanceof InvalidArgumentError) || error.field !== 'ttlSeconds') throw error;
      return;
    }
    throw new Error('a negative TTL did not reject');
  };
  const measurements = {
    'send: hub.sendToConnection': {
      count: SENDS,
      run: async () => {
        const target = sim.connect('bench');
        const ms = await timeAsync(SENDS, CONCURRENCY, (i) =>
          hub.sendToConnection(target.connectionId, 'message', argumentsOf(i)),
        );
        target.disconnect();
        return ms;
      },
    },
    [`received: ${HELD} messages per read`]: {
      count: READS,
      run: () => timeSync(READS, () => holder.received),
    },
    'sync error: InvalidArgumentError': { count: ERRORS, run: () => timeSync(ERRORS, refuse) },
    'async error: InvalidArgumentError': {
      count: ERRORS,
      run: () => timeAsync(ERRORS, CONCURRENCY, reject),
    },
  };
  return { measurements, close: () => sim.close() };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const prepared = [];
for (const side of sides) prepared.push({ ...side, ...(await prepare(side.dir)) });
try {
  const names = Object.keys(prepared[0].measurements);
  for (const side of prepared) {
    for (const name of names) await side.measurements[name].run(); // warm-up
  }
  const columns = prepared.map((side) => `${side.name} µs each`).join(' | ');
  console.log(`| measurement | count | ${columns} |`);
  console.log(`|---|---:|${prepared.map(() => '---:').join('|')}|`);
  for (const name of names) {
    const times = prepared.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, side] of prepared.entries()) times[i].push(await side.measurements[name].run());
    }
    const { count } = prepared[0].measurements[name];
    const cells = times.map((ms) => ((median(ms) * 1000) / count).toFixed(2)).join(' | ');
    console.log(`| ${name} | ${count} | ${cells} |`);
  }
} finally {
  for (const side of prepared) await side.close();
}
