// Charts for the pages. ECharts weighs more than the rest of a page's JavaScript together (~190 KiB
// gzipped), so it is not part of any page's first load: <v-chart> is an async component whose code
// (src/echarts.ts) is fetched while the page waits for its data, and the page's tables, numbers and
// links show without it. Nothing here imports ECharts itself.
import { defineAsyncComponent, h } from "vue";

type ChartComponent = typeof import("./echarts").VChart;

let loading: Promise<ChartComponent> | undefined;

function loadCharts(): Promise<ChartComponent> {
  loading ??= import("./echarts").then((module) => module.VChart, (error: unknown) => {
    loading = undefined; // a dropped connection: the next chart tries again
    throw error;
  });
  return loading;
}

/** Starts fetching ECharts (once). A page with charts calls it as it sets up, so the download runs
 * alongside its API calls rather than after them, when the first chart is drawn. A failure here is
 * left to that chart, which tries again and reports it. */
export function prefetchCharts(): void {
  loadCharts().catch(() => undefined);
}

/** Holds the chart's place (its class gives it the chart's size) until ECharts has arrived. */
const ChartPlaceholder = { render: () => h("div", { "aria-busy": "true" }) };

export const VChart = defineAsyncComponent({ loader: loadCharts, loadingComponent: ChartPlaceholder, delay: 0 });

/** Charts describe themselves to screen readers (ECharts' aria: a generated text description). */
export const ARIA = { enabled: true, label: { enabled: true } };

/** ECharts' own words (tooltips, aria) in Chinese. Given to each chart rather than provided app-wide
 * with vue-echarts' INIT_OPTIONS_KEY: that key is exported by vue-echarts' main module, which imports
 * echarts/core, so importing it in main.ts had put ECharts in the entry chunk of every page. */
export const INIT_OPTIONS = { locale: "ZH" };
