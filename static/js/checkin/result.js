// The result panel (the answer to the last scan, with its buttons) and the list of the last
// few answers under it. A check-in saved on the device shows 保存済み・未送信 (amber) until
// the server has it; then the panel and the list show what the server said.
import { el, nameWithReading } from "./dom.js";
import { recentList, resultBox, TEXT } from "./page.js";

const MARKS = { ok: "✓", again: "✓", warn: "!", error: "×", pending: "…" };
const RECENT_SHOWN = 6;
const STATE_TEXT = {
  saved: "saved",
  sent: "sent",
  elsewhere: "elsewhere_short",
  refused: "refused_short",
};

function stateBadge(state) {
  const badge = el("p", `result-state state-${state}`, TEXT[STATE_TEXT[state]]);
  badge.dataset.state = state;
  return badge;
}

export function showResult(kind, result, options) {
  resultBox.className = `checkin-result result-${kind}`;
  resultBox.dataset.result = result;
  resultBox.dataset.clientId = options.clientId || "";
  resultBox.dataset.state = options.clientId ? "saved" : "";
  resultBox.textContent = "";
  const head = el("div", "result-head");
  head.appendChild(el("span", "result-mark", MARKS[kind]));
  if (options.learner) {
    const name = el("p", "result-name");
    name.appendChild(nameWithReading(options.learner));
    head.appendChild(name);
  }
  resultBox.appendChild(head);
  resultBox.appendChild(el("p", "result-message", options.message));
  if (options.clientId) {
    resultBox.appendChild(stateBadge("saved"));
  }
  if (options.hint) {
    resultBox.appendChild(el("p", "result-hint", options.hint));
  }
  if (options.actions?.length) {
    const actions = el("div", "result-actions");
    options.actions.forEach((action) => {
      const button = el("button", `button ${action.primary ? "primary " : ""}big`, action.label);
      button.type = "button";
      button.addEventListener("click", action.run);
      actions.appendChild(button);
    });
    resultBox.appendChild(actions);
  }
}

// The last few results, newest first: the messages name the person already.
export function remember(kind, message, clientId) {
  const item = el("li", `recent-${kind}`);
  item.appendChild(el("span", "recent-mark", MARKS[kind]));
  item.appendChild(el("span", "recent-message", message));
  if (clientId) {
    item.dataset.clientId = clientId;
    item.dataset.state = "saved";
    item.appendChild(el("span", "recent-state state-saved", TEXT.saved));
  }
  recentList.insertBefore(item, recentList.firstChild);
  while (recentList.children.length > RECENT_SHOWN) {
    recentList.removeChild(recentList.lastChild);
  }
}

// What the server said of a saved item, wherever the item is on screen.
export function settled(item) {
  const state = item.state;
  if (resultBox.dataset.clientId === item.client_id) {
    resultBox.dataset.state = state;
    const badge = resultBox.querySelector(".result-state");
    badge?.replaceWith(stateBadge(state));
    if (state !== "sent") {
      resultBox.className = `checkin-result result-${state === "elsewhere" ? "again" : "error"}`;
      resultBox.querySelector(".result-message").textContent = item.message;
    }
  }
  const line = recentList.querySelector(`li[data-client-id="${CSS.escape(item.client_id)}"]`);
  if (line) {
    line.dataset.state = state;
    line.querySelector(".recent-state").className = `recent-state state-${state}`;
    line.querySelector(".recent-state").textContent = TEXT[STATE_TEXT[state]];
    if (state !== "sent") {
      line.querySelector(".recent-message").textContent = item.message;
    }
  }
}
