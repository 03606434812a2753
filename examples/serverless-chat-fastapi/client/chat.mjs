// A chat client on the unmodified @microsoft/signalr:
//   node chat.mjs [--messagepack] NAME            prints each newMessage until its input ends
//   node chat.mjs [--messagepack] NAME MESSAGE    invokes broadcast(NAME, MESSAGE) and quits
// It prints one line per event: `connected <id>`, `newMessage <arguments as JSON>`,
// `result <JSON>` or `error <message>` (exit code 1). CHAT_URL is the app (default :8000/api).
import { HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';

const args = process.argv.slice(2);
const messagepack = args[0] === '--messagepack';
const [name, text] = messagepack ? args.slice(1) : args;
if (!name) {
  console.error('usage: node chat.mjs [--messagepack] NAME [MESSAGE]');
  process.exit(2);
}

let builder = new HubConnectionBuilder()
  .withUrl(process.env.CHAT_URL ?? 'http://127.0.0.1:8000/api', { headers: { 'x-ms-signalr-user-id': name } })
  .configureLogging(LogLevel.Warning);
if (messagepack) builder = builder.withHubProtocol(new MessagePackHubProtocol());
const connection = builder.build();
connection.on('newMessage', (...message) => console.log(`newMessage ${JSON.stringify(message)}`));
await connection.start();
console.log(`connected ${connection.connectionId}`);

if (text === undefined) {
  process.stdin.resume();
  process.stdin.on('end', () => connection.stop());
} else {
  try {
    console.log(`result ${JSON.stringify(await connection.invoke('broadcast', name, text))}`);
  } catch (e) {
    console.log(`error ${e.message}`);
    process.exitCode = 1;
  }
  await connection.stop();
}
