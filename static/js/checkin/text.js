// Text the door compares and shows: the same keys the server computes, so that what the
// page finds by itself is what the server would find.

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) =>
    values[name] === undefined ? "" : values[name],
  );
}

// As app.people.parsing.furigana_key: NFKC, katakana folded to hiragana, no spaces.
export function fold(text) {
  return (text || "")
    .normalize("NFKC")
    .replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60))
    .replace(/[\s・･\u3000]/g, "")
    .toLowerCase();
}

// As app.people.cards.normalize_code: 'k7 3q9f' -> 'K73Q9F'.
export function codeKey(text) {
  return (text || "")
    .normalize("NFKC")
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, "");
}

export function looksLikeToken(text) {
  const key = codeKey(text);
  return key.indexOf("DK1") === 0 && key.length > 12;
}

const CLOCK = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

// The time in Japan, as 10:02, of the server's times and of the device's own (in UTC).
export function clockOf(iso) {
  const at = iso ? new Date(iso) : null;
  return at && !Number.isNaN(at.getTime()) ? CLOCK.format(at) : "";
}
