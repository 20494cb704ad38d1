// ECharts, registered once with only the pieces the pages use (keeps the bundle smaller).
import { use } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import {
  AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent,
} from "echarts/components";
import VChart from "vue-echarts";

use([CanvasRenderer, BarChart, LineChart, PieChart, AriaComponent, GridComponent, LegendComponent, TitleComponent,
  TooltipComponent]);

/** Charts describe themselves to screen readers (ECharts' aria: a generated text description). */
export const ARIA = { enabled: true, label: { enabled: true } };

export { VChart };
