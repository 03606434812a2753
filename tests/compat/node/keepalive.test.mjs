// The server must Ping a silent connection (every 15 s of silence; clients drop a server they
// have not heard from in 30 s). A client told to drop after 20 s of silence must still be there
// after 24 s. This file runs in parallel with client.test.mjs, so its wait costs no wall time.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { CONFIGS, connect, sleep, startServer, unique } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

for (const config of [CONFIGS[0], CONFIGS[3]]) {
  test(`${config.name}: a silent connection survives a 20 s server timeout (server Pings)`, async (t) => {
    const hub = unique('hub');
    const client = await connect(server, hub, 'idle', config, {
      configure: (connection) => { connection.serverTimeoutInMilliseconds = 20000; },
    });
    t.after(() => client.stop());
    const outcome = await Promise.race([
      client.closed.then((error) => `closed after silence: ${error?.message ?? error}`),
      sleep(24000).then(() => 'open'),
    ]);
    assert.equal(outcome, 'open');
    await server.sendToUser(hub, 'idle', 'msg', ['still-there']);
    await client.expect('still-there');
  });
}
