// The server must Ping a silent connection (after 15 s of silence; clients drop a server they
// have not heard from in 30 s). A client told to drop after 17 s of silence must still be there
// after 18.5 s. The tests run at once, and this file in parallel with client.test.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { CLIENTS, CONFIGS, connect, latest, sleep, startServer, unique } from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

describe('keep-alive', { concurrency: true }, () => {
  const oldest = CLIENTS[CLIENTS.length - 1];
  const configs = [
    latest('negotiate', 'json'),
    latest('skipNegotiation', 'messagepack'),
    CONFIGS.find((c) => c.client === oldest && c.mode === 'redirect' && c.protocol === 'json'),
  ];
  for (const config of configs) {
    test(`${config.name}: a silent connection survives a 17 s server timeout (server Pings)`, async (t) => {
      const hub = unique('hub');
      const client = await connect(server, hub, 'idle', config, {
        configure: (connection) => { connection.serverTimeoutInMilliseconds = 17000; },
      });
      t.after(() => client.stop());
      const outcome = await Promise.race([
        client.closed.then((error) => `closed after silence: ${error?.message ?? error}`),
        sleep(18500).then(() => 'open'),
      ]);
      assert.equal(outcome, 'open');
      await server.sendToUser(hub, 'idle', 'msg', ['still-there']);
      await client.expect('still-there');
    });
  }
});
