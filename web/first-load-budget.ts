// The weight of a first visit (issue #22, "Weight"): after `vite build`, the gzipped JavaScript a
// browser loads to show one page, printed and held to a budget. The page is named by its route, and
// the route's lazily loaded components are read from src/router.ts, so the figure follows the router.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import ts from "typescript";
import { normalizePath, type Logger, type Plugin, type Rollup } from "vite";

export interface FirstLoadBudget {
  /** The route (its `name` in src/router.ts) whose first load is measured. */
  route: string;
  /** The most gzipped JavaScript that first load may weigh, in KiB; above it the build fails. */
  maxKiB: number;
}

const ROUTER = "src/router.ts";
const KiB = 1024;

/** Level 9, the most gzip can do: a figure that does not depend on a server setting (nginx, at its
 * default level 1, sends ~8 % more). */
const gzipped = (code: string) => gzipSync(code, { level: 9 }).length;
const kib = (bytes: number) => `${(bytes / KiB).toFixed(1)} KiB`;

/** The modules a route loads lazily: the `component: () => import("…")` of the route with that name
 * and of every route it is nested in (a child page renders inside its parent's layout). */
export function routeComponents(routerFile: string, name: string): string[] {
  const source = ts.createSourceFile(routerFile, readFileSync(routerFile, "utf8"), ts.ScriptTarget.Latest, true);
  const route = findRoute(source, name);
  if (!route) throw new Error(`first-load budget: no route named "${name}" in ${ROUTER}`);
  const components: string[] = [];
  for (let node: ts.Node | undefined = route; node; node = node.parent) {
    const specifier = ts.isObjectLiteralExpression(node) ? lazyComponent(node) : undefined;
    if (specifier) components.unshift(normalizePath(resolve(dirname(routerFile), specifier)));
  }
  return components;
}

function findRoute(node: ts.Node, name: string): ts.ObjectLiteralExpression | undefined {
  if (ts.isObjectLiteralExpression(node)) {
    const value = property(node, "name");
    if (value && ts.isStringLiteral(value) && value.text === name) return node;
  }
  return ts.forEachChild(node, (child) => findRoute(child, name));
}

function property(record: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  const found = record.properties.find((p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === key);
  return found && ts.isPropertyAssignment(found) ? found.initializer : undefined;
}

/** "./views/X.vue" from `component: () => import("./views/X.vue")`; a component imported eagerly is
 * part of the entry chunk already, so it has nothing to add. */
function lazyComponent(record: ts.ObjectLiteralExpression): string | undefined {
  const component = property(record, "component");
  if (!component || !ts.isArrowFunction(component) || !ts.isCallExpression(component.body)) return undefined;
  const call = component.body;
  const [specifier] = call.arguments;
  return call.expression.kind === ts.SyntaxKind.ImportKeyword && specifier && ts.isStringLiteral(specifier)
    ? specifier.text : undefined;
}

type Chunks = Map<string, Rollup.OutputChunk>;

/** Chunks and every chunk they import statically: what the page's <link rel="modulepreload">s and
 * Vite's preloading of a lazy chunk's imports fetch before anything runs. */
function withStaticImports(start: Rollup.OutputChunk[], chunks: Chunks): Rollup.OutputChunk[] {
  const seen = new Map(start.map((chunk) => [chunk.fileName, chunk]));
  const queue = [...start];
  for (let chunk = queue.pop(); chunk; chunk = queue.pop()) {
    for (const fileName of chunk.imports) {
      const imported = chunks.get(fileName);
      if (imported && !seen.has(fileName)) {
        seen.set(fileName, imported);
        queue.push(imported);
      }
    }
  }
  return [...seen.values()];
}

interface Page {
  /** What the browser loads before the page first renders. */
  first: Rollup.OutputChunk[];
  /** What the page itself then loads lazily (ECharts on a page with charts), not counted in `first`. */
  after: Rollup.OutputChunk[];
}

function pageChunks(bundle: Rollup.OutputBundle, modules: string[]): Page {
  const chunks: Chunks = new Map(Object.values(bundle).filter((o) => o.type === "chunk").map((c) => [c.fileName, c]));
  const entries = [...chunks.values()].filter((chunk) => chunk.isEntry);
  const components = modules.map((id) => {
    const found = [...chunks.values()].find((chunk) => chunk.facadeModuleId === id);
    if (!found) throw new Error(`first-load budget: no chunk of its own for ${id} (is it still imported lazily?)`);
    return found;
  });
  const first = withStaticImports([...entries, ...components], chunks);
  // The entry's own lazy imports are the router's other pages: not this page's.
  const lazy = first.filter((chunk) => !chunk.isEntry).flatMap((chunk) => chunk.dynamicImports)
    .map((fileName) => chunks.get(fileName)).filter((chunk): chunk is Rollup.OutputChunk => !!chunk);
  const after = withStaticImports(lazy, chunks).filter((chunk) => !first.includes(chunk));
  return { first, after };
}

function report(logger: Logger, budget: FirstLoadBudget, loaded: Page, all: Rollup.OutputChunk[]): number {
  const sizes = new Map(all.map((chunk) => [chunk.fileName, gzipped(chunk.code)]));
  const size = (chunk: Rollup.OutputChunk) => sizes.get(chunk.fileName) ?? 0;
  const sum = (chunks: Rollup.OutputChunk[]) => chunks.reduce((total, chunk) => total + size(chunk), 0);
  const list = (chunks: Rollup.OutputChunk[]) => [...chunks].sort((a, b) => size(b) - size(a))
    .forEach((chunk) => logger.info(`  ${chunk.fileName.padEnd(44)} ${kib(size(chunk)).padStart(10)}`));
  const first = sum(loaded.first);
  logger.info(`\nfirst load of route "${budget.route}" (JS, gzip -9): ${kib(first)} of ${budget.maxKiB} KiB`);
  list(loaded.first);
  if (loaded.after.length) {
    logger.info(`then fetched by the page, not holding up its first render: ${kib(sum(loaded.after))}`);
    list(loaded.after);
  }
  logger.info(`all JS chunks (gzip -9): ${kib(sum(all))} in ${all.length} chunks`);
  return first;
}

/** Prints the first load of `budget.route` and the total of all chunks; fails the build, before
 * anything is written, when the first load weighs more than `budget.maxKiB`. */
export function firstLoadBudget(budget: FirstLoadBudget): Plugin {
  let root = "";
  let logger: Logger;
  return {
    name: "reform-first-load-budget",
    apply: "build",
    configResolved(config) {
      root = config.root;
      logger = config.logger;
    },
    generateBundle: {
      // Last: Vite adds the lazy chunks' preload lists to the code in its own generateBundle, so
      // earlier the entry chunk would be measured ~1.5 KiB light.
      order: "post",
      handler(_options, bundle) {
        if (this.environment.name !== "client") return;
        const loaded = pageChunks(bundle, routeComponents(resolve(root, ROUTER), budget.route));
        const all = Object.values(bundle).filter((o): o is Rollup.OutputChunk => o.type === "chunk");
        const first = report(logger, budget, loaded, all);
        if (first > budget.maxKiB * KiB) {
          this.error(`first load of route "${budget.route}" is ${kib(first)} of gzipped JS, over its budget of `
            + `${budget.maxKiB} KiB (docs/PERFORMANCE.md)`);
        }
      },
    },
  };
}
