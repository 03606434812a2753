// Without Azure: a local simulator on port 8888 that calls this app's upstream on port 7071.
import { Simulator } from 'signalr-rest';

const sim = await Simulator.start({
  port: 8888,
  upstreams: ['http://127.0.0.1:7071/api/{hub}/{category}/{event}'],
});
console.log(`simulator on ${sim.url}`);
process.env.AZURE_SIGNALR_CONNECTION_STRING = sim.connectionString;
await import('./server.mjs');
