#!/usr/bin/env bash
# The main job of README.md: installs litecoind when missing, builds masspoc, and runs the devnet
# (a small plot, two chain instances farmed from it, slashing, verification, anchoring into a
# regtest litecoind that it starts and stops itself). Extra arguments go to `masspoc devnet`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v litecoind >/dev/null 2>&1 && [ ! -x /usr/lib/litecoin/litecoind ]; then
  echo "== installing litecoind (Debian package) =="
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq litecoind >/dev/null
fi
echo "== building masspoc (release; several minutes the first time, then seconds) ==" >&2
cargo build --release --locked -q -p masspoc
exec cargo run --release --locked -q -p masspoc -- devnet "$@"
