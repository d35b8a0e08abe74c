#!/bin/sh
# Installs what the gallery's browser test (tests/web/test_browser.py) needs: Debian's chromium
# and chromium-driver. Idempotent: does nothing when both are there. Needs root (apt-get);
# otherwise it says what to install and fails.
set -eu
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install Chromium and its driver (Debian/Ubuntu: apt-get install chromium chromium-driver;" >&2
    echo "elsewhere: a chromium and a matching chromedriver on PATH), then run the tests again" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
