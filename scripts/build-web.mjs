// Builds the console (web/) with Vite when web/dist is missing or older than its sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'web', 'dist', 'index.html');
/** Newest modification time (ms) of any file under `dir`. @param {string} dir @returns {number} */
const newest = (dir) => {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};
const src = join(root, 'web');
if (!existsSync(join(src, 'index.html'))) process.exit(0);
const srcTime = Math.max(
  newest(join(src, 'src')),
  statSync(join(src, 'index.html')).mtimeMs,
  statSync(join(root, 'vite.config.ts')).mtimeMs,
  statSync(import.meta.filename).mtimeMs,
);
if (existsSync(dist) && statSync(dist).mtimeMs >= srcTime) process.exit(0);
// NODE_ENV=production even when called from a test run (vitest sets NODE_ENV=test, which would ship React's
// development build).
execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production' },
});

// Brotli and gzip copies beside every text file worth compressing: the server sends the one the browser accepts
// (@fastify/static preCompressed), so the console's code travels at a fraction of its size with no work per request.
const distDir = dirname(dist);
for (const name of readdirSync(distDir, { recursive: true, encoding: 'utf8' })) {
  const p = join(distDir, name);
  if (!/\.(js|css|html|svg|json)$/.test(name) || statSync(p).size < 1024) continue;
  const body = readFileSync(p);
  const params = { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length };
  writeFileSync(`${p}.br`, brotliCompressSync(body, { params }));
  writeFileSync(`${p}.gz`, gzipSync(body, { level: 9 }));
}
