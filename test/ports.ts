import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (for spawning a server that must bind a known port). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
