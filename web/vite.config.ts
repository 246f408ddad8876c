// Builds the UI into dist/: index.html plus content-hashed files under assets/, which the
// vigil binary embeds (src/web) and serves with long cache headers.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    modulePreload: { polyfill: false },
  },
  server: {
    // `VIGIL_API=http://127.0.0.1:9090 npm run dev` develops against a running server.
    proxy: Object.fromEntries(['/api', '/metrics', '/-/'].map((p) => [p, process.env.VIGIL_API || 'http://127.0.0.1:9090'])),
  },
});
