import { defineConfig, type ProxyOptions } from "vite";
import vue from "@vitejs/plugin-vue";

// The SPA and every API on one origin: Vite's own proxy (dev and preview) forwards /api/* to the
// services unchanged. nginx does the same in docker-compose (deploy/nginx.conf).
const target = (name: string, fallback: string) => process.env[name] ?? fallback;
const tasks = target("REFORM_TASKS_URL", "http://127.0.0.1:8001");
const evaluation = target("EVALUATION_URL", "http://127.0.0.1:8002");
const hotline = target("HOTLINE_URL", "http://127.0.0.1:8003");

const route = (url: string): ProxyOptions => ({ target: url, changeOrigin: false, xfwd: true });

const proxy: Record<string, ProxyOptions> = {
  "/api/auth": route(tasks),
  "/api/tasks": route(tasks),
  "/api/evaluation": route(evaluation),
  "/api/hotline": route(hotline),
};

export default defineConfig({
  plugins: [vue()],
  server: { host: "127.0.0.1", port: 8000, strictPort: true, proxy },
  preview: { host: "127.0.0.1", port: 8000, strictPort: true, proxy },
  build: { chunkSizeWarningLimit: 2000 },
});
