// The phone's camera as a card reader: on at a tap (and by itself next time, when this phone
// used it last time), reading a few frames a second, each card once while it stays in view.
import { makeDetector } from "./decoder.js";
import { checkIn } from "./door.js";
import { cameraButton, cameraFrame, cameraStatus, root, TEXT, video } from "./page.js";
import { codeKey } from "./text.js";

const SAME_CODE_MS = 4000; // a card held in view is read once, again only after it left
const FRAME_MS = 120;
const CAMERA_KEY = "dekiru.checkin.camera";

const camera = { stream: null, detect: null, timer: null, last: { key: "", at: 0 } };

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
    camera.timer = setTimeout(tick, FRAME_MS);
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
    camera.detect =
      camera.detect ||
      (await makeDetector(video, { src: root.dataset.zxingSrc, wasm: root.dataset.zxingWasm }));
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

export function wireCamera() {
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
  });
}

export function startCameraIfWanted() {
  if (cameraWanted()) {
    startCamera();
  }
}
