#!/usr/bin/env bash
# Installs the web page's browser libraries from the npm registry, exactly as src/Host/Web/package-lock.json pins them,
# and copies their browser builds to src/Host/wwwroot/lib, where the Host serves them. None of them is committed.
# Run by run.sh and test.sh; cheap when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

web=src/Host/Web
lib=src/Host/wwwroot/lib

if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi

# npm ci writes node_modules/.package-lock.json; a lock file newer than it means the pins changed.
installed="$web/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$web/package-lock.json" -nt "$installed" ]; then
  npm ci --prefix "$web" --no-audit --no-fund --loglevel=error >/dev/null
fi

mkdir -p "$lib/markdown-it"
for file in markdown-it.esm.min.mjs markdown-it.esm.min.mjs.map; do
  cp -p "$web/node_modules/markdown-it/dist/browser/$file" "$lib/markdown-it/$file"
done
cp -p "$web/node_modules/markdown-it/LICENSE" "$lib/markdown-it/LICENSE.txt"
