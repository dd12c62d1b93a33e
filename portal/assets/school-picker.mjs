// The school picker with JavaScript: the list of the authority's schools becomes an accessible autocomplete
// (GOV.UK's accessible-autocomplete) that searches the whole schools register as people type. The <select> stays in
// the form, hidden, and carries the chosen school's LAESTAB, so the page posts the same answers either way.
import "./accessible-autocomplete.min.js"; // a UMD bundle: it defines window.accessibleAutocomplete

const NOT_IN_LIST = "other";
const NOT_IN_LIST_TEXT = "A school not in this list";
const WAIT_MS = 250; // after the last key press, so a quick typist makes one request, not one a letter
const MIN_LENGTH = 2;

const notListed = { notListed: true };

// Written as the server writes a listed school (portal/schools/forms.py school_label), so a school chosen here
// reads the same when the page comes back.
function label(school) {
  if (school.notListed) return NOT_IN_LIST_TEXT;
  const place = school.town ? `, ${school.town}` : "";
  return `${school.name}${place} (LAESTAB ${school.laestab})`;
}

function escape(text) {
  return String(text ?? "").replace(
    /[&<>"']/g,
    (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character],
  );
}

function suggestion(school) {
  if (typeof school === "string") return escape(school);
  if (school.notListed) return `<span class="cme-school-picker__not-listed">${NOT_IN_LIST_TEXT}</span>`;
  const facts = [school.town, `LAESTAB ${school.laestab}`, `URN ${school.urn}`];
  if (!school.status.startsWith("Open")) facts.push(school.status);
  return (
    `${escape(school.name)}` +
    `<span class="cme-school-picker__facts">${facts.filter(Boolean).map(escape).join(" · ")}</span>`
  );
}

function searcher(url) {
  let timer;
  let controller;
  return (query, populate) => {
    clearTimeout(timer);
    controller?.abort();
    if (query.trim().length < MIN_LENGTH) {
      populate([]);
      return;
    }
    timer = setTimeout(async () => {
      controller = new AbortController();
      try {
        const response = await fetch(`${url}?q=${encodeURIComponent(query.trim())}`, {
          headers: { Accept: "application/json" },
          signal: controller.signal,
        });
        if (!response.ok) throw new Error(`school search answered ${response.status}`);
        const { schools } = await response.json();
        populate([...schools.filter((school) => school.laestab), notListed]);
      } catch (error) {
        if (error.name !== "AbortError") populate([notListed]); // the typed-in route still works
      }
    }, WAIT_MS);
  };
}

export function enhanceSchoolPicker(container) {
  const select = container.querySelector("select");
  const other = container.querySelector("[data-cme-school-other]");
  if (!select || !window.accessibleAutocomplete) return;
  const id = select.id;
  const hint = document.getElementById(`${id}-hint`);
  const hasError = select.classList.contains("govuk-select--error");

  const otherInUse = () =>
    select.value === NOT_IN_LIST ||
    [...other.querySelectorAll("input")].some((input) => input.value) ||
    other.querySelector(".govuk-error-message") !== null;
  const showOther = () => {
    other.hidden = !otherInUse();
  };

  const choose = (value, text) => {
    let option = [...select.options].find((candidate) => candidate.value === value);
    if (!option) {
      option = new Option(text, value);
      select.add(option, 1); // after the blank option, as the server lists a school the search found
    }
    option.selected = true;
    showOther();
  };

  const chosenText = () => {
    const chosen = select.options[select.selectedIndex];
    return !chosen || chosen.value === "" ? "" : chosen.textContent.trim();
  };
  const searchHint = container.dataset.searchHint;
  if (hint) hint.textContent = searchHint;

  window.accessibleAutocomplete.enhanceSelectElement({
    selectElement: select,
    defaultValue: chosenText(),
    source: searcher(container.dataset.searchUrl),
    minLength: MIN_LENGTH,
    autoselect: false,
    confirmOnBlur: false,
    showNoOptionsFound: false, // every search offers "A school not in this list", so there is always an option
    displayMenu: "overlay",
    inputClasses: hasError ? "govuk-input--error" : null,
    templates: { inputValue: (school) => (school ? label(school) : ""), suggestion },
    onConfirm: (school) => {
      if (school?.notListed) {
        choose(NOT_IN_LIST, NOT_IN_LIST_TEXT);
        other.querySelector("input")?.focus();
      } else if (school) {
        choose(school.laestab, label(school));
      }
    },
    tStatusQueryTooShort: (length) => `Type in ${length} or more characters to search the schools register`,
    tAssistiveHint: () =>
      `${searchHint}. When results are available use up and down arrows to review and enter to select. ` +
      "Touch device users, explore by touch or with swipe gestures.",
  });

  // What the box shows is what is sent: typing over a chosen school (or clearing the box) unchooses it until a
  // school is chosen again. The page then asks for a school rather than sending one nobody can see.
  const input = document.getElementById(id); // the autocomplete's input takes the select's id (and its label)
  input?.addEventListener("input", () => {
    if (select.value !== "" && input.value.trim() !== chosenText()) {
      select.value = "";
      showOther();
    }
  });
  showOther();
}
