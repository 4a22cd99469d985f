// The sync server as its own process for the sync benchmark, so that its CPU is not the devices':
// no rate limit (the benchmark measures throughput, not the policy), no request logs.
//   node --import tsx test/bench/sync-server-child.ts <postgres url or sqlite file>
import { startServer } from '../../server/index.ts';

const db = process.argv[2];
if (!db) {
  console.error('usage: sync-server-child.ts <db>');
  process.exit(2);
}
const server = await startServer({ db, port: 0, rateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 }, poolSize: 10 });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
