// What the server put in the check-in page: its addresses and settings (data- attributes on
// #checkin), its words and first roster (JSON blocks), and the elements the modules work on.
// Read once, when the module graph is evaluated (module scripts run after the page is parsed).

const byId = (id) => document.getElementById(id);

// JSON from a <script type="application/json"> block; null where the block is absent, so that
// evaluating this module never throws (main.js starts nothing without #checkin).
function json(id) {
  const node = byId(id);
  return node ? JSON.parse(node.textContent) : null;
}

export const root = byId("checkin");
export const TEXT = json("checkin-text");
export const planner = root?.dataset.planner === "true";
export const sessionId = Number(root?.dataset.sessionId);
export const userId = Number(root?.dataset.userId);

export const scanForm = byId("scan-form");
export const scanInput = byId("scan-code");
export const resultBox = byId("checkin-result");
export const searchInput = byId("search-q");
export const personList = byId("person-list");
export const othersBox = byId("others");
export const othersList = byId("others-list");
export const recentList = byId("recent-list");
export const pendingBox = byId("door-pending");
export const freshBox = byId("roster-fresh");
export const newcomerForm = byId("newcomer-form");
export const cameraButton = byId("camera-toggle");
export const cameraStatus = byId("camera-status");
export const cameraFrame = byId("camera-frame");
export const video = byId("camera-video");
