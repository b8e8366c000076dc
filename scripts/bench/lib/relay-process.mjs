// The Neon relay in a process of its own (started by server.mjs): it stands in for Neon's proxy,
// which does not share an event loop with the load generator.
import { startNeonRelay } from '../../lib/neon-relay.mjs';

const relay = await startNeonRelay();
process.send({ address: relay.address });
process.on('disconnect', () => void relay.close().then(() => process.exit(0)));
