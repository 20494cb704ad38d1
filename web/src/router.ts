import { createRouter, createWebHistory } from "vue-router";
import { useSession } from "./stores/session";

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/login", name: "login", component: () => import("./views/LoginView.vue") },
    {
      path: "/",
      component: () => import("./components/AppLayout.vue"),
      children: [
        { path: "", name: "overview", component: () => import("./views/OverviewView.vue"),
          meta: { title: "驾驶舱" } },
        { path: "tasks", name: "tasks", component: () => import("./views/TasksView.vue"),
          meta: { title: "任务清单" } },
        { path: "tasks/:number", name: "task", component: () => import("./views/TaskDetailView.vue"),
          meta: { title: "任务详情" } },
        { path: "battle-map", name: "battle-map", component: () => import("./views/BattleMapView.vue"),
          meta: { title: "作战图" } },
        { path: "scores", name: "scores", component: () => import("./views/ScoresView.vue"),
          meta: { title: "评分排名" } },
        { path: "units", name: "units", component: () => import("./views/UnitsView.vue"),
          meta: { title: "单位名录" } },
      ],
    },
    { path: "/:pathMatch(.*)*", redirect: "/" },
  ],
});

router.beforeEach((to) => {
  const session = useSession();
  if (to.name !== "login" && !session.loggedIn) {
    session.logout();
    return { name: "login", query: to.fullPath === "/" ? {} : { next: to.fullPath } };
  }
  if (to.name === "login" && session.loggedIn) return { name: "overview" };
  return true;
});
