// One check-in, however it came in (camera, scanner, search, newcomer form): sent to the
// server, and its answer shown, heard and felt, with the way on where there is one (resend,
// walk in, waitlist, over capacity).
import { newClientId, post } from "./api.js";
import { planner, resultBox, root, scanInput, TEXT } from "./page.js";
import { remember, showResult } from "./result.js";
import { showCounts, updateRow } from "./roster.js";
import { signal } from "./signal.js";
import { clockOf, fill } from "./text.js";

let pending = 0;

// Whether a check-in is on its way: the roster refresh skips its turn then, since a roster read
// before the answer arrived could put back the row the answer is changing.
export function busy() {
  return pending > 0;
}

// The list (list.js) sits above this module and redraws when someone is recorded: it listens
// here rather than being called, so that no two modules import each other.
const recorded = new EventTarget();

export function onRecorded(listener) {
  recorded.addEventListener("recorded", listener);
}

export function checkIn(body, context = {}) {
  body.client_id = body.client_id || newClientId();
  body.scanned_at = body.scanned_at || new Date().toISOString();
  pending += 1;
  resultBox.setAttribute("aria-busy", "true");
  showResult("pending", "sending", { learner: context.learner, message: TEXT.sending });
  return post(root.dataset.postUrl, root.dataset.csrf, body, () => {
    showResult("pending", "retrying", { learner: context.learner, message: TEXT.retrying });
  }).then((answer) => {
    pending -= 1;
    if (!pending) {
      resultBox.removeAttribute("aria-busy");
    }
    handle(answer, body, context);
    focusScanner();
  });
}

// The next card can be scanned straight away, unless someone is using another control.
function focusScanner() {
  const active = document.activeElement;
  if (!active || active === document.body || !root.contains(active)) {
    scanInput.focus();
  }
}

function handle(answer, body, context) {
  if (answer.lost) {
    signal("error");
    showResult("error", "network", {
      learner: context.learner,
      message: TEXT.failed,
      actions: [
        {
          label: TEXT.resend,
          primary: true,
          run: () => {
            checkIn(body, context);
          },
        },
      ],
    });
    return;
  }
  if (answer.relogin) {
    signal("error");
    showResult("error", "relogin", { message: TEXT.relogin });
    return;
  }
  const data = answer.data;
  if (!data) {
    signal("error");
    showResult("error", "http", { message: fill(TEXT.server_error, { status: answer.status }) });
    return;
  }
  if (data.counts) {
    showCounts(data.counts);
  }
  if (!data.error) {
    updateRow(data);
    // A retry whose first try did reach the server: that first try was this very scan.
    const ours = data.attendance && data.attendance.client_id === body.client_id;
    if (ours && data.result === "already_checked_in") {
      data.result = "checked_in";
      data.message = fill(TEXT.checked_in, {
        name: data.learner.name,
        time: clockOf(data.attendance.checked_in_at),
      });
    }
    const again = data.result === "already_checked_in";
    const kind = data.result === "waitlisted" ? "warn" : again ? "again" : "ok";
    signal(kind === "warn" ? "again" : kind);
    showResult(kind, data.result, { learner: data.learner, message: data.message });
    remember(kind, data.message);
    recorded.dispatchEvent(new Event("recorded"));
    return;
  }
  refused(data.error, body, context);
}

// Each refusal has its own words (from the server) and, where there is one, a way on.
function refused(error, body, context) {
  const learner = error.learner_id
    ? { id: error.learner_id, name: error.learner_name, furigana: error.learner_furigana }
    : context.learner;
  const details = error.fields ? Object.keys(error.fields).map((name) => error.fields[name]) : [];
  const options = {
    learner: learner,
    message: details.length ? `${error.message} ${details.join(" ")}` : error.message,
    actions: [],
  };
  let kind = "error";
  if (error.code === "unknown_code") {
    options.hint = TEXT.unknown_hint;
  } else if (error.code === "not_registered" && error.registration_status !== "waitlisted") {
    kind = "warn";
    options.actions = walkInActions(learner, error.can_walk_in, body.code);
  } else if (error.code === "session_full" && learner) {
    kind = "warn";
    options.actions = walkInActions(learner, false, body.code);
  }
  signal("error");
  showResult(kind, error.code, options);
  remember(kind, error.message);
  if (options.actions.length) {
    resultBox.querySelector(".result-actions button").focus();
  }
}

// A card shown at the door walks its holder in by the card itself: by id, an instructor
// reaches only the people of their own classes.
function walkInActions(learner, room, code) {
  function walkIn(extra) {
    return () => {
      const body = learner.newcomer
        ? { new_learner: learner.newcomer, walk_in: true }
        : code
          ? { code: code, walk_in: true }
          : { learner_id: learner.id, walk_in: true };
      Object.keys(extra).forEach((key) => {
        body[key] = extra[key];
      });
      checkIn(body, { learner: learner });
    };
  }
  if (room) {
    return [{ label: TEXT.walk_in, primary: true, run: walkIn({}) }];
  }
  const actions = [{ label: TEXT.waitlist, primary: !planner, run: walkIn({ waitlist: true }) }];
  if (planner) {
    actions.unshift({
      label: TEXT.override,
      primary: true,
      run: walkIn({ override_capacity: true }),
    });
  }
  return actions;
}
