// The app's menu: the side menu on a desktop, the bottom tab bar and its "更多" sheet on a phone.
// Role-aware: an entry shows only when its route lets the signed-in role in (src/router.ts).
import { computed, markRaw, type Component, type ComputedRef } from "vue";
import {
  Bell, Calendar, Collection, DataBoard, Document, EditPen, Flag, List, MapLocation, Medal, Message, OfficeBuilding, Phone,
  Setting, Stamp, Tickets, Trophy,
} from "@element-plus/icons-vue";
import { allowed, router } from "../router";
import { useSession } from "../stores/session";

export interface MenuItem {
  path: string;
  name: string;
  title: string;
  icon: Component;
}

const item = (path: string, name: string, title: string, icon: Component): MenuItem =>
  ({ path, name, title, icon: markRaw(icon) });

export const MENU: MenuItem[] = [
  item("/todo", "todo", "待办", Bell),
  item("/", "overview", "驾驶舱", DataBoard),
  item("/battle-map", "battle-map", "作战图", MapLocation),
  item("/tasks", "tasks", "任务清单", List),
  item("/projects", "projects", "重点项目", OfficeBuilding),
  item("/instructions", "instructions", "领导批示", Stamp),
  item("/problem-lists", "problem-lists", "问题清单备案", Tickets),
  item("/submissions", "submissions", "季度报告", Calendar),
  item("/ratings", "ratings", "评价打分", EditPen),
  item("/tours", "tours", "观摩评分", Flag),
  item("/scores", "scores", "评分排名", Trophy),
  item("/surveys", "surveys", "万企评机关", Medal),
  item("/hotline", "hotline", "12345热线", Phone),
  item("/cases", "cases", "典型案例", Collection),
  item("/reports", "reports", "通报与报告", Document),
  item("/inbox", "inbox", "收件箱", Message),
  item("/admin", "admin", "系统管理", Setting),
];

/** The tab bar's own entries on a phone, in this order; the rest are under "更多". */
const UNIT_TABS = ["todo", "tasks", "inbox", "hotline"];
const OTHER_TABS = ["overview", "tasks", "hotline", "inbox"];

export function useMenu(): { menu: ComputedRef<MenuItem[]>; tabs: ComputedRef<MenuItem[]>; more: ComputedRef<MenuItem[]> } {
  const session = useSession();
  const menu = computed(() => MENU.filter((entry) => allowed(router.resolve(entry.path).meta.roles, session.me?.role)));
  const tabNames = computed(() => (session.isUnit ? UNIT_TABS : OTHER_TABS));
  const tabs = computed(() => tabNames.value.map((name) => menu.value.find((entry) => entry.name === name))
    .filter((entry): entry is MenuItem => !!entry));
  const more = computed(() => menu.value.filter((entry) => !tabNames.value.includes(entry.name)));
  return { menu, tabs, more };
}
