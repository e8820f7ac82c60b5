import type { Duplex } from 'node:stream';

/** Longest line a banner or reply may be before the peer is treated as garbage. */
export const MAX_LINE = 4096;

/**
 * Read one CRLF/LF-terminated line from a socket, at most MAX_LINE bytes (then it fails: a peer streaming garbage
 * cannot grow memory). Bytes after the line are pushed back for the next read.
 */
export function readLine(s: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      s.off('data', onData);
      s.off('error', onError);
      s.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl >= 0) {
        cleanup();
        s.pause();
        const rest = buf.subarray(nl + 1);
        if (rest.length > 0) s.unshift(rest);
        resolve(buf.subarray(0, nl).toString('utf8').replace(/\r$/, ''));
      } else if (buf.length > MAX_LINE) {
        cleanup();
        reject(new Error(`no line break within ${MAX_LINE} bytes`));
      }
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('connection closed before a full line'));
    };
    s.on('data', onData);
    s.once('error', onError);
    s.once('close', onClose);
    s.resume();
  });
}
