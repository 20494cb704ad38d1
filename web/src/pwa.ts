// Installable as a PWA (issue #22): registers public/sw.js, whose only job is to answer a page load
// that fails for want of a network with public/offline.html ("网络连接已断开"). It caches nothing
// else — no API data, no scripts — so the app and its scores always come from the server.
// Loaded by index.html as a module script of its own; production builds only (under `npm run dev`
// the page is rebuilt on every change, and a worker would only get in the way). A failure is logged
// and the app runs on without it.
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  const register = () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error: unknown) => {
      console.warn("离线页面未启用：service worker 注册失败", error);
    });
  };
  // After the page has loaded: the first visit's downloads come first.
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}

export {};
