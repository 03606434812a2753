'use strict';
// The simulator dashboard: renders the snapshots and activity the event stream sends, and acts
// through the REST API with tokens the simulator signs for this page.

const MAX_LOG_ROWS = 500;
const state = { snapshot: null, activity: [] };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(child ?? ''));
  }
  return node;
}

function filters() {
  const form = new FormData($('filters'));
  const get = (name) => String(form.get(name) || '').trim().toLowerCase();
  return { hub: get('hub'), user: get('user'), group: get('group'), connection: get('connection') };
}

const matches = (value, wanted) => !wanted || String(value ?? '').toLowerCase().includes(wanted);
const time = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

function table(caption, headers, rows) {
  if (rows.length === 0) return el('p', { className: 'empty' }, `${caption}: none`);
  return el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows));
}

function renderHubs() {
  const snapshot = state.snapshot;
  const f = filters();
  const container = $('hubs');
  container.replaceChildren();
  const hubs = (snapshot?.hubs || []).filter((hub) => matches(hub.name, f.hub));
  if (hubs.length === 0) {
    container.append(el('p', { className: 'empty' }, 'No hub matches.'));
    return;
  }
  for (const hub of hubs) {
    const connections = hub.connections.filter((c) => matches(c.user, f.user)
      && matches(c.id, f.connection) && (!f.group || c.groups.some((g) => matches(g, f.group))));
    const connectionRows = connections.map((c) => el('tr', { 'data-connection': c.id },
      el('td', { className: 'mono' }, c.id),
      el('td', {}, c.user ?? '(anonymous)'),
      el('td', {}, c.protocol),
      el('td', {}, time(c.connectedAt)),
      el('td', {}, String(c.queuedBytes)),
      el('td', {}, c.groups.join(', ')),
      el('td', {}, el('button', {
        type: 'button', className: 'secondary',
        onclick: () => closeConnection(hub.name, c.id),
        ariaLabel: `Close connection ${c.id}`,
      }, 'Close'))));
    const groups = hub.groups.filter((g) => matches(g.name, f.group)
      && (!f.connection || g.connections.some((id) => matches(id, f.connection))));
    const groupRows = groups.map((g) => el('tr', { 'data-group': g.name },
      el('td', {}, g.name), el('td', { className: 'mono' }, g.connections.join(', '))));
    const mappings = hub.userGroups.filter((m) => matches(m.user, f.user) && matches(m.group, f.group));
    const mappingRows = mappings.map((m) => el('tr', {},
      el('td', {}, m.user), el('td', {}, m.group), el('td', {}, time(m.expiresAt))));
    const shown = hub.connections.length < hub.connectionCount
      ? ` (first ${hub.connections.length} listed)` : '';
    container.append(el('section', { className: 'hub', 'data-hub': hub.name },
      el('h3', {}, `Hub ${hub.name}: ${hub.connectionCount} connection(s)${shown}`),
      table(`Connections of ${hub.name}`,
        ['Connection id', 'User', 'Protocol', 'Connected since', 'Queued bytes', 'Groups', 'Action'],
        connectionRows),
      table(`Groups of ${hub.name}`, ['Group', 'Members'], groupRows),
      table(`User-group mappings of ${hub.name} (simulator clock)`, ['User', 'Group', 'Expires'], mappingRows)));
  }
}

function describe(event) {
  switch (event.kind) {
    case 'request': {
      const code = event.errorCode ? ` ${event.errorCode}` : '';
      const fault = event.fault ? ` (injected fault ${event.fault})` : '';
      return `${event.method} ${event.path} → ${event.status}${code} in ${event.ms.toFixed(1)} ms${fault}`;
    }
    case 'delivery': {
      const to = event.to === 'all' ? 'everyone' : `${event.to} ${event.name}`;
      return `${event.target} to ${to}: ${event.recipients} connection(s)`;
    }
    case 'connected':
      return `${event.connection} connected (${event.protocol}) as ${event.user ?? 'anonymous'}`;
    case 'disconnected':
      return `${event.connection} disconnected${event.reason ? `: ${event.reason}` : ''}`;
    case 'upstream': {
      const outcome = event.status === null ? `failed: ${event.error}` : `→ ${event.status}`;
      return `upstream ${event.category}/${event.event} for ${event.connection} to ${event.url} ${outcome}`;
    }
    case 'fault':
      return `fault ${event.fault} injected on ${event.target}${event.id ? ` by rule ${event.id}` : ''}`;
    case 'fault-rule':
      return `fault rule ${event.id} ${event.change}: ${event.fault}`;
    case 'lagged':
      return `${event.missed} event(s) not shown: the page fell behind`;
    default:
      return JSON.stringify(event);
  }
}

function hubOf(event) {
  if (event.hub) return event.hub;
  const match = /\/hubs\/([^/]+)/.exec(event.path || '');
  return match ? decodeURIComponent(match[1]).toLowerCase() : '';
}

function eventMatches(event, f) {
  const text = `${event.path || ''} ${event.name || ''} ${event.connection || ''} ${event.user || ''} ${event.kind === 'fault' ? event.target : ''}`.toLowerCase();
  return matches(hubOf(event), f.hub) && (!f.user || text.includes(f.user))
    && (!f.group || text.includes(f.group)) && (!f.connection || text.includes(f.connection));
}

function renderLog() {
  const f = filters();
  const rows = [];
  for (let i = state.activity.length - 1; i >= 0 && rows.length < MAX_LOG_ROWS; i -= 1) {
    const event = state.activity[i];
    if (!eventMatches(event, f)) continue;
    const failed = (event.kind === 'request' && event.status >= 400) || event.kind === 'fault';
    rows.push(el('tr', { className: failed ? 'error' : '', 'data-kind': event.kind },
      el('td', {}, time(event.at)), el('td', {}, event.kind), el('td', {}, hubOf(event)),
      el('td', { className: 'mono' }, describe(event))));
  }
  $('log').replaceChildren(...rows);
}

/** Calls the REST API with a token the simulator signs for exactly this path. */
async function rest(method, path, body) {
  const tokenAnswer = await fetch('api/token', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path }),
  });
  if (!tokenAnswer.ok) throw new Error(`token: ${tokenAnswer.status} ${await tokenAnswer.text()}`);
  const { token } = await tokenAnswer.json();
  const answer = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const code = answer.headers.get('x-ms-error-code');
  return `${method} ${path} → ${answer.status}${code ? ` ${code}` : ''}`;
}

const segment = encodeURIComponent;

async function closeConnection(hub, id) {
  try {
    $('send-result').textContent = await rest('DELETE', `/api/v1/hubs/${segment(hub)}/connections/${segment(id)}`);
  } catch (error) {
    $('send-result').textContent = String(error);
  }
}

async function send(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const hub = String(form.get('hub')).trim();
  const to = String(form.get('to'));
  const name = String(form.get('name') || '').trim();
  let args;
  try {
    args = JSON.parse(String(form.get('arguments')));
    if (!Array.isArray(args)) throw new Error('not an array');
  } catch (error) {
    $('send-result').textContent = `Arguments must be a JSON array: ${error.message}`;
    return;
  }
  if (to !== 'all' && !name) {
    $('send-result').textContent = `Give the ${to} to send to.`;
    return;
  }
  const base = `/api/v1/hubs/${segment(hub)}`;
  const path = to === 'all' ? base : `${base}/${to}s/${segment(name)}`;
  try {
    $('send-result').textContent = await rest('POST', path, { target: String(form.get('target')), arguments: args });
  } catch (error) {
    $('send-result').textContent = String(error);
  }
}

function connect() {
  const source = new EventSource('api/events');
  source.addEventListener('open', () => { $('status').textContent = 'live'; });
  source.addEventListener('error', () => { $('status').textContent = 'disconnected; retrying…'; });
  source.addEventListener('snapshot', (message) => {
    state.snapshot = JSON.parse(message.data);
    renderHubs();
  });
  source.addEventListener('activity', (message) => {
    state.activity.push(JSON.parse(message.data));
    if (state.activity.length > MAX_LOG_ROWS) state.activity.shift();
    renderLog();
  });
}

$('filters').addEventListener('input', () => { renderHubs(); renderLog(); });
$('filters').addEventListener('submit', (event) => event.preventDefault());
$('send').addEventListener('submit', send);
connect();
