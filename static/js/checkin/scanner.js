// A handheld scanner types the card's token and Enter, like a keyboard; the same box takes a
// card's short code typed by hand.
import { checkIn } from "./door.js";
import { scanForm, scanInput } from "./page.js";
import { codeKey, looksLikeToken } from "./text.js";

export function wireScanner() {
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
}
