// A chat client. `node client.mjs NAME` prints every newMessage until Ctrl-C;
// `node client.mjs NAME MESSAGE` invokes broadcast(NAME, MESSAGE), prints its result and quits.
import { HubConnectionBuilder, LogLevel } from '@microsoft/signalr';

const [name = 'alice', text] = process.argv.slice(2);
const connection = new HubConnectionBuilder()
  .withUrl(process.env.CHAT_URL ?? 'http://127.0.0.1:7071/api', { headers: { 'x-ms-signalr-user-id': name } })
  .configureLogging(LogLevel.Warning)
  .build();
connection.on('newMessage', (from, message) => console.log(`${from}: ${message}`));
await connection.start();
if (text !== undefined) {
  console.log('broadcast returned', await connection.invoke('broadcast', name, text));
  await connection.stop();
}
