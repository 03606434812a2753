'use strict';
// Calls run on Rust threads: the JS event loop keeps turning while they are in flight. The
// server answers after 300 ms, so a call that blocked the loop would show a gap of 300 ms or more;
// the bounds leave room for a busy machine.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { ServiceClient } = require('..');
const { startServer } = require('./helpers');

/** Runs `work()` while a 5 ms interval ticks; returns the ticks and the longest gap. */
async function measureTicks(work) {
  let ticks = 0;
  let last = Date.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks += 1;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ticks, longestGap };
}

test('timers keep firing while a call waits 300 ms for its answer', async () => {
  const server = await startServer((req, res) => {
    req.resume();
    setTimeout(() => res.writeHead(202).end(), 300);
  });
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString).hub('chat');
    const { ticks, longestGap } = await measureTicks(() => hub.sendToAll('t', []));
    assert.ok(ticks >= 10, `only ${ticks} ticks in 300 ms`);
    assert.ok(longestGap < 200, `the loop stalled for ${longestGap} ms`);
  } finally {
    await server.close();
  }
});

test('timers keep firing while 100 concurrent calls wait for their answers', async () => {
  const server = await startServer((req, res) => {
    req.resume();
    setTimeout(() => res.writeHead(202).end(), 300);
  });
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString).hub('chat');
    const { ticks, longestGap } = await measureTicks(() =>
      Promise.all(Array.from({ length: 100 }, (_, i) => hub.sendToUser(`user-${i}`, 't', [i]))),
    );
    assert.equal(server.state.requests, 100);
    assert.ok(ticks >= 10, `only ${ticks} ticks in 300 ms`);
    assert.ok(longestGap < 200, `the loop stalled for ${longestGap} ms`);
  } finally {
    await server.close();
  }
});
