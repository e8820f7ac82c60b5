import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';

/** Loopback servers for check tests: every check type runs against a real socket, never a stub. */

export interface Closable {
  port: number;
  close(): Promise<void>;
}

const closer =
  (s: net.Server | http.Server): (() => Promise<void>) =>
  () =>
    new Promise((resolve) => {
      (s as http.Server).closeAllConnections?.();
      s.close(() => resolve());
    });

async function listen(s: net.Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as net.AddressInfo).port;
}

export async function httpServer(handler: http.RequestListener): Promise<Closable> {
  const s = http.createServer(handler);
  const port = await listen(s);
  return { port, close: closer(s) };
}

export interface TestCert {
  cert: string;
  key: string;
}

/** A self-signed certificate for localhost/127.0.0.1 valid for `days` from now. */
export async function makeCert(days: number, cn = 'localhost'): Promise<TestCert> {
  const notBefore = new Date(Date.now() - 3_600_000);
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(Date.now() + days * 86_400_000),
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: cn },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export async function httpsServer(c: TestCert, handler: http.RequestListener): Promise<Closable> {
  const s = https.createServer({ cert: c.cert, key: c.key }, handler);
  const port = await listen(s);
  return { port, close: closer(s) };
}

/** A raw TCP server; `onConnection` decides what the peer sees (a banner, garbage, silence, a reset). */
export async function tcpServer(onConnection: (s: net.Socket) => void): Promise<Closable> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    onConnection(sock);
  });
  const port = await listen(s);
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const x of sockets) x.destroy();
        s.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A mail server speaking just enough SMTP to offer STARTTLS, then TLS with the given certificate. */
export function smtpStarttlsServer(c: TestCert): Promise<Closable> {
  return tcpServer((sock) => {
    sock.write('220 mail.test ESMTP ready\r\n');
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim().toUpperCase();
        buf = buf.slice(nl + 1);
        if (line.startsWith('EHLO')) sock.write('250-mail.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n');
        else if (line === 'STARTTLS') {
          sock.off('data', onData);
          sock.write('220 go ahead\r\n', () => {
            const t = new tls.TLSSocket(sock, { isServer: true, cert: c.cert, key: c.key });
            t.on('error', () => undefined);
          });
          return;
        } else sock.write('500 unknown\r\n');
      }
    };
    sock.on('data', onData);
  });
}

/** A mail server speaking just enough IMAP (`a1 STARTTLS`) or POP3 (`STLS`) to upgrade to TLS. */
export function mailStarttlsServer(c: TestCert, proto: 'imap' | 'pop3'): Promise<Closable> {
  return tcpServer((sock) => {
    sock.write(proto === 'imap' ? '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n' : '+OK POP3 ready\r\n');
    const onData = (d: Buffer) => {
      const line = d.toString().trim().toUpperCase();
      if (line === 'A1 STARTTLS' || line === 'STLS') {
        sock.off('data', onData);
        sock.write(proto === 'imap' ? 'a1 OK begin TLS\r\n' : '+OK begin TLS\r\n', () => {
          new tls.TLSSocket(sock, { isServer: true, cert: c.cert, key: c.key }).on('error', () => undefined);
        });
      } else sock.write(proto === 'imap' ? '* BAD\r\n' : '-ERR\r\n');
    };
    sock.on('data', onData);
  });
}

/** A TLS server on a raw socket (no HTTP). */
export async function tlsServer(c: TestCert): Promise<Closable> {
  const s = tls.createServer({ cert: c.cert, key: c.key }, (sock) => {
    sock.on('error', () => undefined);
    sock.end();
  });
  const port = await listen(s);
  return { port, close: () => new Promise((r) => s.close(() => r())) };
}

/**
 * A tiny authoritative DNS server on UDP 127.0.0.1: answers A queries for the names in `records` (one IPv4 each),
 * NXDOMAIN otherwise.
 */
export async function dnsServer(records: Record<string, string>): Promise<Closable> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    let o = 12;
    const labels: string[] = [];
    while (o < msg.length && msg[o] !== 0) {
      const len = msg[o]!;
      labels.push(msg.subarray(o + 1, o + 1 + len).toString());
      o += len + 1;
    }
    const qEnd = o + 5;
    const qtype = msg.readUInt16BE(o + 1);
    const name = labels.join('.').toLowerCase();
    const ip = records[name];
    const answer = ip && qtype === 1;
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(ip ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const question = msg.subarray(12, qEnd);
    const parts = [header, question];
    if (answer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      parts.push(rr);
    }
    sock.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}
