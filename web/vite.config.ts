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
  },
});
