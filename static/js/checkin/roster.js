// This session's people as the device knows them: the roster last downloaded (kept in
// IndexedDB, refreshed from the server with its ETag while the network lets it), with the
// check-ins saved on this device and not yet confirmed laid over it. Every answer at the
// door is read from here, the same way online and offline.
import { freshBox, root, sessionId, TEXT, userId } from "./page.js";
import { loadRoster, saveRoster } from "./store.js";
import { clockOf, fill, fold } from "./text.js";

let saved = null; // {session_id, user_id, etag, saved_at, kept_until, data}
const local = new Map(); // client_id → an item of the outbox that is still only here
const changed = new EventTarget();

export function onChanged(listener) {
  changed.addEventListener("changed", listener);
}

function announce() {
  showFreshness();
  changed.dispatchEvent(new Event("changed"));
}

export function session() {
  return saved ? saved.data.session : null;
}

// When the copy we hold was asked for: what it says is true of the server at that moment.
export function askedAt() {
  return saved?.asked_at || 0;
}

export function doorKey() {
  return saved ? saved.data.door_key : null;
}

function showFreshness() {
  if (!freshBox) {
    return;
  }
  freshBox.textContent = saved
    ? fill(TEXT.roster_fresh, { time: clockOf(new Date(saved.saved_at).toISOString()) })
    : TEXT.roster_none;
}

let readyNow = null;
export const ready = new Promise((resolve) => {
  readyNow = resolve;
});

// The device's copy first (at once, offline too), then the server's when it answers. A
// scan that comes before either waits for them (ready), rather than finding no one.
export async function start() {
  const kept = await loadRoster(sessionId);
  if (kept && kept.user_id === userId && Date.parse(kept.kept_until) > Date.now()) {
    saved = kept;
    readyNow();
  }
  announce();
  const fresh = await refresh();
  readyNow();
  return fresh;
}

// A session's roster from the server into the device's store: asked with the ETag of the
// copy `kept` (if any), so that 304 (nothing new) costs no body on a weak signal. The record
// kept now, or null when the network or the server gave nothing.
export async function download(session, user, url, kept) {
  const asked = Date.now();
  const headers = { Accept: "application/json" };
  if (kept?.etag) {
    headers["If-None-Match"] = kept.etag;
  }
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", cache: "no-store", headers });
  } catch {
    return null; // no network: the copy stands
  }
  let record;
  if (response.status === 304 && kept) {
    record = { ...kept, saved_at: Date.now(), asked_at: asked };
  } else if (response.ok && (response.headers.get("Content-Type") || "").includes("json")) {
    const data = await response.json();
    record = {
      session_id: session,
      user_id: user,
      etag: response.headers.get("ETag"),
      saved_at: Date.now(),
      asked_at: asked,
      kept_until: data.kept_until,
      data: data,
    };
  } else {
    return null;
  }
  await saveRoster(record);
  return record;
}

export async function refresh() {
  const record = await download(sessionId, userId, root.dataset.rosterUrl, saved);
  if (!record) {
    return false;
  }
  saved = record;
  announce();
  return true;
}

// What the outbox holds and the server has not confirmed yet.
export function setLocal(items) {
  local.clear();
  items.forEach((item) => {
    local.set(item.client_id, item);
  });
  changed.dispatchEvent(new Event("changed"));
}

// An item counts on the device until the roster shows it: while it waits, and once sent,
// until a roster asked for after the server's answer has come.
function overlaid(item) {
  if (item.waitlisted) {
    return false;
  }
  return item.state === "saved" || (item.state === "sent" && item.settled_at >= askedAt());
}

// The roster's rows with this device's saved check-ins laid over them; a newcomer saved
// here has a row of their own (no id until the server has recorded them).
export function rows() {
  if (!saved) {
    return [];
  }
  const merged = saved.data.rows.map((row) => ({ ...row }));
  local.forEach((item) => {
    if (!overlaid(item)) {
      return;
    }
    let row = item.learner.id ? merged.find((r) => r.learner.id === item.learner.id) : null;
    if (!row) {
      row = {
        learner: item.learner,
        registration_status: "registered",
        card_keys: [],
        revoked_keys: [],
        skills: [],
        walk_in: true,
      };
      merged.push(row);
    }
    if (!row.checked_in_at) {
      row.registration_status = "registered";
      row.checked_in_at = item.scanned_at;
      row.status = item.late ? "late" : "present";
      row.unsent = item.state === "saved" ? item.client_id : null;
    }
  });
  return merged;
}

export function counts() {
  if (!saved) {
    return null;
  }
  const shown = rows();
  const registered = shown.filter((r) => r.registration_status === "registered");
  return {
    registered: registered.length,
    waitlisted: shown.filter((r) => r.registration_status === "waitlisted").length,
    checked_in: registered.filter((r) => r.checked_in_at).length,
    capacity: saved.data.counts.capacity,
  };
}

export function showCounts() {
  const now = counts();
  if (!now) {
    return;
  }
  document.getElementById("count-checked").textContent = now.checked_in;
  document.getElementById("count-registered").textContent = now.registered;
  document.getElementById("count-waitlisted").textContent = now.waitlisted;
}

// Late or on time, by the scan's time, as the server judges it.
export function lateAt(iso) {
  const info = session();
  if (!info) {
    return false;
  }
  const lateAfter = Date.parse(info.starts_at) + info.late_after_minutes * 60000;
  return Date.parse(iso) > lateAfter;
}

// Where a row sorts, what it says, and whether it still has its check-in button.
export function stateOf(row) {
  if (row.registration_status === "waitlisted") {
    return { order: 2, text: TEXT.waitlisted, done: false, open: false };
  }
  if (row.checked_in_at) {
    let text = fill(TEXT.checked_at, { time: clockOf(row.checked_in_at) });
    if (row.status === "late") {
      text += `(${TEXT.late})`;
    }
    if (row.unsent) {
      text += ` ・ ${TEXT.saved}`;
    }
    return { order: 1, text: text, done: true, open: false };
  }
  return { order: 0, text: TEXT.not_yet, done: false, open: true };
}

// `key` is the folded search text.
export function matches(row, key) {
  if (!key) {
    return true;
  }
  return (
    fold(row.learner.furigana).indexOf(key) !== -1 || fold(row.learner.name).indexOf(key) !== -1
  );
}
