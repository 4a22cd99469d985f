import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// One build for the three processes. Main and its worker threads (database, sync) stay ES modules with their npm
// dependencies external (better-sqlite3 loads its own prebuilt binary); the preload is one
// self-contained CommonJS file because sandboxed preloads cannot load modules.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'main/index.ts'),
          // The database worker thread (db/database-client.ts starts it from next to index.js)…
          'database-worker': resolve(import.meta.dirname, 'db/database-worker.ts'),
          // …and the sync worker thread it hosts (sync/host.ts starts it from next to database-worker.js).
          'sync-worker': resolve(import.meta.dirname, 'sync/worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      minify: true,
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'renderer/index.html') } },
    },
  },
});
