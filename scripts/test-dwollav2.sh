#!/usr/bin/env bash
# Checks the Dwolla simulator against Dwolla's official Python client, dwollav2 (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<'EOF'
Usage: scripts/test-dwollav2.sh [--help]

Checks the Dwolla simulator against Dwolla's official Python client, dwollav2:
  1. creates (or reuses) a Python venv under ${IAV_CACHE:-$HOME/.cache/iav-bridge}/py and
     installs dwollav2 (pinned version) into it;
  2. builds target/debug/dwolla-simulator and starts `dwolla-simulator --listen 127.0.0.1:0`
     with a ready file, waiting for it to listen;
  3. runs scripts/dwollav2-flow.py against it (token, partners, customer, exchange session, Link
     through /sim, exchange, funding source, seed errors, re-auth, MX connection, Checkout.com
     card funding source, funding-source list and removal, duplicate bank, Visa, token expiry);
  4. always stops the simulator, whatever happened.
Exits non-zero when any step or check fails.

Environment:
  IAV_CACHE         cache directory (default $HOME/.cache/iav-bridge)
  CARGO_TARGET_DIR  cargo's target directory (default <repo>/target)
EOF
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
esac

DWOLLAV2_VERSION="2.3.0"
VENV="$CACHE/py"
cd "$REPO"

# The venv is shared by every run on the machine: one installer at a time.
with_lock 8 "$CACHE/install.lock" 1800 "toolchain install"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version("dwollav2") != sys.argv[1])' \
    "$DWOLLAV2_VERSION" 2>/dev/null; then
  log "installing dwollav2==$DWOLLAV2_VERSION"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "dwollav2==$DWOLLAV2_VERSION"
fi
exec 8>&- # the lock

log "building dwolla-simulator"
build_host debug simulator

# The simulator writes the ready file once it listens; it is stopped when this script exits.
work="$(mktemp -d)"
on_exit rm -rf "$work"
KEY="key-$RANDOM$RANDOM"
SECRET="secret-$RANDOM$RANDOM$RANDOM"
start_service simulator "$work/ready.json" "$work/simulator.log" \
  "$TARGET_DIR/debug/dwolla-simulator" --listen 127.0.0.1:0 --key "$KEY" --secret "$SECRET" \
  --ready-file "$work/ready.json"
URL="$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["simulatorUrl"])' "$work/ready.json")"
log "simulator at $URL"

"$VENV/bin/python" scripts/dwollav2-flow.py --url "$URL" --key "$KEY" --secret "$SECRET"
