// The call list by keyboard: on a row (Tab to it, or click it), the keys 1 to 4 press that
// row's outcome buttons (参加, 欠席, 不在, 伝言); typing in the row's note is left alone.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target instanceof HTMLInputElement) return;
  const row = event.target.closest?.("[data-call-row]");
  if (!row) return;
  const button = row.querySelector(`button[data-key="${event.key}"]`);
  if (!button) return;
  event.preventDefault();
  button.click();
});

// Back from recording, the row just recorded (the URL's #reg-N) takes the keys again.
const recorded = window.location.hash && document.querySelector(window.location.hash);
if (recorded?.matches("[data-call-row]")) recorded.focus();
