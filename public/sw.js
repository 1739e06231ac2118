// Rapport's service worker: the app shell comes from the cache, so Rapport opens with no network at all.
//
// `scripts/precache` (a Trunk post-build hook) rewrites the two constants below for every build: the
// version is a hash of every file in the build, and SHELL lists those files. A build that changes any file
// therefore changes this script, which is how the browser notices a new version.
const VERSION = "dev";
const SHELL = [];

const CACHE_PREFIX = "rapport-shell-";
const CACHE = CACHE_PREFIX + VERSION;

// Install: fetch the whole shell into a cache of its own. A new version waits (no skipWaiting here) until
// the user agrees to reload, so an open session never runs half old, half new code.
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

// Activate: drop the shells of older versions and take over pages opened before the first install, so
// the very first visit is already enough to open offline next time.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// The page asks for this when the user clicks "Reload" on the update banner.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") {
    self.skipWaiting();
  }
});

// Fetch: only this origin's GETs outside the API. Pages are client routes of the single-page app, so
// every navigation gets the cached index.html; files come from the cache, then the network.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/healthz" || url.pathname === "/metrics") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(
      caches
        .open(CACHE)
        .then((cache) => cache.match("/index.html"))
        .then((cached) => cached || fetch(request)),
    );
    return;
  }
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(request, { ignoreSearch: true }))
      .then((cached) => cached || fetch(request)),
  );
});

// A tapped reminder brings Rapport forward on its Tasks page (or opens it).
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => "focus" in w);
      return open ? open.focus() : self.clients.openWindow("/tasks");
    }),
  );
});
