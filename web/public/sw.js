// The app's service worker (issue #22; registered by src/pwa.ts): it answers a page load that fails
// for want of a network with offline.html ("网络连接已断开"), and does nothing else. It caches no API
// answer — scores, rankings, tasks and to-dos always come from the network, never stale from a
// cache — and no app code (the next visit loads a new release as it is). Only navigations to the
// app's pages pass through it; an API address opened as a page fails as the browser's own error.
// Bump when offline.html changes: the new worker caches the new page and drops the old cache.
const VERSION = 1;
const CACHE = `reform-offline-v${VERSION}`;
const OFFLINE = "/offline.html";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.add(OFFLINE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.mode !== "navigate" || new URL(request.url).pathname.startsWith("/api/")) return;
  event.respondWith(fetch(request).catch(async () => (await caches.match(OFFLINE)) ?? Response.error()));
});
