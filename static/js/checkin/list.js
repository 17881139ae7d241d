// The session's people on screen, found by furigana, name or short code as one types; the
// people of other sessions, asked of the server, for walk-ins; and the roster kept fresh
// while the page is open (other phones check people in at the same door).
import { getJson } from "./api.js";
import { el, nameWithReading } from "./dom.js";
import { checkIn, onRecorded } from "./door.js";
import { othersBox, othersList, personList, root, searchInput, TEXT } from "./page.js";
import { matches, onChanged, refresh, rows, showCounts, stateOf } from "./roster.js";
import { codeKey, fill, fold } from "./text.js";

const REFRESH_MS = 15000;
const SEARCH_DELAY_MS = 350; // ask the server once typing pauses, not for every key

function personItem(learner, stateText, done, button) {
  const item = el("li", `person${done ? " is-done" : ""}`);
  item.dataset.learnerId = learner.id || "";
  const who = el("div", "person-who");
  const name = el("p", "person-name");
  name.appendChild(nameWithReading(learner));
  who.appendChild(name);
  const state = el("p", "person-state");
  if (done) {
    state.appendChild(el("span", "person-mark", "✓"));
  }
  state.appendChild(document.createTextNode(stateText));
  who.appendChild(state);
  item.appendChild(who);
  if (button) {
    item.appendChild(button);
  }
  return item;
}

// Someone of another session: what tells two of the same name apart (birth year, district,
// for whoever may see them), and that they are not registered here.
function whoElse(learner) {
  const born = learner.birth_year ? fill(TEXT.born, { year: learner.birth_year }) : "";
  return [born, learner.district || "", TEXT.not_registered].filter(Boolean).join(" ・ ");
}

// Registering someone else's record as a walk-in is asked twice: the first tap says who
// will be registered, the second does it (two people of one name look alike at a glance).
function confirmedButton(label, learner, run) {
  const button = actionButton(label, learner, () => {
    if (button.dataset.armed) {
      run();
      return;
    }
    button.dataset.armed = "true";
    button.textContent = fill(TEXT.confirm_walk_in, { name: learner.name });
  });
  return button;
}

function actionButton(label, learner, run) {
  const button = el("button", "button primary big", label);
  button.type = "button";
  button.appendChild(el("span", "visually-hidden", ` ${learner.name}`));
  button.addEventListener("click", run);
  return button;
}

function renderList() {
  const query = searchInput.value;
  const key = fold(query);
  const code = codeKey(query);
  const shown = rows()
    .filter((row) => matches(row, key))
    .map((row) => ({ row: row, state: stateOf(row) }))
    .sort(
      (a, b) =>
        a.state.order - b.state.order ||
        fold(a.row.learner.furigana).localeCompare(fold(b.row.learner.furigana), "ja"),
    );
  personList.textContent = "";
  shown.forEach((entry) => {
    const learner = entry.row.learner;
    const button =
      entry.state.open && learner.id
        ? actionButton(TEXT.check_in, learner, () => {
            checkIn({ learner_id: learner.id }, { learner: learner });
            // The next person is looked for in the same box: emptied, and kept in use.
            searchInput.value = "";
            renderList();
            searchInput.focus({ preventScroll: true });
          })
        : null;
    personList.appendChild(personItem(learner, entry.state.text, entry.state.done, button));
  });
  // A short code typed in the search box: matched by its hash, as a scanned card.
  if (code.length === 6 && /^[0-9A-Za-z\s-]+$/.test(query.trim())) {
    const item = el("li", "person");
    const byCode = el("button", "button primary big", fill(TEXT.by_code, { code: query.trim() }));
    byCode.type = "button";
    byCode.addEventListener("click", () => {
      searchInput.value = "";
      renderList();
      checkIn({ code: query, method: "code" }, {});
    });
    item.appendChild(byCode);
    personList.appendChild(item);
  } else if (!shown.length && (key || code)) {
    personList.appendChild(el("li", "person-none", TEXT.no_match));
  }
}

// Someone not on this session's list: asked of the server, for walk-ins.
let searchTimer = null;
let searchSerial = 0;

function searchOthers() {
  const query = searchInput.value.trim();
  searchSerial += 1;
  const serial = searchSerial;
  if (fold(query).length < 2) {
    othersBox.hidden = true;
    return;
  }
  getJson(`${root.dataset.searchUrl}?q=${encodeURIComponent(query)}`, { items: [] }).then(
    (data) => {
      if (serial !== searchSerial) {
        return; // a newer search is on its way
      }
      othersList.textContent = "";
      (data.items || []).forEach((learner) => {
        const button = confirmedButton(TEXT.walk_in, learner, () => {
          checkIn({ learner_id: learner.id, walk_in: true }, { learner: learner });
          searchInput.value = "";
          renderList();
          othersBox.hidden = true;
        });
        othersList.appendChild(personItem(learner, whoElse(learner), false, button));
      });
      if (data.more) {
        othersList.appendChild(el("li", "person-none", TEXT.more_found));
      }
      othersBox.hidden = !othersList.children.length;
    },
  );
}

// A failed refresh keeps the list on screen; the next one may get through.
function refreshRoster() {
  if (!document.hidden) {
    refresh();
  }
}

function redraw() {
  showCounts();
  // Redrawing under a finger or a keyboard focus would lose the person's place.
  if (!personList.contains(document.activeElement)) {
    renderList();
  }
}

export function wireList() {
  searchInput.addEventListener("input", () => {
    renderList();
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchOthers, SEARCH_DELAY_MS);
  });
  onRecorded(renderList);
  onChanged(redraw);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      refreshRoster();
    }
  });
  renderList();
  setInterval(refreshRoster, REFRESH_MS);
}
