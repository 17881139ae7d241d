// The call list by keyboard: on a row (Tab to it, or click it), the keys 1 to 4 press that
// row's outcome buttons (参加, 欠席, 不在, 伝言); typing in the row's note is left alone.
//
// A button (pressed, or by its key) sends its form in the background: the class's part of
// the list is replaced by the one the server answers with (the very page a reload gives), so
// the caller keeps their place; the news is read out (role=status), and the keys go on with
// the same row, or with the person a 欠席 gave the seat to. Without JavaScript the form
// posts and the page comes back at the row (#reg-N).
const news = document.querySelector("[data-call-news]");

function tell(text, kind) {
  if (!news) return;
  news.className = text ? `notice notice-${kind}` : "";
  news.textContent = text;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target instanceof HTMLInputElement) return;
  const row = event.target.closest?.("[data-call-row]");
  if (!row || row.getAttribute("aria-busy") === "true") return;
  const button = row.querySelector(`button[data-key="${event.key}"]`);
  if (!button) return;
  event.preventDefault();
  button.click();
});

async function record(form, submitter) {
  const row = form.closest("[data-call-row]");
  const group = form.closest("[data-call-group]");
  const before = new Set([...group.querySelectorAll("[data-call-row]")].map((r) => r.id));
  row.setAttribute("aria-busy", "true");
  let page;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form, submitter),
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    page = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch {
    row.removeAttribute("aria-busy");
    tell(news?.dataset.failed ?? "", "error");
    return;
  }
  const fresh = page.querySelector(`[data-call-group="${group.dataset.callGroup}"]`);
  if (!fresh) {
    window.location.reload(); // the class left the list (cancelled meanwhile): show why
    return;
  }
  group.replaceWith(fresh);
  const notice = page.querySelector("main > .notice");
  for (const old of document.querySelectorAll("main > .notice:not([data-call-news])")) {
    old.remove(); // the notices of the page as first shown: old news now
  }
  tell(notice?.textContent ?? "", notice?.classList.contains("notice-error") ? "error" : "success");
  const added = [...fresh.querySelectorAll("[data-call-row]")].find((r) => !before.has(r.id));
  (added ?? document.getElementById(row.id))?.focus();
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("[data-call-form]")) return;
  event.preventDefault();
  record(form, event.submitter);
});

// Back from recording without JavaScript's help, the row just recorded (the URL's #reg-N)
// takes the keys again.
const recorded = window.location.hash && document.querySelector(window.location.hash);
if (recorded?.matches("[data-call-row]")) recorded.focus();
