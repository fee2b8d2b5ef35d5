import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  // tfjs-backend-wasm references Node modules behind runtime checks; the browser never loads them.
  resolve: { alias: {} },
});
