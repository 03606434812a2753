// The CommonJS entry point has the same types (checked by tsc with the .mts example).

import signalr = require('signalr-rest');

const client: signalr.ServiceClient = signalr.ServiceClient.fromConnectionString(
  'Endpoint=http://127.0.0.1:8888;AccessKey=key;Version=1.0;',
);
const pending: Promise<void> = client.hub('chat').sendToAll('hello', ['world']);
pending.catch((error: unknown) => {
  if (error instanceof signalr.TransportError) console.log(error.code);
});
