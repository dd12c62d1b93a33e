// Dash 4 draws its radio buttons and checkboxes as native inputs inside labels, but marks the group as a listbox
// and each label as an option. That hides the inputs' own roles from screen readers and nests interactive controls,
// which axe reports. The filters' groups already have a fieldset and legend, so these extra roles are taken off,
// whenever Dash draws or redraws them, leaving plain labelled radios and checkboxes.
(function () {
  "use strict";
  function plain(root) {
    root.querySelectorAll(".cme-choices[role]").forEach(function (group) {
      group.removeAttribute("role");
    });
    root.querySelectorAll(".cme-choices [role=option], .cme-choices [aria-selected]").forEach(function (item) {
      item.removeAttribute("role");
      item.removeAttribute("aria-selected");
    });
  }
  new MutationObserver(function () {
    plain(document);
  }).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["role", "aria-selected"],
  });
  document.addEventListener("DOMContentLoaded", function () {
    plain(document);
  });
})();
