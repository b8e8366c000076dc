// A TCP proxy on loopback that a test can cut and restore: a network partition between servers.
import net from 'node:net';

export interface Proxy {
  /** While cut, new and open connections are refused/reset. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export function startProxy(listenPort: number, targetPort: number): Promise<Proxy> {
  let cut = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(listenPort, '127.0.0.1', () =>
      resolve({
        cut() {
          cut = true;
          for (const s of open) s.destroy();
          open.clear();
        },
        heal() {
          cut = false;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
