#!/usr/bin/env bash
# Installs what Huifang needs on a fresh Debian machine, as root: Debian packages, .venv,
# the project itself and its compiled translations. Safe to run again; does only what is missing.
#   scripts/bootstrap.sh          what the product needs (SIPp for the customer simulator)
#   scripts/bootstrap.sh --test   plus Chromium, ChromeDriver and CJK fonts for the test suite,
#                                 and Node.js with Prism (.tools/prism), the mock of Twilio's API
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(sip-tester)
extra=""
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium chromium-driver fonts-noto-cjk)
  command -v npm >/dev/null || packages+=(nodejs npm)  # any Node.js >= 18.20 with npm will do
  extra="[dev]"
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "huifang: installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "huifang: creating .venv" >&2
  python3 -m venv .venv
fi
stamp=".venv/.installed$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "huifang: installing the project into .venv" >&2
  .venv/bin/pip install -q --disable-pip-version-check -e ".$extra"
  touch "$stamp"
fi
if [ -d console/translations ]; then .venv/bin/pybabel compile --statistics -d console/translations -D messages; fi
prism=.tools/prism/node_modules/.bin/prism
if [ -n "$extra" ] && [ ! -x "$prism" ]; then
  echo "huifang: installing Prism (@stoplight/prism-cli 5) into .tools/prism" >&2
  npm install --prefix .tools/prism --no-audit --no-fund --loglevel=error \
    @stoplight/prism-cli@5 >/dev/null
fi
