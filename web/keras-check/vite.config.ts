import { defineConfig } from 'vite';

// The Keras loader's browser check (src/model/formats/keras/browser.test.ts builds and serves it).
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 8000, target: 'es2022' },
});
