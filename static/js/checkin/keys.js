// A scanned card as the device knows cards: the keyed hash of its token or short code
// (HMAC-SHA256 with the session's key), computed as app/checkin/device.py computes the
// roster's card_keys. The device never keeps a card's token or short code.
import { codeKey } from "./text.js";

const imported = new Map();

function keyBytes(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "===".slice((base64.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function importKey(text) {
  if (!imported.has(text)) {
    imported.set(
      text,
      crypto.subtle.importKey("raw", keyBytes(text), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]),
    );
  }
  return imported.get(text);
}

export async function cardKey(doorKey, text) {
  if (!doorKey || !window.crypto?.subtle) {
    return null;
  }
  const key = await importKey(doorKey);
  const signed = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(codeKey(text)));
  const hex = Array.from(new Uint8Array(signed), (b) => (b + 0x100).toString(16).slice(1));
  return hex.join("").slice(0, 32);
}
