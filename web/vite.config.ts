/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/** The blockforge server during `npm run dev`; the built UI is served by the server itself. */
const server = "http://127.0.0.1:8000";

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
