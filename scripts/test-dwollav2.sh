#!/usr/bin/env bash
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/test-dwollav2.sh [--help]

Checks the Dwolla simulator against Dwolla's official Python client, dwollav2:
  1. creates (or reuses) a Python venv under ${IAV_CACHE:-$HOME/.cache/iav-bridge}/py and
     installs dwollav2 (pinned version) into it;
  2. builds target/debug/sample-backend and starts `sample-backend simulate --listen 127.0.0.1:0`
     with a ready file, waiting for it to listen;
  3. runs scripts/dwollav2-flow.py against it (token, partners, customer, exchange session, Link
     through /sim, exchange, funding source, seed errors, re-auth, token expiry);
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
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${IAV_CACHE:-$HOME/.cache/iav-bridge}"
VENV="$CACHE/py"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

mkdir -p "$CACHE"
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating venv $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" - "$DWOLLAV2_VERSION" <<'EOF' 2>/dev/null
import sys, importlib.metadata as m
sys.exit(0 if m.version("dwollav2") == sys.argv[1] else 1)
EOF
then
  echo "installing dwollav2==$DWOLLAV2_VERSION"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "dwollav2==$DWOLLAV2_VERSION"
fi

echo "building sample-backend"
(cd "$ROOT" && cargo build --quiet -p sample-backend --bin sample-backend)
BIN="$TARGET/debug/sample-backend"

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

KEY="key-$RANDOM$RANDOM"
SECRET="secret-$RANDOM$RANDOM$RANDOM"
"$BIN" simulate --listen 127.0.0.1:0 --key "$KEY" --secret "$SECRET" \
  --ready-file "$WORK/ready.json" >"$WORK/simulator.log" 2>&1 &
SIM_PID=$!

for _ in $(seq 1 300); do
  [ -s "$WORK/ready.json" ] && break
  if ! kill -0 "$SIM_PID" 2>/dev/null; then
    echo "the simulator exited before listening" >&2
    exit 1
  fi
  sleep 0.1
done
if [ ! -s "$WORK/ready.json" ]; then
  echo "the simulator did not write its ready file within 30 s" >&2
  exit 1
fi
URL="$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["simulatorUrl"])' "$WORK/ready.json")"
echo "simulator at $URL"

"$VENV/bin/python" "$ROOT/scripts/dwollav2-flow.py" --url "$URL" --key "$KEY" --secret "$SECRET"
