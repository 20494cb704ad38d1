import { START_LOCATION, createRouter, createWebHistory, type RouteLocationRaw } from "vue-router";
import { OFFICE_ROLES, useSession, type Role } from "./stores/session";

declare module "vue-router" {
  interface RouteMeta {
    /** Page title (also the document title). */
    title?: string;
    /** Left-menu entry to highlight, when the page is not itself a menu entry. */
    menu?: string;
    /** Reachable without signing in. */
    public?: boolean;
    /** Only these roles (default: every signed-in role). The menu hides what a role cannot open. */
    roles?: Role[];
  }
}

export const APP_TITLE = "云岭市营商环境改革综合平台";

export const OFFICE: Role[] = [...OFFICE_ROLES];
export const RATERS: Role[] = [...OFFICE, "lead_unit"];
/** A unit's liaisons (责任单位, 牵头单位): their home is the to-do list (待办, issue #22). */
export const UNITS: Role[] = ["unit", "lead_unit"];

/** Where a role starts: a unit on its to-do list, everyone else on the cockpit. */
export function homeFor(role: Role | undefined): string {
  return role && UNITS.includes(role) ? "/todo" : "/";
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/login", name: "login", component: () => import("./views/LoginView.vue"),
      meta: { title: "登录", public: true } },
    {
      path: "/",
      component: () => import("./components/AppLayout.vue"),
      children: [
        { path: "", name: "overview", component: () => import("./views/OverviewView.vue"),
          meta: { title: "驾驶舱" } },
        { path: "todo", name: "todo", component: () => import("./views/TodoView.vue"),
          meta: { title: "待办", roles: UNITS } },
        { path: "battle-map", name: "battle-map", component: () => import("./views/BattleMapView.vue"),
          meta: { title: "作战图" } },
        { path: "tasks", name: "tasks", component: () => import("./views/TasksView.vue"),
          meta: { title: "任务清单" } },
        { path: "tasks/:number", name: "task", component: () => import("./views/TaskDetailView.vue"),
          meta: { title: "任务详情", menu: "/tasks" } },
        { path: "scores", name: "scores", component: () => import("./views/ScoresView.vue"),
          meta: { title: "评分排名" } },
        { path: "surveys", name: "surveys", component: () => import("./views/SurveyResultsView.vue"),
          meta: { title: "万企评机关" } },
        { path: "ratings/:code?", name: "ratings", component: () => import("./views/RatingsView.vue"),
          meta: { title: "评价打分", roles: RATERS, menu: "/ratings" } },
        { path: "hotline", name: "hotline", component: () => import("./views/HotlineView.vue"),
          meta: { title: "12345热线" } },
        { path: "reports/:id(\\d+)?", name: "reports", component: () => import("./views/ReportsView.vue"),
          meta: { title: "通报与报告", menu: "/reports" } },
        { path: "supervisions/:id(\\d+)", name: "supervision", component: () => import("./views/SupervisionView.vue"),
          meta: { title: "督办通知", menu: "/inbox" } },
        { path: "tours/:id(\\d+)?", name: "tours", component: () => import("./views/ToursView.vue"),
          meta: { title: "观摩评分", menu: "/tours" } },
        { path: "instructions/:id(\\d+)?", name: "instructions", component: () => import("./views/InstructionsView.vue"),
          meta: { title: "领导批示", menu: "/instructions" } },
        { path: "problem-lists/:id(\\d+)?", name: "problem-lists", component: () => import("./views/ProblemListsView.vue"),
          meta: { title: "问题清单备案", menu: "/problem-lists" } },
        { path: "submissions", name: "submissions", component: () => import("./views/SubmissionsView.vue"),
          meta: { title: "季度报告" } },
        { path: "cases", name: "cases", component: () => import("./views/CasesView.vue"),
          meta: { title: "典型案例" } },
        { path: "projects/:id(\\d+)?", name: "projects", component: () => import("./views/ProjectsView.vue"),
          meta: { title: "重点项目", menu: "/projects" } },
        { path: "inbox", name: "inbox", component: () => import("./views/InboxView.vue"),
          meta: { title: "收件箱" } },
        { path: "admin", name: "admin", component: () => import("./views/AdminView.vue"),
          meta: { title: "系统管理", roles: OFFICE } },
        { path: "units", redirect: { name: "admin", query: { tab: "units" } } },
      ],
    },
    { path: "/:pathMatch(.*)*", redirect: "/" },
  ],
});

/** Where to go after signing in: only a path inside this app (no "//host" or "http:" escapes);
 * without one, the role's home. */
export function safeNext(next: unknown, home = "/"): string {
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")
    && next !== "/login" && !next.startsWith("/login?") ? next : home;
}

export function allowed(roles: Role[] | undefined, role: Role | undefined): boolean {
  return !roles || (role !== undefined && roles.includes(role));
}

export function loginRedirect(from: string, expired = false): RouteLocationRaw {
  const query: Record<string, string> = {};
  if (from && from !== "/" && !from.startsWith("/login")) query.next = from;
  if (expired) query.expired = "1";
  return { name: "login", query };
}

/** Running as the installed app (opened from the home screen), not in a browser tab. */
const installed = () => window.matchMedia("(display-mode: standalone)").matches;

router.beforeEach((to, from) => {
  const session = useSession();
  const active = session.isActive();
  if (!to.meta.public && !active) {
    if (session.token) session.logout(); // a stale token left in storage
    return loginRedirect(to.fullPath);
  }
  const home = homeFor(session.me?.role);
  if (to.name === "login" && active) return safeNext(to.query.next, home);
  if (!allowed(to.meta.roles, session.me?.role)) return home;
  // The installed app (PWA) opens at its start address, "/": a unit starts on its to-do list there
  // too. In a browser tab "/" stays the cockpit (a reload of it stays on it).
  if (from === START_LOCATION && to.path === "/" && home !== "/" && installed()) return home;
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title && to.name !== "overview" ? `${to.meta.title} - ${APP_TITLE}` : APP_TITLE;
});
