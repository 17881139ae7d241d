// The check-ins saved on this device, sent to the server on their own: when the page opens,
// when the network comes back, every few seconds while any wait, and when the browser's
// Background Sync wakes the service worker (Chromium; Safari and Firefox have only the
// page's own retries). All that wait go in one request (the batch endpoint); each answer
// settles its item: sent (green), already recorded by another device, or refused with the
// server's reason. An item the server did not answer stays saved and goes again, with the
// same client_id: the server never counts it twice.
import { post } from "./api.js";
import { pendingBox, root, sessionId, TEXT } from "./page.js";
import { setLocal } from "./roster.js";
import { itemsOf, putItem } from "./store.js";
import { clockOf, fill } from "./text.js";

const RETRY_MS = 5000;
const BATCH = 100;

let items = [];
let sending = false;
let relogin = false;
const settled = new EventTarget();

export function onSettled(listener) {
  settled.addEventListener("settled", (event) => listener(event.detail));
}

export function waiting() {
  return items.filter((item) => item.state === "saved");
}

function showWaiting() {
  const count = waiting().length;
  pendingBox.hidden = count === 0;
  pendingBox.textContent = relogin
    ? `${fill(TEXT.pending, { n: count })} ・ ${TEXT.relogin}`
    : fill(TEXT.pending, { n: count });
  setLocal(items);
}

export async function load() {
  items = (await itemsOf(sessionId)) || [];
  showWaiting();
}

export async function save(item) {
  item.session_id = sessionId;
  item.state = "saved";
  items.push(item);
  await putItem(item);
  showWaiting();
  askForSync();
  send();
}

function askForSync() {
  navigator.serviceWorker?.ready
    .then((registration) => registration.sync?.register("dekiru-door"))
    .catch(() => {
      // No Background Sync here: the page's own retries send it.
    });
}

// One item's answer from the batch: what the instructor sees of it from now on.
function settle(item, result) {
  if (result.status >= 500) {
    return false;
  }
  item.settled_at = Date.now();
  const answer = result.answer;
  if (answer) {
    const ours = answer.attendance && answer.attendance.client_id === item.client_id;
    if (answer.result === "already_checked_in" && !ours) {
      item.state = "elsewhere";
      item.message = fill(TEXT.elsewhere, {
        name: item.learner.name,
        time: clockOf(answer.checked_in_at || answer.attendance?.checked_in_at),
      });
    } else {
      item.state = "sent";
      item.message = answer.message;
    }
    item.learner = answer.learner;
  } else {
    item.state = "refused";
    item.code = result.error?.code;
    item.message = fill(TEXT.refused, { message: result.error?.message || "" });
  }
  return true;
}

// A check-in this device sent, which the roster now shows at an earlier time: another
// device saw the person first (offline both, perhaps) and its scan is the one kept.
// `since`: when that roster was asked for; a roster asked before the item was sent says
// nothing of it.
export async function reconcile(rows, since) {
  for (const item of items) {
    const fresh = item.state === "sent" && since > item.settled_at;
    const row = fresh && rows.find((r) => r.learner.id === item.learner.id);
    if (row?.client_id && row.client_id !== item.client_id) {
      item.state = "elsewhere";
      item.message = fill(TEXT.elsewhere, { time: clockOf(row.checked_in_at) });
      await putItem(item);
      settled.dispatchEvent(new CustomEvent("settled", { detail: item }));
    }
  }
}

export async function send() {
  const ready = waiting().slice(0, BATCH);
  if (sending || !ready.length) {
    return;
  }
  sending = true;
  let answer;
  try {
    answer = await post(
      root.dataset.batchUrl,
      root.dataset.csrf,
      { items: ready.map((item) => item.body) },
      () => {},
    );
  } finally {
    sending = false;
  }
  relogin = Boolean(answer.relogin);
  const results = answer.data?.results;
  if (results) {
    for (let i = 0; i < ready.length; i += 1) {
      const item = ready[i];
      if (results[i] && settle(item, results[i])) {
        await putItem(item);
        settled.dispatchEvent(new CustomEvent("settled", { detail: item }));
      }
    }
  }
  showWaiting();
  if (waiting().length && results && ready.length === BATCH) {
    send(); // more than one batch waited
  }
}

export function wireOutbox() {
  window.addEventListener("online", send);
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "dekiru-door-send") {
      send();
    }
  });
  setInterval(() => {
    if (waiting().length) {
      send();
    }
  }, RETRY_MS);
}
