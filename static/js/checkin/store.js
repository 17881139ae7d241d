// The device's own copy (IndexedDB, through idb from npm): each session's roster as last
// downloaded, and the outbox of check-ins saved here and not yet confirmed by the server.
// Where IndexedDB is refused (a private window), the same in memory: the door still works
// while the page stays open.
import { openDB } from "../../vendor/idb.js";

const NAME = "dekiru-door";
// The service worker's cache of check-in pages (static/js/worker/door-worker.js).
const PAGES = "dekiru-door-pages";
const memory = { rosters: new Map(), outbox: new Map() };
let opened = null;

function db() {
  if (!opened) {
    opened = openDB(NAME, 1, {
      upgrade(database) {
        database.createObjectStore("rosters", { keyPath: "session_id" });
        const outbox = database.createObjectStore("outbox", { keyPath: "client_id" });
        outbox.createIndex("session", "session_id");
      },
    }).catch(() => null);
  }
  return opened;
}

async function run(work, otherwise) {
  const database = await db();
  if (!database) {
    return otherwise();
  }
  try {
    return await work(database);
  } catch {
    return otherwise();
  }
}

// {session_id, user_id, etag, saved_at, kept_until, data}
export function saveRoster(record) {
  memory.rosters.set(record.session_id, record);
  return run(
    (d) => d.put("rosters", record),
    () => null,
  );
}

export function loadRoster(sessionId) {
  return run(
    (d) => d.get("rosters", sessionId),
    () => memory.rosters.get(sessionId),
  );
}

export function putItem(item) {
  memory.outbox.set(item.client_id, item);
  return run(
    (d) => d.put("outbox", item),
    () => null,
  );
}

export function itemsOf(sessionId) {
  return run(
    (d) => d.getAllFromIndex("outbox", "session", sessionId),
    () => [...memory.outbox.values()].filter((item) => item.session_id === sessionId),
  );
}

// Past its day (the session's day plus 12 hours), a session's people leave the device:
// its roster and its settled items. An item still waiting stays until it is sent.
export function forgetExpired(now) {
  return run(
    async (d) => {
      const rosters = await d.getAll("rosters");
      for (const roster of rosters) {
        if (Date.parse(roster.kept_until) <= now) {
          await d.delete("rosters", roster.session_id);
          const items = await d.getAllFromIndex("outbox", "session", roster.session_id);
          for (const item of items) {
            if (item.state !== "saved") {
              await d.delete("outbox", item.client_id);
            }
          }
        }
      }
    },
    () => null,
  );
}

// Someone else logged in on this device: nothing of the last person's sessions is shown.
export function forgetOthers(userId) {
  return run(
    async (d) => {
      const rosters = await d.getAll("rosters");
      for (const roster of rosters) {
        if (roster.user_id !== userId) {
          await d.delete("rosters", roster.session_id);
        }
      }
    },
    () => null,
  );
}

// A check-in page into the worker's cache, so that it opens with no network: the worker
// keeps each page opened online, but not one opened before it was installed, nor one the
// instructor saved from her list of today's classes without opening it.
export async function keepPage(url) {
  if (!window.caches) {
    return false;
  }
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok || response.redirected) {
    return false; // the login page, when the login has expired
  }
  const cache = await caches.open(PAGES);
  await cache.put(url, response);
  return true;
}

// The check-in page's service worker, ready (installed, its files kept); and persistent
// storage asked for, so that waiting check-ins are not evicted when the phone runs short.
export async function installWorker(url) {
  if (!("serviceWorker" in navigator)) {
    throw new Error("no service worker here");
  }
  navigator.storage?.persist?.().catch(() => {});
  await navigator.serviceWorker.register(url, { scope: "/" });
  return navigator.serviceWorker.ready;
}
