// Talking to the server over a hall's poor Wi-Fi. A check-in is sent with its client_id and
// sent again, the same, when the answer is lost: the server counts it once however often it
// arrives. The page's addresses and CSRF token come in as arguments.

const ATTEMPTS = 3; // one request and two retries, with the same client_id
const TIMEOUT_MS = 8000;

export function newClientId() {
  if (window.crypto?.randomUUID) {
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

function sleep(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

function postOnce(url, csrf, body) {
  const controller = window.AbortController ? new AbortController() : null;
  const timer = controller
    ? setTimeout(() => {
        controller.abort();
      }, TIMEOUT_MS)
    : null;
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrf,
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
export async function post(url, csrf, body, onRetry) {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    if (attempt > 0) {
      onRetry();
      await sleep(700 * attempt);
    }
    let response;
    try {
      response = await postOnce(url, csrf, body);
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

// A read (search, roster) that is simply tried again later: any failure gives `otherwise`.
export function getJson(url, otherwise) {
  return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : otherwise))
    .catch(() => otherwise);
}
