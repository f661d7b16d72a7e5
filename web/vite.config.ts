/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The blockforge server `npm run dev` and `npm run preview` proxy to (`BLOCKFORGE_URL`, else
 * http://127.0.0.1:8000); the built UI is served by the server itself.
 */
const server = process.env.BLOCKFORGE_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  // Pages load on first visit; the editor chunk (CodeMirror, xyflow) is the largest, ~800 kB.
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      "/api": { target: server, changeOrigin: false },
      "/health": server,
      "/openapi.json": server,
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    // The suite runs beside builds and other tests on shared 2-core machines: a test that takes
    // seconds there is slow, not broken. Waits inside tests are condition-based (`waitFor`,
    // `findBy*`, with the generous `asyncUtilTimeout` of src/test/setup.ts).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
