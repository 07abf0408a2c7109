import { connect, type Socket } from 'node:net';
import { AirlockError } from '../core/index.ts';
import { type ProxyContext, type Trace, track } from './context.ts';
import { upstreamError } from './errors.ts';
import { eventTask, publishTunnel } from './events.ts';
import { refuseRaw } from './refuse.ts';
import { splice } from './splice.ts';
import type { AgentPrincipal } from './types.ts';
import type { Destination } from './upstream.ts';

/**
 * Opens a blind TCP tunnel (egress `tunnel`, or an `egressAllow` match): no
 * interception and no credential, but still only to the address the SSRF
 * guard checked. Answers `200` once the upstream connection is up, or the
 * proxy's 502/504 error if it cannot be. Publishes `airlock:proxy:tunnel`
 * when the tunnel closes.
 */
export function blindTunnel(
  ctx: ProxyContext,
  socket: Socket,
  head: Buffer,
  dest: Destination,
  principal: AgentPrincipal,
  trace: Trace,
): void {
  const limits = ctx.options.limits;
  const upstream = connect({ host: dest.address, port: dest.port, family: dest.family });
  track(ctx, upstream);
  upstream.setTimeout(limits.upstreamTimeoutMs, () => {
    upstream.destroy(
      new AirlockError('ERR_UPSTREAM_TIMEOUT', `upstream ${dest.host}:${dest.port} timed out`),
    );
  });
  const onClientClose = (): void => {
    upstream.destroy();
  };
  socket.once('close', onClientClose);
  const onConnectError = (err: Error): void => {
    socket.off('close', onClientClose);
    refuseRaw(socket, trace, upstreamError(err, dest.host, dest.port));
  };
  upstream.once('error', onConnectError);
  upstream.once('connect', () => {
    upstream.off('error', onConnectError);
    socket.off('close', onClientClose);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    splice(socket, upstream, limits.idleTimeoutMs);
    upstream.once('close', () => {
      publishTunnel(() => ({
        agentId: principal.agentId,
        agentName: principal.agentName,
        workspaceId: principal.workspaceId,
        task: eventTask(principal),
        host: dest.host,
        port: dest.port,
        address: dest.address,
        bytesIn: upstream.bytesWritten,
        bytesOut: upstream.bytesRead,
        durationMs: performance.now() - trace.started,
      }));
    });
  });
}
