// A typed tour of the API, checked by `tsc --noEmit --strict` (scripts/lib/test-node).

import { createServer } from 'node:http';
import {
  AbortError,
  NotFoundError,
  RequestTimeoutError,
  ServiceClient,
  ServiceError,
  SignalRError,
  Simulator,
  type ApiVersion,
  type FaultRule,
  type HubClient,
  type InjectedFault,
  type Invocation,
  type JsonValue,
  type NegotiateResponse,
  type SignalRErrorCode,
  type Logger,
  type TokenProvider,
  type VirtualClient,
} from 'signalr-rest';

const sim: Simulator = await Simulator.start({ port: 0, accessKey: 'dev-key' });
const client = ServiceClient.fromConnectionString(sim.connectionString, {
  timeoutMs: 5000,
  retry: { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 1000 },
});
const chat: HubClient = client.hub('chat');
const alice: VirtualClient = sim.connect('chat', { userId: 'alice' });

const payload: JsonValue[] = ['text', 42, null, true, { nested: ['a', { deep: 1.5 }] }];
await chat.sendToAll('broadcast', payload, { excluded: [alice.connectionId] });
await chat.sendToUser('alice', 'direct', payload);
await chat.sendToConnection(alice.connectionId, 'one', []);
await chat.sendToGroup('room', 'grouped', ['x'], { excluded: [] });
const exists: boolean = await chat.connectionExists(alice.connectionId);
await chat.addConnectionToGroup('room', alice.connectionId);
await chat.removeConnectionFromGroup('room', alice.connectionId);
await chat.addUserToGroup('vip', 'alice', { ttlSeconds: 60 });
const member: boolean = await chat.userInGroup('vip', 'alice');
await chat.removeUserFromGroup('vip', 'alice');
await chat.removeUserFromAllGroups('alice');
const online: boolean = (await chat.userExists('alice')) && (await chat.groupExists('room'));
await client.health({ signal: AbortSignal.timeout(1000) });

const first: Invocation = await alice.waitFor('direct', { timeoutMs: 1000 });
const received: Invocation[] = alice.received;
console.log(exists, member, online, first.arguments, received.length, chat.name, client.endpoint);

// The 2022-06-01 API and the operations it added.
const newer = ServiceClient.fromConnectionString(sim.connectionString, { apiVersion: '2022-06-01' });
const version: ApiVersion = newer.apiVersion;
const newerChat: HubClient = newer.hub('chat');
await newerChat.closeUserConnections('alice', { excluded: [alice.connectionId], reason: 'bye' });
await newerChat.closeGroupConnections('room', { reason: 'closing the room' });
await newerChat.closeAllConnections({ signal: AbortSignal.timeout(1000) });
await newerChat.removeConnectionFromAllGroups(alice.connectionId);
const token: string = await newerChat.generateClientToken({ userId: 'alice', lifetimeSeconds: 600 });
const fromService: NegotiateResponse = await client.negotiateWithService('chat', { userId: 'alice' });
console.log(version, token.length, fromService.url);

const answer: NegotiateResponse = client.negotiate('chat', {
  userId: 'alice',
  lifetimeSeconds: 600,
  claims: { role: 'admin', teams: ['a', 'b'] },
});
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(answer));
});
server.close();

try {
  await chat.removeConnectionFromGroup('room', 'ghost', { signal: new AbortController().signal });
} catch (error) {
  if (error instanceof NotFoundError) {
    const code: string = error.errorCode;
    const status: 404 = error.status;
    console.log(code, status);
  } else if (error instanceof ServiceError) {
    console.log(error.status, error.body);
  } else if (error instanceof RequestTimeoutError) {
    console.log(error.timeoutMs);
  } else if (error instanceof AbortError) {
    console.log(error.cause);
  } else if (error instanceof SignalRError) {
    const code: SignalRErrorCode = error.code;
    console.log(code);
  }
}

// Tests can build the errors a fake would raise.
const fake: NotFoundError = new NotFoundError('not found', 'Warning.User.NotExisted');
console.log(fake.code, new ServiceError('boom', 500, '{}').status);

await chat.closeConnection(alice.connectionId, { reason: 'bye' });
const reason: string | null = alice.closeReason;
const closed: boolean = alice.closed;
alice.disconnect();
sim.advanceClock(30);
console.log(reason, closed, sim.hubs(), sim.groups('chat'), sim.connections('chat'), sim.userGroups('chat'));

// Key-less: a token provider (Microsoft Entra ID in production) instead of the access key.
const tokenProvider: TokenProvider = async (audience: string) =>
  sim.accessToken(audience, { lifetimeSeconds: 600 });
const keyless = ServiceClient.fromEndpoint(sim.url, { tokenProvider, timeoutMs: 5000 });
await keyless.hub('chat').sendToAll('hello', []);
const fromParts = ServiceClient.fromEndpoint(sim.url, {
  accessKey: sim.accessKey,
  clientEndpoint: 'https://clients.example.com',
});
const clientUrl: string = fromParts.clientUrl('chat');
const aad = ServiceClient.fromConnectionString(`Endpoint=${sim.url};AuthType=aad;Version=1.0;`, {
  tokenProvider: (audience) => sim.accessToken(audience),
});
console.log(clientUrl, aad.endpoint);
const logger: Logger = (level, message, fields) => console.log(level, message, fields.path);
ServiceClient.fromConnectionString(sim.connectionString, { logger });
ServiceClient.fromConnectionString(sim.connectionString, { logger: console });
await keyless.close();
await fromParts[Symbol.asyncDispose]();
await sim.close();

// Fault injection: rules from the start and added later, what they injected, dropped and paused
// WebSocket clients.
const faulty: Simulator = await Simulator.start({ faults: ['503;route=send;times=1'], faultSeed: 7 });
const ruleId: string = faulty.addFault('delay=250ms;hub=chat');
const rules: FaultRule[] = faulty.faults();
const injected: InjectedFault[] = faulty.injectedFaults();
const injectedHub: string | null = injected[0]?.hub ?? null;
const dropped: string[] = faulty.dropClients('chat', { close: false });
const paused: string[] = faulty.pauseClients('chat', 500, { connectionId: 'c1' });
console.log(faulty.removeFault(ruleId), rules, injectedHub, dropped, paused);
faulty.clearFaults();
await faulty.close();

{
  await using disposable = await Simulator.start();
  console.log(disposable.url);
}
