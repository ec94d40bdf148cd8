#!/usr/bin/env bash
# Install the Debian/Ubuntu packages TaskDeck needs, if any is missing.
# As root or with password-less sudo it runs apt-get; otherwise it names the
# packages to install and fails. A second run with everything present is a
# no-op that takes a fraction of a second.
set -euo pipefail

PACKAGES=(
  redis-server redis-sentinel prometheus prometheus-alertmanager
  postgresql
  xvfb
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1
  fonts-dejavu-core fonts-noto-cjk
  poppler-utils chromium
  nsis
  nginx-light openssl
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  missing_bins=()
  for bin in redis-server prometheus prometheus-alertmanager; do
    command -v "$bin" >/dev/null 2>&1 || missing_bins+=("$bin")
  done
  if [ ${#missing_bins[@]} -gt 0 ]; then
    echo "system-deps: this is not a Debian/Ubuntu system; install by hand: ${missing_bins[*]}" >&2
    exit 1
  fi
  exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
# Debian splits venv support out of python3; the Makefile needs it for .venv.
if ! "${PYTHON:-python3}" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo)
else
  echo "system-deps: these packages are missing and I cannot install them without root:" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian packages may start their own services where an init system runs;
# TaskDeck starts its own instances on other ports, so those are left alone.
