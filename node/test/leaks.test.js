'use strict';
// The short form of the leak check across the FFI (tests/leaks/leak.mjs, issue 15): after a
// warm-up, 200 cycles of a simulator, a client and a virtual client created, used and closed,
// then 50,000 calls (one in 100 a REST call), with RSS and descriptors measured against the
// baseline, in a child `node --expose-gc` so that garbage is collected before each measurement.
//
// Bounds: RSS growth <= 40 MiB, descriptors <= 8. Measured without a leak: +2 to +5 MiB and +0
// descriptors (docs/leaks.md; the allocator keeps some freed memory, and the warm-up takes most of
// that), so the bound does not flake, while a leak of 1 KiB per call (49 MiB over 50,000 calls) or
// of a socket, a thread or a runtime per cycle (a descriptor each, MiBs over 200 cycles) fails it.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');

const LEAK_SCRIPT = path.join(__dirname, '..', '..', 'tests', 'leaks', 'leak.mjs');

test('RSS and descriptors stay flat across created and closed objects and 50,000 calls', () => {
  const env = {
    ...process.env,
    LEAK_CYCLES: '200',
    LEAK_CALLS: '50000',
    LEAK_MAX_RSS_MIB: '40',
    LEAK_MAX_FDS: '8',
  };
  const child = spawnSync(process.execPath, ['--expose-gc', LEAK_SCRIPT], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  process.stdout.write(child.stdout);
  process.stderr.write(child.stderr);
  assert.equal(child.status, 0, `leak.mjs failed (${child.signal ?? child.status}):\n${child.stdout}${child.stderr}`);
  const phases = child.stdout
    .split('\n')
    .filter((line) => line.startsWith('leak node '))
    .map((line) => line.split(/\s+/)[2]);
  assert.deepEqual(phases, ['warmup', 'cycles', 'calls'], child.stdout);
});
