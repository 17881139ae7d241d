// The organization page's 「今すぐ同期」: the sync runs as a background job, and this follows it
// (queued, running with its step, done or failed) without a reload, then refreshes the sync
// log below so the new run shows at once.
const status = document.getElementById("sync-status");
const form = document.getElementById("sync-form");
const button = document.getElementById("sync-button");
const POLL_MS = 2000;

// A second click while the first is being sent would only find the same job: keep it calm.
form?.addEventListener("submit", () => {
  button.disabled = true;
});

function show(answer) {
  status.textContent = answer.text;
  status.className = `sync-status sync-${answer.level}`;
  if (answer.run_url) {
    const link = document.createElement("a");
    link.href = answer.run_url;
    link.textContent = status.dataset.runLink;
    status.append(" ", link);
  }
}

async function refreshLog() {
  const response = await fetch(window.location.pathname, { credentials: "same-origin" });
  if (!response.ok) {
    return;
  }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("sync-log");
  const here = document.getElementById("sync-log");
  if (fresh && here) {
    here.replaceWith(fresh);
  }
}

async function follow() {
  let answer;
  try {
    const response = await fetch(status.dataset.statusUrl, { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    answer = await response.json();
  } catch {
    // The network dropped for a moment: ask again at the next tick.
    window.setTimeout(follow, POLL_MS);
    return;
  }
  show(answer);
  if (answer.pending) {
    window.setTimeout(follow, POLL_MS);
    return;
  }
  button.disabled = false;
  await refreshLog();
}

if (status?.dataset.statusUrl && status.dataset.pending === "true") {
  window.setTimeout(follow, POLL_MS);
}
