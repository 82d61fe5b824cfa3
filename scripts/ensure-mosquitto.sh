#!/usr/bin/env bash
# Makes sure the mosquitto broker the end-to-end tests start is installed.
# Installs Debian's package with apt-get when it is missing and we run as root; otherwise says
# how to install it and exits non-zero. The tests look for the binary on PATH, then in
# /usr/sbin and /usr/local/sbin (Debian puts it in /usr/sbin, off a normal user's PATH).
set -euo pipefail

find_mosquitto() {
  if command -v mosquitto >/dev/null 2>&1; then command -v mosquitto; return 0; fi
  for p in /usr/sbin/mosquitto /usr/local/sbin/mosquitto; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

if bin=$(find_mosquitto) && command -v mosquitto_passwd >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-mosquitto: installing mosquitto with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
  if bin=$(find_mosquitto) && command -v mosquitto_passwd >/dev/null 2>&1; then
    echo "ensure-mosquitto: installed $bin" >&2
    exit 0
  fi
  echo "ensure-mosquitto: apt-get ran but mosquitto or mosquitto_passwd is still missing" >&2
  exit 1
fi

cat >&2 <<'MSG'
ensure-mosquitto: the end-to-end tests need the mosquitto broker (with mosquitto_passwd).
Install it, e.g. on Debian or Ubuntu:
    sudo apt-get update && sudo apt-get install -y mosquitto
(on macOS: brew install mosquitto). The broker service need not run: the tests start their own.
MSG
exit 1
