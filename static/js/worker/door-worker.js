/*
 * The check-in page's service worker (served by app/checkin/worker.py, which puts
 * `self.DOOR` in front of this file: the files to keep, with their revisions, and where
 * Workbox's modules are served from static/vendor; nothing comes from a CDN).
 *
 * It keeps the check-in page's files ahead of time (Workbox precaching), and each check-in
 * page opened online (network first, the kept copy when the network is gone or too slow),
 * so that the page opens in a hall with no network. It keeps no one's data beyond the page
 * itself (which holds no roster: the page's script keeps that in IndexedDB); the logout
 * answer's Clear-Site-Data header wipes it all.
 */
importScripts(`${self.DOOR.workbox}workbox-sw.js`);
// workbox-sw sets self.workbox, and loads each module it names from static/vendor.
const workbox = self.workbox;
workbox.setConfig({ modulePathPrefix: self.DOOR.workbox, debug: false });

const PAGES = "dekiru-door-pages";
// A page is kept until noon the day after (the roster's own limit is the server's).
const PAGE_KEPT_SECONDS = 36 * 60 * 60;
// A weak signal that answers nothing for this long: the kept page opens instead.
const NETWORK_WAIT_SECONDS = 4;
const CHECKIN_PAGE = /^\/sessions\/\d+\/checkin$/;

workbox.precaching.precacheAndRoute(self.DOOR.precache, {
  ignoreURLParametersMatching: [/.*/],
});
workbox.precaching.cleanupOutdatedCaches();

// A check-in page that came back as the login page (the login expired) is not kept: it
// would open in place of the page next time.
const onlyThePage = {
  cacheWillUpdate: async ({ response }) => (response.redirected ? null : response),
};

workbox.routing.registerRoute(
  ({ request, url }) =>
    request.mode === "navigate" &&
    url.origin === self.location.origin &&
    CHECKIN_PAGE.test(url.pathname),
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: NETWORK_WAIT_SECONDS,
    plugins: [
      new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
      new workbox.expiration.ExpirationPlugin({
        maxAgeSeconds: PAGE_KEPT_SECONDS,
        maxEntries: 40,
      }),
      onlyThePage,
    ],
  }),
);

// Background Sync (Chromium): the browser wakes the worker when the network is back; the
// open check-in pages send what they saved (the page holds the CSRF token and the queue).
self.addEventListener("sync", (event) => {
  if (event.tag !== "dekiru-door") {
    return;
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((pages) => {
      pages.forEach((page) => {
        page.postMessage({ type: "dekiru-door-send" });
      });
    }),
  );
});

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});
