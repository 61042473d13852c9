import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two entries: the app (customer `/`, `/track`, staff `/staff` share index.html and route in
// the browser) and the developer console (`/console`, GraphiQL + Monaco, loaded only there).
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    manifest: true,
    chunkSizeWarningLimit: 5000,
    rollupOptions: {
      // React libraries inside GraphiQL carry "use client" directives, meaningless in a static SPA.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        console: resolve(import.meta.dirname, 'console.html'),
      },
    },
  },
  server: {
    // `npm run dev` against a running local stack (make run).
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:4000', ws: true },
      '/amplify_outputs.json': 'http://127.0.0.1:4000',
    },
  },
});
