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

export function clockOf(iso) {
  if (!iso) {
    return "";
  }
  const match = /T(\d{2}):(\d{2})/.exec(iso);
  return match ? `${match[1]}:${match[2]}` : "";
}
