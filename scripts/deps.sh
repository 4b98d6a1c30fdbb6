#!/usr/bin/env bash
# Installs the Debian 12 packages Crossing needs that this machine lacks.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
set -euo pipefail

build_packages=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-dev-bin libglib2.0-bin glib-networking
  libsoup-3.0-dev libjson-glib-dev libsodium-dev libsqlite3-dev
  libqrencode-dev libgtk-4-dev libadwaita-1-dev libsecret-1-dev
  desktop-file-utils appstream
  libmaxminddb-dev
  libpq-dev
  # passkeys (companion/features/cross-device/companion-webauthn.c)
  libfido2-dev libcbor-dev libssl-dev
)
test_packages=(
  xvfb xauth dbus-daemon imagemagick zbar-tools curl jq python3 sqlite3
  nodejs npm chromium
  clang libclang-rt-14-dev uncrustify
  gnome-keyring libsecret-tools openssl xdotool
  libmaxmind-db-writer-perl
  postgresql haproxy
  # the client's end-to-end tests read the code to type off the screen
  tesseract-ocr
)

case "${1:-all}" in
  build) wanted=("${build_packages[@]}") ;;
  test|all) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  # node may come from elsewhere than Debian's package; any node 18+ will do.
  if [[ $package == nodejs || $package == npm ]] && command -v "${package/nodejs/node}" >/dev/null; then
    continue
  fi
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "Installing: ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
