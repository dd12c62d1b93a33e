#!/usr/bin/env bash
# Build the front-end assets into portal/static (not committed): GOV.UK Frontend at the pinned version,
# its Sass compiled with the council's settings (and the autocomplete's stylesheet), the ES modules that start its
# components and the school picker (with GOV.UK's accessible-autocomplete).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
out=portal/static
rm -rf "$out" && mkdir -p "$out"
govuk=node_modules/govuk-frontend/dist/govuk
npx sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps portal/assets/cme.scss "$out/cme.css"
cp "$govuk/govuk-frontend.min.js" "$out/"
cp -r "$govuk/assets/images" "$out/images"
cp node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.js "$out/"
cp portal/assets/init.mjs portal/assets/school-picker.mjs portal/assets/favicon.svg "$out/"
echo "Assets built in $out"
