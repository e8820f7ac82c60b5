import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../../../core/logger.ts';
import { TLS_CIPHERS } from '../../../core/http/tls.ts';
import { MAX_MESSAGE_BYTES, SyslogFramer } from './framing.ts';
import { newCounters, SampleRing, type IngestSample, type TransportCounters } from './ingest-stats.ts';
import type { LineOrigin, LineSink } from './line-sink.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface SyslogServerOptions {
  udp?: (ListenAddress & { recvBufferSize?: number }) | undefined;
  tcp?: ListenAddress | undefined;
  /** PEM strings (see core/http/tls.ts `loadTls`). With `requestCert`, clients must present a certificate `ca` signs. */
  tls?: (ListenAddress & { cert: string; key: string; ca?: string | undefined; requestCert?: boolean | undefined }) | undefined;
  sink: LineSink;
  /** Per listener (TCP and TLS each). Default 1000. Excess connections are closed at once and counted. */
  maxConnections?: number;
  /** A connection that sends nothing this long is closed (not while we are the ones holding it back). Default 5 min. */
  idleTimeoutMs?: number;
  maxMessageBytes?: number;
  log: Logger;
  now?: () => number;
}

export interface SyslogServerStats {
  udp: TransportCounters;
  tcp: TransportCounters;
  tls: TransportCounters;
  /** Connections paused now because the sink is full, and pauses since start (back-pressure events). */
  paused: number;
  pauses: number;
  samples: IngestSample[];
}

export interface SyslogServer {
  addresses: { udp?: AddressInfo; tcp?: AddressInfo; tls?: AddressInfo };
  stats(): SyslogServerStats;
  close(): Promise<void>;
}

/**
 * Starts the syslog listeners asked for. UDP: one datagram is one message; while the sink is full, datagrams are
 * counted as dropped (`queue_full`), UDP cannot push back. TCP and TLS (1.2+, the product's cipher list): messages
 * framed by octet counting or newlines, auto-detected per message; a connection is paused while the sink is full and
 * resumed on drain, so a fast sender is slowed by TCP flow control instead of losing lines. Every connection costs at
 * most one maximum-size message of buffer; garbage is framed, truncated or replaced, never fatal. Resolves once every
 * listener is bound (rejects, closing the others, if one cannot be).
 */
export async function startSyslogServer(opts: SyslogServerOptions): Promise<SyslogServer> {
  const now = opts.now ?? Date.now;
  const max = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const maxConnections = opts.maxConnections ?? 1000;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
  const counters = { udp: newCounters(), tcp: newCounters(), tls: newCounters() };
  const samples = new SampleRing(32, now);
  const sockets = new Set<Socket>();
  const paused = new Set<Socket>();
  let pauses = 0;
  let closing = false;

  const unsubscribe = opts.sink.onDrain(() => {
    for (const s of paused) {
      s.resume();
      // Re-arm: the idle timer may have fired (and been ignored) while we held the connection.
      s.setTimeout(idleTimeoutMs);
    }
    paused.clear();
  });

  const addresses: SyslogServer['addresses'] = {};
  let udp: UdpSocket | undefined;
  const servers: Server[] = [];

  try {
    if (opts.udp) {
      const u = opts.udp;
      const c = counters.udp;
      const framer = new SyslogFramer({ maxMessageBytes: max, counters: c, samples, transport: 'udp' });
      const out: string[] = [];
      udp = createSocket({ type: isIPv6(u.host) ? 'udp6' : 'udp4', recvBufferSize: u.recvBufferSize });
      udp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
        c.bytesRead += msg.length;
        out.length = 0;
        framer.whole(msg, out);
        if (out.length === 0) return;
        if (opts.sink.isFull()) {
          c.dropped.queue_full++;
          return;
        }
        opts.sink.push(out, { transport: 'udp', peer: rinfo.address, receivedAt: now() });
      });
      udp.on('error', (err) => {
        c.errors++;
        opts.log.warn({ err }, 'syslog udp socket error');
      });
      const sock = udp;
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(u.port, u.host, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      addresses.udp = sock.address();
    }

    const onStream = (transport: 'tcp' | 'tls', socket: Socket): void => {
      const c = counters[transport];
      if (closing) {
        socket.destroy();
        return;
      }
      c.connections++;
      c.connectionsTotal++;
      sockets.add(socket);
      const peer = socket.remoteAddress;
      const framer = new SyslogFramer({ octetCounting: true, maxMessageBytes: max, counters: c, samples, transport, peer });
      const hold = (): void => {
        if (socket.destroyed || paused.has(socket)) return;
        socket.pause();
        paused.add(socket);
        pauses++;
      };
      const deliver = (lines: string[]): void => {
        if (lines.length === 0) return;
        const origin: LineOrigin = { transport, peer, receivedAt: now() };
        opts.sink.push(lines, origin);
      };
      socket.setTimeout(idleTimeoutMs);
      socket.on('timeout', () => {
        // A connection we paused is quiet because of us: it is not idle.
        if (!paused.has(socket)) socket.destroy();
      });
      socket.on('data', (chunk: Buffer) => {
        c.bytesRead += chunk.length;
        const lines: string[] = [];
        framer.push(chunk, lines);
        deliver(lines);
        // Every connection read while the sink is full is held, not only the one that filled it.
        if (opts.sink.isFull()) hold();
      });
      socket.on('end', () => {
        const lines: string[] = [];
        framer.end(lines);
        deliver(lines);
        socket.end();
      });
      socket.on('error', (err) => {
        c.errors++;
        opts.log.debug({ err, peer, transport }, 'syslog connection error');
      });
      socket.on('close', () => {
        c.connections--;
        sockets.delete(socket);
        paused.delete(socket);
      });
    };

    const listen = async (server: Server, addr: ListenAddress, transport: 'tcp' | 'tls'): Promise<AddressInfo> => {
      server.maxConnections = maxConnections;
      server.on('drop', () => counters[transport].connectionsRejected++);
      server.on('error', (err) => opts.log.warn({ err, transport }, 'syslog listener error'));
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(addr.port, addr.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    };

    if (opts.tcp) {
      const server = createServer({ noDelay: true }, (s) => onStream('tcp', s));
      addresses.tcp = await listen(server, opts.tcp, 'tcp');
    }
    if (opts.tls) {
      const t = opts.tls;
      const server = createTlsServer(
        {
          cert: t.cert,
          key: t.key,
          ca: t.ca,
          requestCert: t.requestCert ?? false,
          rejectUnauthorized: t.requestCert ?? false,
          minVersion: 'TLSv1.2',
          ciphers: TLS_CIPHERS,
          honorCipherOrder: true,
          handshakeTimeout: Math.min(idleTimeoutMs, 30_000),
        },
        (s: TLSSocket) => onStream('tls', s),
      );
      server.on('tlsClientError', (err) => {
        counters.tls.connectionsRejected++;
        opts.log.debug({ err }, 'syslog tls handshake failed');
      });
      addresses.tls = await listen(server, t, 'tls');
    }
  } catch (err) {
    unsubscribe();
    udp?.close();
    for (const s of servers) s.close();
    throw err;
  }

  return {
    addresses,
    stats: () => ({
      udp: { ...counters.udp, dropped: { ...counters.udp.dropped } },
      tcp: { ...counters.tcp, dropped: { ...counters.tcp.dropped } },
      tls: { ...counters.tls, dropped: { ...counters.tls.dropped } },
      paused: paused.size,
      pauses,
      samples: samples.list(),
    }),
    close: async () => {
      closing = true;
      unsubscribe();
      const done: Promise<void>[] = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      if (udp) {
        const u = udp;
        done.push(new Promise<void>((resolve) => u.close(() => resolve())));
      }
      for (const s of sockets) s.destroy();
      await Promise.all(done);
    },
  };
}
