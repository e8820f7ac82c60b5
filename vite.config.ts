import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console build. Skjold serves web/dist under a strict CSP (script-src 'self', style-src 'self'),
 * so the emitted index.html must not contain inline scripts or styles: no module-preload polyfill,
 * and no asset is ever inlined as a data: URL.
 */
export default defineConfig({
  root: resolve(import.meta.dirname, 'web'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, 'web', 'dist'),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npx vite` for console work against a running Skjold (npm start) on the default port.
    proxy: { '/api': { target: 'https://127.0.0.1:8443', changeOrigin: true, secure: false } },
  },
});
