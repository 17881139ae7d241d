// One check-in, however it came in (camera, scanner, search, newcomer form), answered at
// once from the device's roster and saved in the outbox, which sends it on its own: the
// same way online and offline. Only a card the roster does not know is asked of the
// server (it may be someone registered elsewhere, who can walk in), and only online.
import { newClientId, post } from "./api.js";
import { cardKey } from "./keys.js";
import { save } from "./outbox.js";
import { planner, resultBox, root, scanInput, TEXT } from "./page.js";
import { remember, showResult } from "./result.js";
import { counts, doorKey, lateAt, ready, refresh, rows, session, showCounts } from "./roster.js";
import { signal } from "./signal.js";
import { clockOf, fill, looksLikeToken } from "./text.js";

// The list (list.js) sits above this module and redraws when someone is recorded: it listens
// here rather than being called, so that no two modules import each other.
const recorded = new EventTarget();

export function onRecorded(listener) {
  recorded.addEventListener("recorded", listener);
}

function done() {
  showCounts();
  recorded.dispatchEvent(new Event("recorded"));
  focusScanner();
}

// The next card can be scanned straight away, unless someone is using another control.
function focusScanner() {
  const active = document.activeElement;
  if (!active || active === document.body || !root.contains(active)) {
    scanInput.focus();
  }
}

function refuse(result, message, learner, hint) {
  signal("error");
  showResult("error", result, { learner: learner, message: message, hint: hint });
  remember("error", message);
}

// Whether the door is open at this moment, by the roster's times (the page may be a kept
// copy, opened hours after it was written): null when open, else what to say.
function closed(now) {
  const info = session();
  if (!info) {
    return null;
  }
  if (info.status === "cancelled") {
    return TEXT.cancelled;
  }
  if (now < Date.parse(info.starts_at) - 60 * 60000) {
    return TEXT.not_open;
  }
  // After the end: recorded later, by coordinators at any time and by the session's own
  // staff until the date the server put in the page.
  const until = root.dataset.laterUntil;
  if (now > Date.parse(info.ends_at) && !planner && !(until && now <= Date.parse(until))) {
    return TEXT.ended;
  }
  return null;
}

// A check-in of someone on the roster: shown at once, saved, sent in the background.
async function saveCheckIn(body, row, extra = {}) {
  const late = lateAt(body.scanned_at);
  const learner = row.learner;
  const message =
    extra.message ||
    fill(late ? TEXT.checked_in_late : TEXT.checked_in, {
      name: learner.name,
      time: clockOf(body.scanned_at),
    });
  const item = {
    client_id: body.client_id,
    scanned_at: body.scanned_at,
    body: body,
    learner: learner,
    late: late,
    message: message,
    ...extra,
  };
  await save(item);
  const kind = extra.waitlisted ? "warn" : "ok";
  signal(kind === "warn" ? "again" : "ok");
  showResult(kind, extra.waitlisted ? "waitlisted" : "checked_in", {
    learner: learner,
    message: message,
    clientId: item.client_id,
  });
  remember(kind, message, item.client_id);
  done();
}

function again(row) {
  const message = fill(TEXT.already, {
    name: row.learner.name,
    time: clockOf(row.checked_in_at),
  });
  signal("again");
  showResult("again", "already_checked_in", { learner: row.learner, message: message });
  remember("again", message);
  focusScanner();
}

export async function checkIn(body, context = {}) {
  body.client_id = body.client_id || newClientId();
  body.scanned_at = body.scanned_at || new Date().toISOString();
  await ready;
  const shut = closed(Date.now());
  if (shut) {
    refuse("session_not_open", shut, context.learner);
    return;
  }
  if (body.code && !body.walk_in) {
    return byCard(body, context);
  }
  if (body.new_learner) {
    return walkIn(body, context.learner);
  }
  const row = rows().find((r) => r.learner.id === body.learner_id);
  if (!row) {
    return walkIn(body, context.learner); // someone from another session, walking in
  }
  return onRoster(body, row);
}

function onRoster(body, row) {
  if (row.registration_status === "waitlisted") {
    refuse("not_registered", fill(TEXT.is_waitlisted, { name: row.learner.name }), row.learner);
    return;
  }
  if (row.checked_in_at) {
    again(row);
    return;
  }
  return saveCheckIn(body, row);
}

// A card: matched by its keyed hash. The body saved carries that hash and the learner's
// id, never the token, so that the outbox holds nothing a card could be copied from.
async function byCard(body, context) {
  const key = await cardKey(doorKey(), body.code);
  const all = rows();
  const row = key ? all.find((r) => r.card_keys.includes(key)) : null;
  if (row) {
    const method = body.method || (looksLikeToken(body.code) ? "qr" : "code");
    return onRoster(
      {
        client_id: body.client_id,
        scanned_at: body.scanned_at,
        learner_id: row.learner.id,
        card_key: key,
        method: method,
      },
      row,
    );
  }
  const replaced = key ? all.find((r) => r.revoked_keys.includes(key)) : null;
  if (replaced) {
    refuse("revoked_card", TEXT.revoked, replaced.learner);
    return;
  }
  if (!navigator.onLine) {
    refuse("unknown_code", TEXT.unknown_offline, null, TEXT.unknown_hint);
    return;
  }
  return askServer(body, context);
}

// A walk-in: someone from another session, or a newcomer typed in. The room is counted on
// the device; beyond capacity only with the override an instructor's role has online
// (coordinators), or onto the waitlist.
function walkIn(body, learner) {
  const now = counts();
  const room = !now || now.registered < now.capacity;
  const who = learner || {
    name: body.new_learner.name,
    furigana: body.new_learner.furigana,
  };
  const row = { learner: { id: body.learner_id || null, name: who.name, furigana: who.furigana } };
  if (room || body.override_capacity) {
    body.walk_in = true;
    return saveCheckIn(body, row, { walk_in: true, over: Boolean(body.override_capacity) });
  }
  if (body.waitlist) {
    body.walk_in = true;
    const message = fill(TEXT.saved_waitlist, { name: who.name });
    return saveCheckIn(body, row, { waitlisted: true, message: message });
  }
  signal("error");
  const message = TEXT.full;
  showResult("warn", "session_full", {
    learner: who,
    message: message,
    actions: fullActions(body, who),
  });
  remember("warn", message);
  resultBox.querySelector(".result-actions button")?.focus();
}

function fullActions(body, learner) {
  const retry = (extra) => () => {
    const next = { ...body, ...extra, client_id: newClientId() };
    walkIn(next, learner);
  };
  // Once the class is over no one is waitlisted for it (the server answers session_full).
  const over = Date.now() > Date.parse(session()?.ends_at);
  const actions = over
    ? []
    : [{ label: TEXT.waitlist, primary: !planner, run: retry({ waitlist: true }) }];
  if (planner) {
    actions.unshift({
      label: TEXT.override,
      primary: true,
      run: retry({ override_capacity: true }),
    });
  }
  return actions;
}

// A card this device's roster does not know, with a network: the server says whose it is
// and whether they may walk in (registered elsewhere, not registered, unknown).
async function askServer(body, context) {
  resultBox.setAttribute("aria-busy", "true");
  showResult("pending", "sending", { learner: context.learner, message: TEXT.sending });
  const answer = await post(root.dataset.postUrl, root.dataset.csrf, body, () => {
    showResult("pending", "retrying", { learner: context.learner, message: TEXT.retrying });
  });
  resultBox.removeAttribute("aria-busy");
  const data = answer.data;
  if (data?.result) {
    // A card another device's roster knew, or issued since this one was downloaded.
    const kind = data.result === "checked_in" ? "ok" : "again";
    signal(kind);
    showResult(kind, data.result, { learner: data.learner, message: data.message });
    remember(kind, data.message);
    await refresh();
    done();
    return;
  }
  const error = data?.error;
  if (answer.lost || answer.relogin || !error) {
    const message = answer.relogin ? TEXT.relogin : TEXT.unknown_offline;
    refuse("unknown_code", message, context.learner);
    return;
  }
  const learner = error.learner_id
    ? { id: error.learner_id, name: error.learner_name, furigana: error.learner_furigana }
    : null;
  if (error.code === "not_registered" && learner && error.registration_status !== "waitlisted") {
    signal("error");
    showResult("warn", error.code, {
      learner: learner,
      message: error.message,
      actions: [
        {
          label: TEXT.walk_in,
          primary: true,
          // By the card itself: by id, an instructor reaches only the people of their
          // own classes. Sent at once (this path is online), so the code is not kept.
          run: () => {
            checkIn({ code: body.code, walk_in: true }, { learner: learner });
          },
        },
      ],
    });
    remember("warn", error.message);
    resultBox.querySelector(".result-actions button").focus();
    return;
  }
  refuse(
    error.code,
    error.message,
    learner,
    error.code === "unknown_code" ? TEXT.unknown_hint : "",
  );
}
