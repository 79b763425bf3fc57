#!/usr/bin/env bash
# Writes the providers' icons the window shows (ui/icons/providers/) from the simple-icons npm
# package (CC0 1.0, a pinned devDependency), with LICENSE.md naming where each came from.
#   scripts/icons.sh          write ui/icons/providers/
#   scripts/icons.sh --check  fail when ui/icons/providers/ is not what this script writes
# The icons are committed: the app embeds ui/ when it is built, and building it must not need
# the npm test tooling. scripts/check-ui.sh runs the check.
#
# Which providers get one: PROVIDER_ICONS in crates/signoff-core/src/api/providers.rs (the core
# names the file in each ProviderView), each the simple-icons icon of the same slug. An icon
# whose simple-icons data names a licence other than CC0 is refused (Keycloak's is the Linux
# Foundation's trademark policy): such a provider keeps the window's letter badge, as do those
# this simple-icons version has no icon for (Microsoft, Slack, Salesforce, AWS) and the seeds
# (MeshyDB, HyperID, Matar).
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1-}" in
  --check) check=true ;;
  "") ;;
  *) printf 'usage: scripts/icons.sh [--check]\n' >&2; exit 2 ;;
esac

pkg=node_modules/simple-icons
if [ ! -f "$pkg/package.json" ]; then
  printf 'icons: no simple-icons in node_modules: run scripts/install-deps.sh test (or npm ci)\n' >&2
  exit 1
fi

ids=$(sed -n '/^pub const PROVIDER_ICONS/,/^];/p' crates/signoff-core/src/api/providers.rs |
  grep -o '"[a-z0-9-]*"' | tr -d '"')
[ -n "$ids" ] || { printf 'icons: no PROVIDER_ICONS in providers.rs\n' >&2; exit 1; }

out=ui/icons/providers
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One tile each: the brand's glyph on a rounded square of its colour, the glyph white or black,
# whichever reads on that colour, so it shows on light and dark pages alike.
# shellcheck disable=SC2086
node - "$pkg" "$tmp" $ids <<'EOF'
const fs = require("fs");
const path = require("path");
const [pkg, dir, ...ids] = process.argv.slice(2);
const version = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version;
const data = JSON.parse(fs.readFileSync(path.join(pkg, "data/simple-icons.json"), "utf8"));
const rows = [];
for (const id of ids) {
  const icon = data.find((d) => d.slug === id);
  if (!icon) throw new Error(`simple-icons ${version} has no icon "${id}"`);
  if (icon.license && icon.license.type !== "CC0-1.0") {
    throw new Error(`simple-icons' "${id}" is under ${icon.license.type}, not CC0: leave it out`);
  }
  const svg = fs.readFileSync(path.join(pkg, "icons", `${id}.svg`), "utf8");
  const paths = [...svg.matchAll(/<path d="([^"]+)"\s*\/>/g)].map((m) => m[1]);
  if (paths.length !== 1) throw new Error(`${id}.svg: expected one path, found ${paths.length}`);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(icon.hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const glyph = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? "#000" : "#fff";
  const title = icon.title.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  fs.writeFileSync(path.join(dir, `${id}.svg`),
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>${title}</title>`
    + `<rect width="32" height="32" rx="7" fill="#${icon.hex}"/>`
    + `<path transform="translate(6 6) scale(.8333)" fill="${glyph}" d="${paths[0]}"/></svg>\n`);
  rows.push(`| ${id} | ${icon.title} | ${icon.source} | ${icon.guidelines || "none listed; see the source"} |`);
}
fs.writeFileSync(path.join(dir, "LICENSE.md"), `# Provider icons

Written by \`scripts/icons.sh\` from [Simple Icons](https://simpleicons.org) ${version} (the npm
package \`simple-icons\`), released under CC0 1.0 Universal (public domain dedication):
<https://creativecommons.org/publicdomain/zero/1.0/>. Each glyph is drawn unchanged on a rounded
square of the brand's colour as Simple Icons gives it.

The logos are trademarks of their owners. Signoff shows them only to name the provider an account
is at, which is not an endorsement. Use of each follows its owner's guidelines (Simple Icons'
DISCLAIMER.md asks its users to read them):

| file | brand | source of the icon | the brand's guidelines |
|---|---|---|---|
${rows.map((r) => r.replace(/^\| (\S+) /, "| $1.svg ")).join("\n")}

Providers without a file here get a letter badge drawn by the page.
`);
EOF

if $check; then
  if ! diff -ru "$tmp" "$out" >"$tmp.diff" 2>&1; then
    sed "s|$tmp|generated|g" "$tmp.diff" >&2
    rm -f "$tmp.diff"
    printf 'icons: ui/icons/providers is stale: run scripts/icons.sh\n' >&2
    exit 1
  fi
  rm -f "$tmp.diff"
else
  rm -rf "$out"
  mkdir -p "$out"
  cp "$tmp"/* "$out"/
  printf 'icons: wrote %s\n' "$out"
fi
