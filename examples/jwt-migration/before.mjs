// Before: the hand-written JWT code many apps carry (jsonwebtoken and fetch).
//
// Run with AZURE_SIGNALR_CONNECTION_STRING set: it broadcasts newMessage("hello from before.mjs")
// to hub chat, then makes alice's negotiate answer and shows the service accepts its token.
import jwt from 'jsonwebtoken';

export function parseConnectionString(connectionString) {
  const parts = Object.fromEntries(
    connectionString.split(';').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
  );
  return { endpoint: parts.Endpoint.replace(/\/$/, ''), accessKey: parts.AccessKey };
}

function restToken(url, accessKey) {
  // aud is the request URL, exp one hour on (expiresIn); HS256 with the access key.
  return jwt.sign({ aud: url }, accessKey, { algorithm: 'HS256', expiresIn: '1h' });
}

async function sendToAll(endpoint, accessKey, hub, target, ...args) {
  const url = `${endpoint}/api/v1/hubs/${hub}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${restToken(url, accessKey)}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ target, arguments: args }),
  });
  if (response.status !== 202) throw new Error(`send failed: ${response.status}`);
}

function negotiate(endpoint, accessKey, hub, userId) {
  // What the app's /negotiate returns to a SignalR client: the client URL and a token for it.
  const url = `${endpoint}/client/?hub=${hub}`;
  const accessToken = jwt.sign({ aud: url, nameid: userId }, accessKey, { algorithm: 'HS256', expiresIn: '1h' });
  return { url, accessToken };
}

// POSTs {url}/negotiate as a SignalR client would; the service's connectionId.
export async function clientTokenAccepted({ url, accessToken }) {
  const [base, query] = url.split('?');
  const response = await fetch(`${base.replace(/\/$/, '')}/negotiate?${query}&negotiateVersion=1`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  if (!response.ok) throw new Error(`negotiate refused: ${response.status} ${await response.text()}`);
  return (await response.json()).connectionId;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { endpoint, accessKey } = parseConnectionString(process.env.AZURE_SIGNALR_CONNECTION_STRING);
  await sendToAll(endpoint, accessKey, 'chat', 'newMessage', 'hello from before.mjs');
  const answer = negotiate(endpoint, accessKey, 'chat', 'alice');
  console.log('client token accepted:', await clientTokenAccepted(answer));
}
