// Handing PDUs and EDUs to the destination objects that send them.
import type { Env } from '../../config';
import type { OutgoingItem } from '../../../durable-objects/destination';

export async function sendToServers(env: Env, servers: Iterable<string>, items: OutgoingItem[]): Promise<void> {
  if (items.length === 0) return;
  await Promise.all(
    [...new Set(servers)].map((server) =>
      env.DESTINATION.get(env.DESTINATION.idFromName(server))
        .enqueue(server, items)
        .catch((e: unknown) => console.error(`[federation] could not queue for ${server}: ${e}`)),
    ),
  );
}
