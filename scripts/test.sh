#!/usr/bin/env bash
# The test command of README.md: installs what the suite needs, then runs fmt, clippy and every test
# (the real-litecoind integration tests included). Safe to run on a fresh Debian machine as root.
set -euo pipefail
cd "$(dirname "$0")/.."

need_litecoind() { ! command -v litecoind >/dev/null 2>&1 && [ ! -x /usr/lib/litecoin/litecoind ]; }
if need_litecoind; then
  echo "== installing litecoind (Debian package) =="
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq litecoind >/dev/null
fi

# cli/tests/status_page.rs drives the status pages in Debian's chromium (headless).
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian package) =="
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== cargo fmt --check =="
cargo fmt --all -- --check
echo "== cargo clippy =="
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test =="
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# A run that executed no test at all is a failure too.
grep -q "^test result: ok\. [1-9]" "$log"
