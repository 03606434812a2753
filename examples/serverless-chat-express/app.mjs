// A serverless chat app. SignalR clients negotiate here and then talk to Azure SignalR Service;
// in serverless mode the service POSTs their connected/disconnected events and the hub methods
// they invoke to this app's upstream endpoint, and the app answers through the REST API.
import express from 'express';
import { ServiceClient, UnauthorizedError, upstream } from 'signalr-rest';

const HUB = 'chat';

/** The AccessKey of a connection string: upstream requests are signed with it. */
const accessKeyOf = (connectionString) => /(?:^|;)\s*AccessKey=([^;]+)/i.exec(connectionString)?.[1];

export function createApp({
  connectionString,
  accessKeys = [accessKeyOf(connectionString)], // add the secondary key while rotating keys
  log = console.log,
}) {
  const signalr = ServiceClient.fromConnectionString(connectionString);
  const chat = signalr.hub(HUB);
  let sent = 0;

  // The hub methods clients may invoke; what one returns is the client's result, what it
  // throws reaches the client as an error.
  const methods = {
    async broadcast(name, text) {
      if (typeof text !== 'string' || text.trim() === '') throw new Error('text must not be empty');
      await chat.sendToAll('newMessage', [name, text]);
      return { id: ++sent };
    },
  };

  const app = express();

  // @microsoft/signalr POSTs {url}/negotiate first: withUrl('http://localhost:7071/api').
  app.post('/api/negotiate', (req, res) => {
    res.json(signalr.negotiate(HUB, { userId: req.get('x-ms-signalr-user-id') }));
  });

  // The upstream URL template: http://localhost:7071/api/{hub}/{category}/{event}. Bodies are
  // read raw: MessagePack clients' invocations arrive as application/x-msgpack.
  app.post('/api/:hub/:category/:event', express.raw({ type: () => true }), async (req, res) => {
    let event;
    try {
      event = upstream.parseRequest(req.headers, req.body, accessKeys);
    } catch (e) {
      res.status(e instanceof UnauthorizedError ? 401 : 400).send(e.message);
      return;
    }
    const who = `${event.userId ?? 'anonymous'} (${event.connectionId})`;
    if (event.kind === 'connected') {
      log(`${who} connected`);
      res.sendStatus(200);
      return;
    }
    if (event.kind === 'disconnected') {
      log(`${who} disconnected${event.error ? `: ${event.error}` : ''}`);
      res.sendStatus(200);
      return;
    }
    const method = Object.hasOwn(methods, event.target) ? methods[event.target] : undefined;
    if (!method) {
      res.sendStatus(404); // the client's call fails with "Invocation failed, status code 404"
      return;
    }
    let answer;
    try {
      answer = { result: await method(...event.arguments) };
    } catch (e) {
      answer = { error: e.message };
    }
    if (event.invocationId === null) {
      res.sendStatus(200); // connection.send(): nobody waits for an answer
      return;
    }
    res
      .type(event.protocol === 'messagepack' ? 'application/x-msgpack' : 'application/json')
      .send(upstream.completionBody(event.protocol, event.invocationId, answer));
  });

  return app;
}
