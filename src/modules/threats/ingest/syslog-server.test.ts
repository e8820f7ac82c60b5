import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { pino } from 'pino';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, SyslogFramer } from './framing.ts';
import { BoundedLineQueue } from './line-sink.ts';
import { startSyslogServer, type SyslogServer, type SyslogServerOptions } from './syslog-server.ts';

const log = pino({ level: 'silent' });
let server: SyslogServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

// Port 0: the kernel picks a free port and `addresses` reports it, so there is no window for another test to take it.
async function start(queue: BoundedLineQueue, extra: Partial<SyslogServerOptions> = {}): Promise<SyslogServer> {
  server = await startSyslogServer({
    udp: { host: '127.0.0.1', port: 0 },
    tcp: { host: '127.0.0.1', port: 0 },
    sink: queue,
    log,
    ...extra,
  });
  return server;
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function tcpClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

async function send(s: Socket, data: string | Buffer): Promise<void> {
  s.end(data);
  await closed(s);
}

describe('syslog over UDP', () => {
  it('takes one datagram as one message, trailing newline stripped, with the peer', async () => {
    const queue = new BoundedLineQueue();
    const srv = await start(queue);
    const client = createSocket('udp4');
    const port = srv.addresses.udp!.port;
    for (const m of ['<13>Nov 27 10:00:00 web sshd[1]: one\n', '<34>1 2026-11-27T10:00:00Z web app - - - two\nlines']) {
      await new Promise<void>((r) => client.send(m, port, '127.0.0.1', () => r()));
    }
    client.close();
    await waitFor(() => queue.depth === 2, 'two datagrams');
    const batch = queue.take(10);
    expect(batch.lines).toEqual(['<13>Nov 27 10:00:00 web sshd[1]: one', '<34>1 2026-11-27T10:00:00Z web app - - - two\nlines']);
    expect(batch.origins[0]).toMatchObject({ transport: 'udp', peer: '127.0.0.1' });
    expect(srv.stats().udp.linesRead).toBe(2);
  });

  it('counts every datagram a full queue cannot take, exactly', async () => {
    const queue = new BoundedLineQueue({ maxLines: 10 });
    const srv = await start(queue);
    const client = createSocket('udp4');
    const port = srv.addresses.udp!.port;
    const total = 500;
    // Paced so the kernel never drops on its own: all loss must be ours, and counted.
    for (let sent = 0; sent < total;) {
      for (let i = 0; i < 25; i++, sent++) client.send(`<13>flood ${sent}`, port, '127.0.0.1');
      await waitFor(() => srv.stats().udp.linesRead === sent, `${sent} datagrams`);
    }
    client.close();
    const st = srv.stats().udp;
    expect(st.linesRead).toBe(total);
    expect(queue.stats().enqueued).toBe(10);
    expect(st.dropped.queue_full).toBe(total - 10);
    expect(queue.take(100).lines).toEqual(Array.from({ length: 10 }, (_, i) => `<13>flood ${i}`));
  });

  it('drops (and counts) datagrams while another producer has the shared sink full', async () => {
    const queue = new BoundedLineQueue({ maxLines: 2 });
    queue.push(['from a file', 'another'], { transport: 'file', receivedAt: 0 });
    const srv = await start(queue);
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.send('<13>lost', srv.addresses.udp!.port, '127.0.0.1', () => r()));
    await waitFor(() => srv.stats().udp.linesRead === 1, 'the datagram');
    queue.take(2);
    await new Promise((r) => setImmediate(r));
    await new Promise<void>((r) => client.send('<13>kept', srv.addresses.udp!.port, '127.0.0.1', () => r()));
    client.close();
    await waitFor(() => queue.depth === 1, 'the second datagram');
    expect(queue.take(1).lines).toEqual(['<13>kept']);
    expect(srv.stats().udp.dropped.queue_full).toBe(1);
  });
});

describe('syslog over TCP', () => {
  it('frames octet-counted and newline messages mixed on one connection', async () => {
    const queue = new BoundedLineQueue();
    const srv = await start(queue);
    const c = await tcpClient(srv.addresses.tcp!.port);
    const m1 = '<34>1 2026-11-27T10:00:00Z web sshd 1 - - Failed password';
    await send(c, `${Buffer.byteLength(m1)} ${m1}<13>Nov 27 10:00:01 web sshd[2]: plain\r\n12 <13>counted\n`);
    await waitFor(() => queue.depth === 3, 'three messages');
    const batch = queue.take(10);
    expect(batch.lines).toEqual([m1, '<13>Nov 27 10:00:01 web sshd[2]: plain', '<13>counted']);
    expect(batch.origins[0]).toMatchObject({ transport: 'tcp', peer: '127.0.0.1' });
  });

  it('slows a fast sender down instead of losing lines (back-pressure)', async () => {
    const queue = new BoundedLineQueue({ maxLines: 1000 });
    const srv = await start(queue);
    const c = await tcpClient(srv.addresses.tcp!.port);
    const total = 200_000;
    const pad = 'x'.repeat(80);
    let waitedForDrain = 0;
    const sender = (async () => {
      for (let i = 0; i < total;) {
        let chunk = '';
        for (let j = 0; j < 500 && i < total; j++, i++) chunk += `<13>line ${i} ${pad}\n`;
        if (!c.write(chunk)) {
          waitedForDrain++;
          await new Promise((r) => c.once('drain', r));
        }
      }
      c.end();
    })();
    // A consumer slower than the sender: 200 lines per timer tick. Gives up after 5 s without progress (lines lost).
    const received: string[] = [];
    for (let idle = 0; received.length < total && idle < 5000;) {
      const got = queue.take(200).lines;
      received.push(...got);
      idle = got.length > 0 ? 0 : idle + 1;
      await new Promise((r) => setTimeout(r, got.length > 0 ? 0 : 1));
    }
    c.destroy();
    await sender;
    for (let i = 0; i < total; i += 9973) expect(received[i]).toBe(`<13>line ${i} ${pad}`);
    expect(new Set(received).size).toBe(total);
    expect(received[total - 1]).toBe(`<13>line ${total - 1} ${pad}`);
    const st = srv.stats();
    expect(st.tcp.linesRead).toBe(total);
    expect(st.pauses).toBeGreaterThan(0);
    expect(waitedForDrain).toBeGreaterThan(0);
    expect(queue.stats().dropped).toBe(0);
    expect(queue.stats().highWater).toBeLessThanOrEqual(2000);
  });

  it('truncates a 1 MB message without a newline and carries on', async () => {
    const queue = new BoundedLineQueue();
    const srv = await start(queue);
    const c = await tcpClient(srv.addresses.tcp!.port);
    c.write('<13>' + 'A'.repeat(1024 * 1024));
    await send(c, '\n<13>after\n');
    await waitFor(() => queue.depth === 2, 'two messages');
    const lines = queue.take(10).lines;
    expect(lines[0]).toHaveLength(MAX_MESSAGE_BYTES);
    expect(lines[1]).toBe('<13>after');
    expect(srv.stats().tcp.truncated).toBe(1);
    expect(srv.stats().samples.some((s) => s.reason === 'truncated' && s.preview.startsWith('<13>AAA'))).toBe(true);
  });

  it('replaces invalid UTF-8 and counts it', async () => {
    const queue = new BoundedLineQueue();
    const srv = await start(queue);
    const c = await tcpClient(srv.addresses.tcp!.port);
    await send(c, Buffer.concat([Buffer.from('<13>bad '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('\n')]));
    await waitFor(() => queue.depth === 1, 'one message');
    expect(queue.take(1).lines).toEqual(['<13>bad \uFFFD(\uFFFD']);
    expect(srv.stats().tcp.invalidUtf8).toBe(2);
  });

  it('refuses connections over the limit and closes idle ones', async () => {
    const queue = new BoundedLineQueue();
    const srv = await start(queue, { maxConnections: 2, idleTimeoutMs: 200 });
    const port = srv.addresses.tcp!.port;
    const a = await tcpClient(port);
    const b = await tcpClient(port);
    await waitFor(() => srv.stats().tcp.connections === 2, 'two connections');
    const refused = await tcpClient(port);
    await closed(refused);
    expect(srv.stats().tcp.connectionsRejected).toBe(1);
    // Nothing sent: the server closes both after the idle timeout.
    await Promise.all([closed(a), closed(b)]);
    await waitFor(() => srv.stats().tcp.connections === 0, 'idle connections closed');
  });

  it('fuzz: arbitrary bytes over a live connection frame exactly as the framer does, and the server survives', async () => {
    const queue = new BoundedLineQueue();
    const srv = await start(queue, { maxMessageBytes: 256 });
    const port = srv.addresses.tcp!.port;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
        const expected: string[] = [];
        const f = new SyslogFramer({ octetCounting: true, maxMessageBytes: 256 });
        f.push(Buffer.from(bytes), expected);
        f.end(expected);
        const c = await tcpClient(port);
        await send(c, Buffer.from(bytes));
        // The server's 'end' handler runs before the client sees the close.
        await waitFor(() => queue.depth >= expected.length, 'framed output');
        expect(queue.take(100_000).lines).toEqual(expected);
      }),
      { numRuns: 60 },
    );
    const c = await tcpClient(port);
    await send(c, '<13>still alive\n');
    await waitFor(() => queue.depth === 1, 'a line after the fuzzing');
    expect(queue.take(1).lines).toEqual(['<13>still alive']);
  });
});

describe('syslog over TLS', () => {
  it('receives over TLS 1.2+ with a self-signed certificate and rejects older protocols', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const queue = new BoundedLineQueue();
    const srv = await start(queue, { tls: { host: '127.0.0.1', port: 0, cert: pems.cert, key: pems.private } });
    const port = srv.addresses.tls!.port;
    const c = tlsConnect({ port, host: '127.0.0.1', ca: pems.cert });
    await new Promise<void>((resolve, reject) => {
      c.once('secureConnect', () => resolve());
      c.once('error', reject);
    });
    expect(['TLSv1.2', 'TLSv1.3']).toContain(c.getProtocol());
    c.end('<13>Nov 27 10:00:00 web sshd[1]: over tls\n16 <13>octet on tls');
    await waitFor(() => queue.depth === 2, 'two TLS messages');
    const batch = queue.take(10);
    expect(batch.lines).toEqual(['<13>Nov 27 10:00:00 web sshd[1]: over tls', '<13>octet on tls']);
    expect(batch.origins[0]?.transport).toBe('tls');

    const old = tlsConnect({
      port,
      host: '127.0.0.1',
      ca: pems.cert,
      maxVersion: 'TLSv1.1',
      minVersion: 'TLSv1',
      // Let the client offer the old protocol at all, so it is the server that refuses.
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    const err = await new Promise<Error>((resolve) => old.once('error', resolve));
    expect(err).toBeInstanceOf(Error);
    await waitFor(() => srv.stats().tls.connectionsRejected >= 1, 'the old client counted as rejected');
  });

  it('with requestCert, takes lines only from clients holding a certificate the CA signed', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      clientCertificate: { cn: 'relay01' },
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    const queue = new BoundedLineQueue();
    const srv = await start(queue, {
      tls: { host: '127.0.0.1', port: 0, cert: pems.cert, key: pems.private, ca: pems.cert, requestCert: true },
    });
    const port = srv.addresses.tls!.port;

    const anonymous = tlsConnect({ port, host: '127.0.0.1', ca: pems.cert });
    anonymous.on('error', () => undefined);
    anonymous.write('<13>from nobody\n');
    await new Promise((r) => anonymous.once('close', r));

    const relay = tlsConnect({ port, host: '127.0.0.1', ca: pems.cert, cert: pems.clientcert, key: pems.clientprivate });
    await new Promise<void>((resolve, reject) => {
      relay.once('secureConnect', () => resolve());
      relay.once('error', reject);
    });
    relay.end('<13>from the relay\n');
    await waitFor(() => queue.depth === 1, 'the relay line');
    expect(queue.take(10).lines).toEqual(['<13>from the relay']);
    expect(srv.stats().tls.connectionsRejected).toBeGreaterThanOrEqual(1);
  });
});
