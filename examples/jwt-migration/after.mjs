// After: the same with signalr-rest, twice: the SDK signing with the connection string's key,
// and the SDK calling your own signer (tokenProvider) for every request.
//
// Run with AZURE_SIGNALR_CONNECTION_STRING set: it broadcasts newMessage("hello from after.mjs")
// and newMessage("hello from my own signer in Node") to hub chat, and checks alice's negotiate answer.
import jwt from 'jsonwebtoken';
import { ServiceClient } from 'signalr-rest';
import { clientTokenAccepted, parseConnectionString } from './before.mjs';

const connectionString = process.env.AZURE_SIGNALR_CONNECTION_STRING;

const signalr = ServiceClient.fromConnectionString(connectionString);
await signalr.hub('chat').sendToAll('newMessage', ['hello from after.mjs']);
const answer = signalr.negotiate('chat', { userId: 'alice' }); // { url, accessToken }
const url = signalr.clientUrl('chat'); // `${endpoint}/client/?hub=chat`
await signalr.close();

if (answer.url !== url) throw new Error(`${answer.url} is not ${url}`);
console.log('client token accepted:', await clientTokenAccepted(answer));

const { endpoint, accessKey } = parseConnectionString(connectionString);

// audience is the URL of the request the SDK is about to send: sign it as before.
async function mySigner(audience) {
  return jwt.sign({ aud: audience }, accessKey, { algorithm: 'HS256', expiresIn: '1h' });
}

const keyless = ServiceClient.fromEndpoint(endpoint, { tokenProvider: mySigner });
await keyless.hub('chat').sendToAll('newMessage', ['hello from my own signer in Node']);
await keyless.close();
