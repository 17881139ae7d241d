// Someone with no record at all: recorded, registered and checked in in one step.
import { checkIn } from "./door.js";
import { newcomerForm, resultBox } from "./page.js";

export function wireNewcomerForm() {
  if (!newcomerForm) {
    return;
  }
  newcomerForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const newcomer = {
      name: newcomerForm.elements.name.value.trim(),
      furigana: newcomerForm.elements.furigana.value.trim(),
      phone: newcomerForm.elements.phone.value.trim(),
      birth_year: newcomerForm.elements.birth_year.value.trim(),
    };
    Object.keys(newcomer).forEach((field) => {
      if (!newcomer[field]) {
        delete newcomer[field]; // not known: not sent (the server would read "" as an answer)
      }
    });
    const learner = { name: newcomer.name, furigana: newcomer.furigana, newcomer: newcomer };
    checkIn({ new_learner: newcomer, walk_in: true }, { learner: learner }).then(() => {
      // Kept when refused, so that a typo can be put right and sent again.
      if (resultBox.dataset.result === "checked_in" || resultBox.dataset.result === "waitlisted") {
        newcomerForm.reset();
      }
    });
  });
}
