// Elements built by hand: text goes in as textContent, never as markup, so a name typed by
// anyone cannot become part of the page.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  return node;
}

export function nameWithReading(learner) {
  const ruby = el("ruby");
  ruby.appendChild(document.createTextNode(learner.name));
  ruby.appendChild(el("rp", null, "("));
  ruby.appendChild(el("rt", null, learner.furigana));
  ruby.appendChild(el("rp", null, ")"));
  return ruby;
}
