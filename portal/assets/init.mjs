import { initAll } from "./govuk-frontend.min.js";

initAll();

// The school search is loaded only on pages with a school picker.
const pickers = document.querySelectorAll('[data-module="cme-school-picker"]');
if (pickers.length) {
  const { enhanceSchoolPicker } = await import("./school-picker.mjs");
  pickers.forEach(enhanceSchoolPicker);
}
