#!/usr/bin/env bash
# Debian packages Harmony uses beyond Python: `fpcalc` (acoustic fingerprints) always, and
# Chromium for the browser tests. Installed with apt-get when missing and we are root; otherwise
# say what is missing and go on (fingerprints are then skipped with a warning, and the browser
# tests skip unless HARMONY_REQUIRE_BROWSER=1 makes them fail).
# Usage: scripts/system_deps.sh [--browser]
set -uo pipefail

missing=()
command -v fpcalc >/dev/null 2>&1 || missing+=(libchromaprint-tools)
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    && exit 0
  echo "could not install ${missing[*]}" >&2
  exit 1
fi
echo "note: ${missing[*]} not installed (install them with your package manager; see docs/install/bare-metal.md)" >&2
