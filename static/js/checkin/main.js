/*
 * The check-in page: a phone held in one hand at the door of a hall with poor Wi-Fi, or
 * none. The door is local-first: every scan, search and walk-in is answered at once from
 * the device's own copy of the roster (IndexedDB), the same way online and offline, and
 * saved in an outbox that is sent in the background; a service worker (Workbox) keeps the
 * page and its files, so that it opens with no network once it was opened online.
 *
 * Three ways in: the camera (a QR decoder from npm, served from static/vendor), a handheld
 * scanner that types the card's token and Enter into the focused text box, and search by
 * furigana, name or short code. Every check-in gets a client_id, kept through retries, so
 * the server never counts a person twice however often the network fails.
 *
 * The entry module, loaded by templates/checkin/checkin.html with <script type="module">:
 * it wires the page's parts together and starts them. The modules beside it, from the
 * bottom up: page (what the server put in the page), text, dom, signal, api, keys, store,
 * decoder; result, roster; outbox (sending); door (one check-in, decided on the device);
 * list, scanner, newcomer, camera. A module imports only modules below it (biome's
 * noImportCycles fails on a cycle).
 */
import { startCameraIfWanted, wireCamera } from "./camera.js";
import { wireList } from "./list.js";
import { wireNewcomerForm } from "./newcomer.js";
import { load, onSettled, reconcile, send, waiting, wireOutbox } from "./outbox.js";
import { root, scanInput, TEXT, userId } from "./page.js";
import { settled } from "./result.js";
import { askedAt, onChanged, refresh, rows, start } from "./roster.js";
import { wireScanner } from "./scanner.js";
import { forgetExpired, forgetOthers, installWorker, keepPage } from "./store.js";

function registerWorker() {
  installWorker(root.dataset.swUrl)
    .then(keepThisPage)
    .catch(() => {
      // No worker (plain http on a hall's network): the page works while it stays open.
    });
}

// The first opening came before the worker was there to keep the page: keep it now (the
// worker keeps it on every later opening), so that a reload with no network opens it.
async function keepThisPage() {
  if (navigator.onLine && (await keepPage(location.href))) {
    root.dataset.kept = "true";
  }
}

// Logging out wipes the device (the answer's Clear-Site-Data header): what waits is sent
// first, and the instructor is asked before anything unsent is lost.
function guardLogout() {
  const form = document.querySelector('form[action$="/logout"]');
  form?.addEventListener("submit", async (event) => {
    if (!waiting().length || form.dataset.confirmed) {
      return;
    }
    event.preventDefault();
    await send();
    if (!waiting().length || window.confirm(TEXT.logout_unsent)) {
      form.dataset.confirmed = "1";
      form.requestSubmit();
    }
  });
}

async function main() {
  // The card box is ready for a scanner at once, without scrolling the page past what it
  // says at the top (受付は開始の60分前から…).
  scanInput.focus({ preventScroll: true });
  registerWorker();
  wireScanner();
  wireNewcomerForm();
  wireCamera();
  wireOutbox();
  guardLogout();
  let soon = null;
  onSettled((item) => {
    settled(item);
    clearTimeout(soon);
    soon = setTimeout(refresh, 200); // once for a whole batch
  });
  onChanged(() => reconcile(rows(), askedAt()));
  window.addEventListener("online", refresh);
  await forgetOthers(userId);
  await forgetExpired(Date.now());
  await load();
  wireList();
  startCameraIfWanted();
  await start();
  send();
}

if (root) {
  main();
}
