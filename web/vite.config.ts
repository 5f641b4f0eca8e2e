import { defineConfig } from 'vite';

// Dev server: `npm run dev` proxies the API to a running `roms serve` (ROMS_API, default
// http://127.0.0.1:8080), so the app and the API share one origin as in production.
const api = process.env.ROMS_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/healthz': api,
    },
  },
});
