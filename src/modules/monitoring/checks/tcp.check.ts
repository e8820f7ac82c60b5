import net from 'node:net';
import type { TcpDefinition } from '../api/monitor.schemas.ts';
import { type CheckLimits, type CheckOutcome, errorText, failed, ok } from './check.types.ts';

/** TCP check: the port accepts a connection. Nothing is sent; the socket is closed at once. */
export function runTcpCheck(def: TcpDefinition, limits: CheckLimits): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: def.host, port: def.port, signal: limits.signal });
    socket.once('connect', () => {
      const ms = Math.round(performance.now() - started);
      socket.destroy();
      resolve(ok(ms));
    });
    socket.once('error', (e) => {
      socket.destroy();
      resolve(failed(limits.signal.aborted ? 'timed out' : errorText(e)));
    });
  });
}
