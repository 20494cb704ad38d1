import { createApp } from "vue";
import { createPinia } from "pinia";
import { provideGlobalConfig } from "element-plus";
import zhCn from "element-plus/es/locale/lang/zh-cn";
import App from "./App.vue";
import { loginRedirect, router } from "./router";
import { ApiError, notifyError } from "./api/problem";
import { STORAGE_KEY, onSessionExpired, useSession } from "./stores/session";

const app = createApp(App);
const pinia = createPinia();
app.use(pinia).use(router);
// Element Plus' own words in Chinese, as app.use(ElementPlus, { locale }) set them, without registering
// every component (they are imported per component, vite.config.ts). Global, so that the message
// boxes ElMessageBox opens outside the component tree speak Chinese too.
provideGlobalConfig({ locale: zhCn }, app, true);

// Session expiry (timer, a 401 from any API, a logout in another tab): back to /login.
const session = useSession(pinia);
onSessionExpired(() => {
  const current = router.currentRoute.value;
  if (current.name === "login") return;
  // Before the first navigation has finished, the route is still the start location: use the address bar.
  const from = current.matched.length ? current.fullPath : `${location.pathname}${location.search}`;
  void router.push(loginRedirect(from, true));
});
session.watchExpiry();
void session.refreshMe();
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") session.watchExpiry();
});
window.addEventListener("storage", (event) => {
  if (event.key === STORAGE_KEY || event.key === null) session.syncFromStorage();
});

// Any API error nobody caught is still shown to the user, in Chinese (problem detail, else title).
// A 401 is not: the session has ended and the login page says so.
const shown = (error: unknown) => !(error instanceof ApiError && error.status === 401);
app.config.errorHandler = (error) => {
  console.error(error);
  if (shown(error)) notifyError(error);
};
window.addEventListener("unhandledrejection", (event) => {
  if (!(event.reason instanceof ApiError)) return;
  event.preventDefault();
  if (shown(event.reason)) notifyError(event.reason);
});

app.mount("#app");
