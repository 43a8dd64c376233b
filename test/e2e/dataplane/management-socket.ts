import { rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';

export interface ManagementSocket {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * The bed's management network: a Unix socket that forwards every connection, byte for byte, to
 * the local SQS server's TCP port in the root namespace. A filesystem socket is reachable from
 * every network namespace, so agents (in host namespaces) and keepalived's notify hooks (in router
 * namespaces) reach the controller's queues without any address or route in the root namespace,
 * and two beds on one machine cannot collide. Neutron's keepalived-state-change leaves the router
 * namespace the same way (a Unix socket to the L3 agent). The forwarder does not parse or change
 * the traffic: the processes speak the SQS protocol to the real queues.
 */
export async function startManagementSocket(path: string, target: URL): Promise<ManagementSocket> {
  const open = new Set<Socket>();
  const port = Number(target.port);
  const server = createServer((downstream) => {
    const upstream = createConnection({ host: target.hostname, port });
    for (const s of [downstream, upstream]) {
      open.add(s);
      s.setNoDelay(true);
      s.once('close', () => open.delete(s));
    }
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.pipe(upstream).pipe(downstream);
  });
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    },
  };
}
