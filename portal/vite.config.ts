// The portal is embedded into the k4ds binary (src/portal/), so the build must be
// self-contained: no CDN, no web fonts, no inline scripts (the server's CSP forbids them).
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    // Everything hashed under /assets/ (served as immutable); nothing inlined as data: URLs.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` against a running `k4ds up`: K4DS_URL=http://localhost:8080 npm run dev
    proxy: { '/api': process.env.K4DS_URL || 'http://localhost:8080' },
  },
});
