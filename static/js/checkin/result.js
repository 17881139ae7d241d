// The result panel (the answer to the last scan, with its buttons) and the list of the last
// few answers under it.
import { el, nameWithReading } from "./dom.js";
import { recentList, resultBox } from "./page.js";

const MARKS = { ok: "✓", again: "✓", warn: "!", error: "×", pending: "…" };
const RECENT_SHOWN = 6;

export function showResult(kind, result, options) {
  resultBox.className = `checkin-result result-${kind}`;
  resultBox.dataset.result = result;
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
export function remember(kind, message) {
  const item = el("li", `recent-${kind}`);
  item.appendChild(el("span", "recent-mark", MARKS[kind]));
  item.appendChild(el("span", "recent-message", message));
  recentList.insertBefore(item, recentList.firstChild);
  while (recentList.children.length > RECENT_SHOWN) {
    recentList.removeChild(recentList.lastChild);
  }
}
