// Runs the app: AZURE_SIGNALR_CONNECTION_STRING names the service (or a simulator).
import { createApp } from './app.mjs';

const port = Number(process.env.PORT ?? 7071);
const app = createApp({ connectionString: process.env.AZURE_SIGNALR_CONNECTION_STRING });
app.listen(port, '127.0.0.1', () => {
  console.log(`chat app on http://127.0.0.1:${port}/api (upstream: /api/{hub}/{category}/{event})`);
});
