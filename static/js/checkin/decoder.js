// Reading a QR code from the camera's video: the phone's own decoder where it has one;
// elsewhere zxing-wasm from static/vendor, loaded only when the camera is first used so that
// scanner and search pages stay light. zxing-reader.js is the package's IIFE build: a
// classic script that sets window.ZXingWASM, added to the page here on first use.

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = reject;
    document.head.appendChild(script);
  });
}

// A function that reads the video's current frame: the code's text, or null.
// `zxing` is {src, wasm}: where the script and its WebAssembly are served.
export async function makeDetector(video, zxing) {
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
    await loadScript(zxing.src);
  }
  await window.ZXingWASM.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? zxing.wasm : prefix + path),
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
