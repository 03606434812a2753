// The page's chat client: @microsoft/signalr (the global `signalR` of its browser bundle).
// The user name comes from ?name= (default "browser") and goes to the app's negotiate as
// ?user=: a custom header (client/chat.mjs sends x-ms-signalr-user-id) would go on to the
// service's negotiate too, where CORS may refuse it.
const name = new URLSearchParams(location.search).get('name') || 'browser';
const status = document.getElementById('status');
const messages = document.getElementById('messages');
const text = document.getElementById('text');

const connection = new signalR.HubConnectionBuilder()
  .withUrl(`/api?user=${encodeURIComponent(name)}`)
  .configureLogging(signalR.LogLevel.Warning)
  .build();

connection.on('newMessage', (author, message) => {
  const item = document.createElement('li');
  item.textContent = `${author}: ${message}`;
  messages.append(item);
});
connection.onclose(() => { status.textContent = 'disconnected'; });

document.getElementById('send').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await connection.invoke('broadcast', name, text.value);
    status.textContent = `connected as ${name}; sent message ${result.id}`;
    text.value = '';
  } catch (e) {
    status.textContent = `connected as ${name}; error: ${e.message}`;
  }
});

connection.start().then(
  () => { status.textContent = `connected as ${name}`; },
  (e) => { status.textContent = `failed: ${e.message}`; },
);
