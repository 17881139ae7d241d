/* Larger or smaller text, remembered on this device. Loaded in <head> without defer, so that
   the chosen size is applied before anything is drawn and the page does not jump; the
   buttons are wired once the page is read. A file, not an inline script: the public pages
   may be cached whole, and a cached page cannot carry a per-answer CSP nonce. */
(() => {
  const steps = [100, 115, 130, 150, 175];
  const key = "dekiru-text-size";
  try {
    const size = localStorage.getItem(key);
    if (size) document.documentElement.style.fontSize = `${size}%`;
  } catch {}
  document.addEventListener("DOMContentLoaded", () => {
    const group = document.querySelector(".text-size");
    if (!group) return;
    const current = parseFloat(document.documentElement.style.fontSize) || 100;
    let index = Math.max(0, steps.indexOf(current));
    group.hidden = false;
    group.addEventListener("click", (event) => {
      const button = event.target.closest("[data-text-size]");
      if (!button) return;
      index = Math.min(steps.length - 1, Math.max(0, index + Number(button.dataset.textSize)));
      document.documentElement.style.fontSize = `${steps[index]}%`;
      try {
        localStorage.setItem(key, String(steps[index]));
      } catch {}
    });
  });
})();
