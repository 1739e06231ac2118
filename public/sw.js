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
  if (FILE_PATH.test(url.pathname) && !request.headers.has("range")) {
    event.respondWith(attachment(request, url.pathname));
    return;
  }
  // The relay's own pages: its API, and the help pages and investor updates readers open without
  // the app.
  if (
    url.pathname.startsWith("/api/") ||
    url.pathname.startsWith("/help/") ||
    url.pathname.startsWith("/updates/") ||
    url.pathname === "/healthz" ||
    url.pathname === "/metrics"
  ) {
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

// An attachment (named by the SHA-256 of its bytes, so it never changes): from the device's files cache
// — where the page keeps every file attached here and every file opened —, else from the relay, kept
// for the next time. Kept apart from the shell's caches, which each new version drops.
const FILES_CACHE = "rapport-files";
const FILE_PATH = /^\/api\/workspaces\/[0-9a-f-]{36}\/files\/[0-9a-f]{64}$/;

function attachment(request, path) {
  return caches.open(FILES_CACHE).then((cache) =>
    cache.match(path).then(
      (cached) =>
        cached ||
        fetch(request).then((response) => {
          if (response.status === 200) cache.put(path, response.clone()).catch(() => {});
          return response;
        }),
    ),
  );
}

// A reminder pushed by the relay while Rapport may be closed (its scheduled jobs, Web Push): shown
// with the job's id as its tag, so a push that arrives twice, or the page's own reminder for the same
// task, is one notification. The relay only sends paths of this app to open; anything else opens Tasks.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {};
  }
  const open = safePath(message.open);
  event.waitUntil(
    self.registration.showNotification(message.title || "Rapport", {
      body: bodyWords(message.body),
      tag: message.tag || open,
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { open },
    }),
  );
});

// Reminders carry the record's words only (a task's title, a party's name), so colleagues whose
// screens speak different languages register the same job; the words added here are this device's.
// A breach alert names its clock by key (`rapport_core::jobs::breach_jobs`); a contract reminder
// its date as `notice:YYYY-MM-DD` or `ends:YYYY-MM-DD` (`rapport_core::jobs::contract_jobs`), a
// training's as `expires:YYYY-MM-DD` (`rapport_core::employee::training_jobs`), a 1:1's next
// meeting as `meets:YYYY-MM-DD` (`rapport_core::employee::one_on_one_jobs`).
const WORDS = {
  en: {
    "": "Reminder · Rapport",
    notice: "Last day to give notice: ",
    ends: "Ends on ",
    expires: "Expires on ",
    meets: "Next 1:1: ",
    first_response: "First response is due now",
    next_response: "Next response is due now",
    resolution: "Resolution is due now",
  },
  ru: {
    "": "Напоминание · Rapport",
    notice: "Последний день для уведомления о расторжении: ",
    ends: "Заканчивается ",
    expires: "Истекает ",
    meets: "Следующая встреча 1:1: ",
    first_response: "Срок первого ответа наступил",
    next_response: "Срок следующего ответа наступил",
    resolution: "Срок решения наступил",
  },
};

function bodyWords(body) {
  const language = (self.navigator && self.navigator.language) || "en";
  const words = language.toLowerCase().startsWith("ru") ? WORDS.ru : WORDS.en;
  const dated = /^(notice|ends|expires|meets):(\d{4})-(\d{2})-(\d{2})$/.exec(body || "");
  if (dated) {
    const day = new Date(Date.UTC(+dated[2], +dated[3] - 1, +dated[4]));
    const options = { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" };
    return words[dated[1]] + day.toLocaleDateString(language, options);
  }
  return words[body || ""] || body || words[""];
}

function safePath(path) {
  const plain = typeof path === "string" && !/[\u0000-\u0020\\]/.test(path);
  return plain && path.startsWith("/") && !path.startsWith("//") ? path : "/tasks";
}

// A tapped reminder opens its record: in a Rapport window already open (brought forward and sent
// there), else in a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const open = safePath(event.notification.data && event.notification.data.open);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const window = windows.find((w) => "focus" in w);
      if (!window) return self.clients.openWindow(open);
      return window.focus().then((focused) => ("navigate" in focused ? focused.navigate(open) : focused));
    }),
  );
});
