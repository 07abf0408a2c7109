import { connect, type Socket } from 'node:net';

/**
 * Relays `client` both ways to a new connection to the Unix socket
 * `target` (the proxy's), and returns that connection. Either side
 * closing or failing closes both. A new connection per client is what
 * lets a restarted server be reached again.
 */
export function spliceTo(client: Socket, target: string): Socket {
  const upstream = connect(target);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
  return upstream;
}
