import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { defineConfig, type Connect, type Plugin, type ProxyOptions } from "vite";
import vue from "@vitejs/plugin-vue";
import AutoImport from "unplugin-auto-import/vite";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";
import { firstLoadBudget } from "./first-load-budget.ts";

// The SPA and every API on one origin: Vite's own proxy (dev and preview, the same table) forwards
// /api/* to the services with the path unchanged. nginx does the same in docker-compose
// (deploy/nginx.conf). Targets come from the same variables the services use for each other.
const target = (name: string, fallback: string) => process.env[name] || fallback;
const tasks = target("REFORM_TASKS_URL", "http://127.0.0.1:8001");
const evaluation = target("EVALUATION_URL", "http://127.0.0.1:8002");
const hotline = target("HOTLINE_URL", "http://127.0.0.1:8003");
// The SPA's own port: 8000, or WEB_PORT (shared/devstack.py passes it on; the browser tests move it).
const port = Number(process.env.WEB_PORT || 8000);

const problem = (res: ServerResponse, body: { status: number } & Record<string, unknown>) =>
  res.writeHead(body.status, { "Content-Type": "application/problem+json; charset=utf-8" }).end(JSON.stringify(body));

// A service that is down answers like every other API error: problem+json (RFC 9457), in Chinese.
// This listener runs before Vite's own (which then sees the response sent and only logs).
const route = (url: string, service: string): ProxyOptions => ({
  target: url,
  changeOrigin: false,
  xfwd: true,
  // No proxy timeout: Server-Sent Events (/api/evaluation/v1/stream) stay open for hours. Responses are
  // piped as they arrive (the proxy runs before preview's compression), so events are not held back.
  configure: (proxy) => {
    proxy.on("error", (_error, _req, res) => {
      if (!("req" in res)) return; // a WebSocket: Vite closes it
      const response = res as ServerResponse;
      if (response.headersSent || response.writableEnded) return;
      problem(response, {
        type: "about:blank",
        title: "服务暂不可用",
        status: 502,
        detail: `${service}服务未启动或无法连接，请稍后再试`,
        code: "upstream_unavailable",
      });
    });
  },
});

const proxy: Record<string, ProxyOptions> = {
  "/api/auth": route(tasks, "认证"),
  "/api/tasks": route(tasks, "任务调度"),
  "/api/evaluation": route(evaluation, "评价"),
  "/api/hotline": route(hotline, "12345热线"),
};

// Any other /api path is an API 404 (problem+json, as the services and nginx answer it), not the
// SPA's index.html: runs before the proxy and the history fallback, and lets the proxied prefixes by.
const apiNotFound = (req: IncomingMessage, res: ServerResponse, next: Connect.NextFunction) => {
  const path = (req.url ?? "/").split("?")[0];
  if (!path.startsWith("/api/") || Object.keys(proxy).some((prefix) => path.startsWith(prefix))) {
    next();
    return;
  }
  problem(res, {
    type: "urn:reform:problem:not_found",
    title: "资源不存在",
    status: 404,
    detail: "没有这个接口，请检查地址",
    code: "not_found",
    instance: path,
  });
};
const apiRoutesOnly: Plugin = {
  name: "reform-api-not-found",
  configureServer: (server) => void server.middlewares.use(apiNotFound),
  configurePreviewServer: (server) => void server.middlewares.use(apiNotFound),
};

// The security headers deploy/nginx.conf sends on every response (CSP, HSTS, …), read from that
// file: make up serves the SPA under the same policy it is deployed with.
const securityHeaders = Object.fromEntries(
  [...readFileSync(new URL("../deploy/nginx.conf", import.meta.url), "utf8").matchAll(
    /^\s*add_header\s+([\w-]+)\s+"([^"]*)"\s+always;/gm,
  )].map((m) => [m[1], m[2]]),
);

// Element Plus per component, each with its own CSS, instead of the whole library in the entry chunk:
// <el-*> tags and v-loading are imported where a template uses them, and ElMessage / ElMessageBox
// wherever code calls them (no import written: the plugin adds it, with the message's styles, which an
// explicit `import { ElMessage } from "element-plus"` would leave out). src/auto-imports.d.ts is
// generated and committed, so that vue-tsc, which runs before the build, knows those names.
const elementPlus = [
  AutoImport({ resolvers: [ElementPlusResolver()], dts: "src/auto-imports.d.ts" }),
  // dirs: []: our own components stay imported by hand, where they are used. No components.d.ts:
  // templates type-check as before (typed <el-*> tags would type every table's slot row as DefaultRow).
  Components({ resolvers: [ElementPlusResolver()], dirs: [], dts: false }),
];

// What a unit liaison's phone downloads before the first page shows (issue #22): the entry chunk,
// its static imports and the lazy chunks of this route — the unit's home, its to-do list (待办).
const UNIT_HOME_ROUTE = "todo";

// Element Plus' shared chunks (and their styles) would take the name of a component's `style/css`
// module ("css-….js"): named after the library instead, so that the build's report says what they hold.
const chunkFileNames = (chunk: { name: string }) => `assets/${chunk.name === "css" ? "element-plus" : "[name]"}-[hash].js`;
const assetFileNames = (asset: { names: string[] }) =>
  `assets/${asset.names[0] === "css.css" ? "element-plus" : "[name]"}-[hash][extname]`;

export default defineConfig({
  plugins: [vue(), ...elementPlus, apiRoutesOnly, firstLoadBudget({ route: UNIT_HOME_ROUTE, maxKiB: 300 })],
  server: { host: "127.0.0.1", port, strictPort: true, proxy },
  preview: { host: "127.0.0.1", port, strictPort: true, proxy, headers: securityHeaders },
  // The largest chunk is ECharts' (~570 kB before gzip), fetched only by the pages that draw charts.
  build: { chunkSizeWarningLimit: 600, rolldownOptions: { output: { chunkFileNames, assetFileNames } } },
});
