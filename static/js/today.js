// 「今日の講座を端末に保存」 on an instructor's list of her classes: before leaving for a hall
// with no network, each of today's check-in pages and its roster go onto the device (the
// service worker's cache and IndexedDB), as if each had been opened once online.
import { download } from "./checkin/roster.js";
import { installWorker, keepPage, loadRoster } from "./checkin/store.js";
import { clockOf, fill } from "./checkin/text.js";

const box = document.getElementById("today-classes");
const button = document.getElementById("save-today");
const status = document.getElementById("save-today-status");
const TEXT = JSON.parse(document.getElementById("today-text")?.textContent || "{}");

async function saveToday() {
  button.disabled = true;
  status.textContent = TEXT.saving;
  const user = Number(box.dataset.userId);
  let saved = 0;
  try {
    await installWorker(box.dataset.swUrl);
    for (const link of box.querySelectorAll("a[data-door]")) {
      const session = Number(link.dataset.door);
      const kept = await loadRoster(session);
      // Someone else's copy on a shared phone is not refreshed in place: downloaded anew.
      const mine = kept?.user_id === user ? kept : null;
      const record = await download(session, user, link.dataset.rosterUrl, mine);
      if (record && (await keepPage(link.href))) {
        saved += 1;
      }
    }
  } catch {
    // Counted below: what was saved stays saved.
  }
  const all = box.querySelectorAll("a[data-door]").length;
  status.textContent =
    saved === all
      ? fill(TEXT.saved, { n: saved, time: clockOf(new Date().toISOString()) })
      : TEXT.failed;
  box.dataset.saved = String(saved);
  button.disabled = false;
}

if (box && button) {
  button.addEventListener("click", saveToday);
}
