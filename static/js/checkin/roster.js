// This session's people as the page knows them: the roster the server sent, kept up to date
// by each answer and by the periodic refresh, and the counts at the top of the page.
import { initialRoster, TEXT } from "./page.js";
import { clockOf, codeKey, fill, fold } from "./text.js";

let roster = initialRoster;

export function rows() {
  return roster.rows;
}

// A fresh roster from the server replaces ours whole.
export function replace(data) {
  roster = data;
}

export function showCounts(counts) {
  document.getElementById("count-checked").textContent = counts.checked_in;
  document.getElementById("count-registered").textContent = counts.registered;
  document.getElementById("count-waitlisted").textContent = counts.waitlisted;
}

// An answer's learner, registration and attendance, into that learner's row (a walk-in gets
// a new row).
export function updateRow(data) {
  let row = roster.rows.find((r) => r.learner.id === data.learner.id);
  if (!row) {
    row = { learner: data.learner, short_code: null, skills: [] };
    roster.rows.push(row);
  }
  if (data.registration) {
    row.registration_id = data.registration.id;
    row.registration_status = data.registration.status;
  }
  if (data.attendance) {
    row.registration_id = data.attendance.registration_id;
    row.registration_status = "registered";
    row.status = data.attendance.status;
    row.checked_in_at = data.attendance.checked_in_at;
  }
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
    return { order: 1, text: text, done: true, open: false };
  }
  return { order: 0, text: TEXT.not_yet, done: false, open: true };
}

// `key` is the folded search text, `code` the same text as a card code.
export function matches(row, key, code) {
  if (!key && !code) {
    return true;
  }
  return (
    (key &&
      (fold(row.learner.furigana).indexOf(key) !== -1 ||
        fold(row.learner.name).indexOf(key) !== -1)) ||
    (code.length >= 2 && row.short_code && codeKey(row.short_code).indexOf(code) !== -1)
  );
}
