/*
 * The check-in page: a phone held in one hand at the door of a hall with poor Wi-Fi.
 *
 * Three ways in, one request: the camera (a QR decoder from npm, served from static/vendor),
 * a handheld scanner that types the card's token and Enter into the focused text box, and
 * search by furigana, name or short code. Every scan gets a client_id, kept through
 * retries, so the server never counts a person twice however often the network fails.
 */
(() => {
  const root = document.getElementById("checkin");
  if (!root) {
    return;
  }

  const TEXT = JSON.parse(document.getElementById("checkin-text").textContent);
  let roster = JSON.parse(document.getElementById("checkin-roster").textContent);
  const planner = root.dataset.planner === "true";

  const scanForm = document.getElementById("scan-form");
  const scanInput = document.getElementById("scan-code");
  const resultBox = document.getElementById("checkin-result");
  const searchInput = document.getElementById("search-q");
  const personList = document.getElementById("person-list");
  const othersBox = document.getElementById("others");
  const othersList = document.getElementById("others-list");
  const recentList = document.getElementById("recent-list");
  const cameraButton = document.getElementById("camera-toggle");
  const cameraStatus = document.getElementById("camera-status");
  const cameraFrame = document.getElementById("camera-frame");
  const video = document.getElementById("camera-video");

  const ATTEMPTS = 3; // one request and two retries, with the same client_id
  const TIMEOUT_MS = 8000;
  const SAME_CODE_MS = 4000; // a card held in view is read once, again only after it left
  const REFRESH_MS = 30000;
  const RECENT_SHOWN = 6;

  // ------------------------------------------------------------------ text helpers

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, name) =>
      values[name] === undefined ? "" : values[name],
    );
  }

  // As app.people.parsing.furigana_key: NFKC, katakana folded to hiragana, no spaces.
  function fold(text) {
    return (text || "")
      .normalize("NFKC")
      .replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60))
      .replace(/[\s・･\u3000]/g, "")
      .toLowerCase();
  }

  // As app.people.cards.normalize_code: 'k7 3q9f' -> 'K73Q9F'.
  function codeKey(text) {
    return (text || "")
      .normalize("NFKC")
      .toUpperCase()
      .replace(/[^0-9A-Z]/g, "");
  }

  function looksLikeToken(text) {
    const key = codeKey(text);
    return key.indexOf("DK1") === 0 && key.length > 12;
  }

  function clockOf(iso) {
    if (!iso) {
      return "";
    }
    const match = /T(\d{2}):(\d{2})/.exec(iso);
    return match ? `${match[1]}:${match[2]}` : "";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function nameWithReading(learner) {
    const ruby = el("ruby");
    ruby.appendChild(document.createTextNode(learner.name));
    ruby.appendChild(el("rp", null, "("));
    ruby.appendChild(el("rt", null, learner.furigana));
    ruby.appendChild(el("rp", null, ")"));
    return ruby;
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    // Plain http on a hall's network has no randomUUID; getRandomValues works everywhere.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.prototype.map.call(bytes, (b) => (b + 0x100).toString(16).slice(1)).join("");
    return [
      hex.slice(0, 8),
      hex.slice(8, 12),
      hex.slice(12, 16),
      hex.slice(16, 20),
      hex.slice(20),
    ].join("-");
  }

  // ------------------------------------------------------------------ sound and vibration

  let audio = null;
  const TONES = {
    ok: [[1046, 0, 0.15]],
    again: [
      [660, 0, 0.1],
      [660, 0.16, 0.1],
    ],
    error: [[196, 0, 0.4]],
  };
  const VIBRATION = { ok: 80, again: [60, 80, 60], error: [250, 100, 250] };

  // A short beep made on the spot: nothing to download on a slow network.
  function signal(kind) {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (Context) {
        audio = audio || new Context();
        if (audio.state === "suspended") {
          audio.resume();
        }
        TONES[kind].forEach((tone) => {
          const osc = audio.createOscillator();
          const gain = audio.createGain();
          const start = audio.currentTime + tone[1];
          osc.type = kind === "error" ? "square" : "sine";
          osc.frequency.value = tone[0];
          gain.gain.setValueAtTime(0.0001, start);
          gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
          gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[2]);
          osc.connect(gain);
          gain.connect(audio.destination);
          osc.start(start);
          osc.stop(start + tone[2] + 0.02);
        });
      }
    } catch {
      // No sound is no reason to stop checking people in.
    }
    if (navigator.vibrate) {
      navigator.vibrate(VIBRATION[kind]);
    }
  }

  // ------------------------------------------------------------------ the result panel

  const MARKS = { ok: "✓", again: "✓", warn: "!", error: "×", pending: "…" };

  function showResult(kind, result, options) {
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
  function remember(kind, message) {
    const item = el("li", `recent-${kind}`);
    item.appendChild(el("span", "recent-mark", MARKS[kind]));
    item.appendChild(el("span", "recent-message", message));
    recentList.insertBefore(item, recentList.firstChild);
    while (recentList.children.length > RECENT_SHOWN) {
      recentList.removeChild(recentList.lastChild);
    }
  }

  // ------------------------------------------------------------------ talking to the server

  function sleep(ms) {
    return new Promise((resolve) => {
      setTimeout(resolve, ms);
    });
  }

  function postOnce(body) {
    const controller = window.AbortController ? new AbortController() : null;
    const timer = controller
      ? setTimeout(() => {
          controller.abort();
        }, TIMEOUT_MS)
      : null;
    return fetch(root.dataset.postUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": root.dataset.csrf,
      },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
    }).finally(() => {
      if (timer) {
        clearTimeout(timer);
      }
    });
  }

  // The answer, or {lost: true} when the network failed every time, or {relogin: true}.
  async function post(body, onRetry) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      if (attempt > 0) {
        onRetry();
        await sleep(700 * attempt);
      }
      let response;
      try {
        response = await postOnce(body);
      } catch {
        continue; // offline, timed out: the same client_id goes again
      }
      const type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        if (response.redirected || response.status === 400) {
          return { relogin: true };
        }
        if (response.status >= 500) {
          continue;
        }
        return { status: response.status, data: null };
      }
      if (response.status >= 500) {
        continue;
      }
      return { status: response.status, data: await response.json() };
    }
    return { lost: true };
  }

  let pending = 0;

  function checkIn(body, context) {
    body.client_id = body.client_id || newClientId();
    body.scanned_at = body.scanned_at || new Date().toISOString();
    context = context || {};
    pending += 1;
    resultBox.setAttribute("aria-busy", "true");
    showResult("pending", "sending", { learner: context.learner, message: TEXT.sending });
    return post(body, () => {
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
      renderList();
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

  // ------------------------------------------------------------------ counts and the list

  function showCounts(counts) {
    document.getElementById("count-checked").textContent = counts.checked_in;
    document.getElementById("count-registered").textContent = counts.registered;
    document.getElementById("count-waitlisted").textContent = counts.waitlisted;
  }

  function updateRow(data) {
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

  function stateOf(row) {
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

  function matches(row, key, code) {
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

  function personItem(learner, stateText, done, button) {
    const item = el("li", `person${done ? " is-done" : ""}`);
    item.dataset.learnerId = learner.id;
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
    const rows = roster.rows
      .filter((row) => matches(row, key, code))
      .map((row) => ({ row: row, state: stateOf(row) }))
      .sort(
        (a, b) =>
          a.state.order - b.state.order ||
          fold(a.row.learner.furigana).localeCompare(fold(b.row.learner.furigana), "ja"),
      );
    personList.textContent = "";
    rows.forEach((entry) => {
      const learner = entry.row.learner;
      const button = entry.state.open
        ? actionButton(TEXT.check_in, learner, () => {
            checkIn({ learner_id: learner.id }, { learner: learner });
          })
        : null;
      personList.appendChild(personItem(learner, entry.state.text, entry.state.done, button));
    });
    if (!rows.length && code.length === 6) {
      const item = el("li", "person");
      const byCode = el("button", "button primary big", fill(TEXT.by_code, { code: query.trim() }));
      byCode.type = "button";
      byCode.addEventListener("click", () => {
        checkIn({ code: query }, {});
      });
      item.appendChild(byCode);
      personList.appendChild(item);
    } else if (!rows.length && (key || code)) {
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
    fetch(`${root.dataset.searchUrl}?q=${encodeURIComponent(query)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : { items: [] }))
      .catch(() => ({ items: [] }))
      .then((data) => {
        if (serial !== searchSerial) {
          return; // a newer search is on its way
        }
        othersList.textContent = "";
        (data.items || []).forEach((learner) => {
          const button = actionButton(TEXT.walk_in, learner, () => {
            checkIn({ learner_id: learner.id, walk_in: true }, { learner: learner });
          });
          othersList.appendChild(personItem(learner, TEXT.not_registered, false, button));
        });
        othersBox.hidden = !othersList.children.length;
      });
  }

  function refreshRoster() {
    if (document.hidden || pending) {
      return;
    }
    fetch(root.dataset.rosterUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data?.rows) {
          return;
        }
        roster = data;
        showCounts(data.counts);
        // Redrawing under a finger or a keyboard focus would lose the person's place.
        if (!personList.contains(document.activeElement)) {
          renderList();
        }
      })
      .catch(() => {
        // The list on screen stays; the next refresh may get through.
      });
  }

  // ------------------------------------------------------------------ the scanner

  function focusScanner() {
    const active = document.activeElement;
    if (!active || active === document.body || !root.contains(active)) {
      scanInput.focus();
    }
  }

  scanForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = scanInput.value.trim();
    scanInput.value = "";
    if (!codeKey(code)) {
      return;
    }
    const body = { code: code };
    if (looksLikeToken(code)) {
      body.method = "scanner";
    }
    checkIn(body, {});
  });

  // A scanner types wherever the focus is: keys typed outside a text field go to the box.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    if (event.key && event.key.length === 1 && /[0-9A-Za-z-]/.test(event.key)) {
      scanInput.focus();
      scanInput.value += event.key;
      event.preventDefault();
    }
  });

  // Someone with no record at all: recorded, registered and checked in in one step.
  const newcomerForm = document.getElementById("newcomer-form");
  if (newcomerForm) {
    newcomerForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const newcomer = {
        name: newcomerForm.elements.name.value.trim(),
        furigana: newcomerForm.elements.furigana.value.trim(),
        phone: newcomerForm.elements.phone.value.trim(),
      };
      const learner = { name: newcomer.name, furigana: newcomer.furigana, newcomer: newcomer };
      checkIn({ new_learner: newcomer, walk_in: true }, { learner: learner }).then(() => {
        if (
          resultBox.dataset.result === "checked_in" ||
          resultBox.dataset.result === "waitlisted"
        ) {
          newcomerForm.reset();
        }
      });
    });
  }

  searchInput.addEventListener("input", () => {
    renderList();
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchOthers, 350);
  });

  // ------------------------------------------------------------------ the camera

  const camera = { stream: null, detect: null, timer: null, last: { key: "", at: 0 } };
  const CAMERA_KEY = "dekiru.checkin.camera";

  // Whether this phone used the camera last time (then it starts by itself).
  function cameraWanted(value) {
    try {
      if (value === true) {
        localStorage.setItem(CAMERA_KEY, "on");
      } else if (value === false) {
        localStorage.removeItem(CAMERA_KEY);
      }
      return localStorage.getItem(CAMERA_KEY) === "on";
    } catch {
      return false; // storage refused (private mode): simply not remembered
    }
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // The phone's own decoder where it has one; elsewhere zxing-wasm from static/vendor,
  // loaded only when the camera is first used so that scanner and search pages stay light.
  async function makeDetector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.indexOf("qr_code") !== -1) {
          const native = new window.BarcodeDetector({ formats: ["qr_code"] });
          return async () => {
            const found = await native.detect(video);
            return found.length ? found[0].rawValue : null;
          };
        }
      } catch {
        // Fall through to the decoder we ship.
      }
    }
    if (!window.ZXingWASM) {
      await loadScript(root.dataset.zxingSrc);
    }
    const wasm = root.dataset.zxingWasm;
    await window.ZXingWASM.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path),
      },
      fireImmediately: true,
    });
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async () => {
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) {
        return null;
      }
      const scale = Math.min(1, 960 / Math.max(width, height));
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const results = await window.ZXingWASM.readBarcodes(image, {
        formats: ["QRCode"],
        tryHarder: true,
        maxNumberOfSymbols: 1,
      });
      const hit = results.find((r) => r.isValid && r.text);
      return hit ? hit.text : null;
    };
  }

  function onCameraCode(text) {
    const key = codeKey(text);
    const now = Date.now();
    const last = camera.last;
    if (key === last.key && now - last.at < SAME_CODE_MS) {
      last.at = now; // still in view: not a new scan
      return;
    }
    camera.last = { key: key, at: now };
    checkIn({ code: text, method: "qr" }, {});
  }

  async function tick() {
    if (!camera.stream) {
      return;
    }
    try {
      const text = await camera.detect();
      if (text && camera.stream) {
        onCameraCode(text);
      }
    } catch {
      // A frame that cannot be read is just the next frame's chance.
    }
    if (camera.stream) {
      camera.timer = setTimeout(tick, 120);
    }
  }

  async function startCamera() {
    cameraStatus.textContent = TEXT.camera_loading;
    cameraButton.disabled = true;
    try {
      if (!navigator.mediaDevices?.getUserMedia) {
        throw new Error("no camera API");
      }
      camera.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: {
          facingMode: { ideal: "environment" },
          width: { ideal: 1280 },
          height: { ideal: 720 },
        },
      });
      video.srcObject = camera.stream;
      cameraFrame.hidden = false;
      await video.play();
      camera.detect = camera.detect || (await makeDetector());
      cameraButton.textContent = TEXT.camera_stop;
      cameraButton.setAttribute("aria-pressed", "true");
      cameraStatus.textContent = TEXT.camera_running;
      cameraWanted(true);
      tick();
    } catch {
      stopCamera();
      cameraStatus.textContent = TEXT.camera_failed;
    } finally {
      cameraButton.disabled = false;
    }
  }

  function stopCamera() {
    clearTimeout(camera.timer);
    if (camera.stream) {
      camera.stream.getTracks().forEach((track) => {
        track.stop();
      });
    }
    camera.stream = null;
    video.srcObject = null;
    cameraFrame.hidden = true;
    cameraButton.textContent = TEXT.camera_start;
    cameraButton.setAttribute("aria-pressed", "false");
    cameraStatus.textContent = "";
  }

  cameraButton.addEventListener("click", () => {
    if (camera.stream) {
      stopCamera();
      cameraWanted(false);
    } else {
      startCamera();
    }
  });

  // The camera drains the battery: off while the page is hidden, back when it returns.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && camera.stream) {
      stopCamera();
    } else if (!document.hidden && cameraWanted() && !camera.stream) {
      startCamera();
    }
    if (!document.hidden) {
      refreshRoster();
    }
  });

  // ------------------------------------------------------------------ start

  renderList();
  setInterval(refreshRoster, REFRESH_MS);
  if (cameraWanted()) {
    startCamera();
  }
  scanInput.focus();
})();
