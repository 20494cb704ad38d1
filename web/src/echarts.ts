// ECharts, registered once with only the pieces the pages use (keeps its chunk smaller). Loaded on
// demand by src/charts.ts, the first time a page draws a chart: no page's first load waits for it.
import { use } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import VChart from "vue-echarts";

use([CanvasRenderer, BarChart, LineChart, PieChart, AriaComponent, GridComponent, LegendComponent, TooltipComponent]);

export { VChart };
