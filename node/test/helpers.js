'use strict';
// Loopback servers the tests talk to; every one listens on 127.0.0.1 port 0 and is closed
// by the test that started it.

const http = require('node:http');

/** A connection string for a server on `port` signed with key `k`. */
function connectionString(port) {
  return `Endpoint=http://127.0.0.1:${port};AccessKey=k;Version=1.0;`;
}

/**
 * An HTTP server answering every request with `handler(req, res)`; `requests` counts them and
 * `closedRequests` counts requests whose connection closed before an answer was sent.
 */
async function startServer(handler) {
  const state = { requests: 0, closedRequests: 0 };
  const server = http.createServer((req, res) => {
    state.requests += 1;
    res.on('close', () => {
      if (!res.writableEnded) state.closedRequests += 1;
    });
    handler(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    state,
    connectionString: connectionString(port),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A server that never answers. */
function startSilentServer() {
  return startServer(() => {});
}

/** A server answering every request with `status` and `body`. */
function startStatusServer(status, body, headers = {}) {
  return startServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  });
}

/** A port nothing listens on (bound, then released). */
async function unusedPort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once `predicate()` holds, polling every 10 ms for at most `ms`. */
async function eventually(predicate, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Client options for tests against the simulator: no retries, so an intermittent failure shows. */
const NO_RETRIES = Object.freeze({ retry: Object.freeze({ maxRetries: 0 }) });

module.exports = {
  NO_RETRIES,
  connectionString,
  startServer,
  startSilentServer,
  startStatusServer,
  unusedPort,
  eventually,
};
