#!/usr/bin/env bash
# Regenerates the Kotlin and Swift bindings of the core in library mode, or checks them for drift.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'EOF'
Usage: scripts/generate-bindings.sh [--check]

Builds the core unstripped (the workspace's debug build, the one `cargo test` uses: library-mode generation reads
uniffi's metadata from the library) and generates its bindings with the workspace's uniffi-bindgen
and uniffi.toml, then puts them where the packages and tests expect them:

  bindings/kotlin/dev/iavbridge/iav_bridge.kt
  bindings/swift/Sources/IAVBridge/IAVBridge.swift
  bindings/swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h
  bindings/swift/Headers/IAVBridgeFFI/module.modulemap

Options:
  --check     Generate into a temporary directory instead and compare with the files in the
              repository; exit 1 with a diff if anything differs (CI's drift check).
  -h, --help  Show this help.

Environment:
  CARGO_TARGET_DIR  honoured (default: target/ in the repository)
EOF
}

check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac

cd "$REPO"

case "$(uname -s)" in
    Darwin) LIB="$TARGET_DIR/debug/libiav_bridge.dylib" ;;
    *) LIB="$TARGET_DIR/debug/libiav_bridge.so" ;;
esac

log "building the core (debug, unstripped)"
build_host debug core bindgen

work="$(mktemp -d)"
on_exit rm -rf "$work"

bindgen() {
    # --no-format: the output must not depend on whether ktlint/swiftformat happen to be installed.
    "$TARGET_DIR/debug/uniffi-bindgen" generate --library "$LIB" --no-format "$@"
}
bindgen --language kotlin --out-dir "$work/kotlin-raw" >/dev/null
bindgen --language swift --out-dir "$work/swift-raw" >/dev/null

# The Swift cancellation fix (uniffi 0.32's Swift does not cancel the Rust future when a Task is
# cancelled): scripts/lib/swift-cancellation-patch.pl, which fails unless every part applies.
perl scripts/lib/swift-cancellation-patch.pl "$work/swift-raw/IAVBridge.swift"

out="$work/out"
mkdir -p "$out/kotlin/dev/iavbridge" "$out/swift/Sources/IAVBridge" "$out/swift/Headers/IAVBridgeFFI"
mv "$work/kotlin-raw/dev/iavbridge/iav_bridge.kt" "$out/kotlin/dev/iavbridge/iav_bridge.kt"
mv "$work/swift-raw/IAVBridge.swift" "$out/swift/Sources/IAVBridge/IAVBridge.swift"
mv "$work/swift-raw/IAVBridgeFFI.h" "$out/swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h"
mv "$work/swift-raw/IAVBridgeFFI.modulemap" "$out/swift/Headers/IAVBridgeFFI/module.modulemap"

# Anything else the generator wrote would be silently dropped: refuse instead.
leftover="$(find "$work/kotlin-raw" "$work/swift-raw" -type f | sed "s|^$work/||")"
if [ -n "$leftover" ]; then
    die "unexpected generated files (update this script's layout):"$'\n'"$leftover"
fi

GENERATED=(
    kotlin/dev/iavbridge/iav_bridge.kt
    swift/Sources/IAVBridge/IAVBridge.swift
    swift/Headers/IAVBridgeFFI/IAVBridgeFFI.h
    swift/Headers/IAVBridgeFFI/module.modulemap
)

if [ "$check" -eq 1 ]; then
    status=0
    for f in "${GENERATED[@]}"; do
        if [ ! -f "bindings/$f" ]; then
            log "bindings/$f is missing: run scripts/generate-bindings.sh"
            status=1
        elif ! diff -u "bindings/$f" "$out/$f" --label "bindings/$f (committed)" --label "bindings/$f (generated)"; then
            status=1
        fi
    done
    if [ "$status" -ne 0 ]; then
        die "the committed bindings differ from the core: run scripts/generate-bindings.sh and commit"
    fi
    echo "generate-bindings: bindings are up to date (${#GENERATED[@]} files)"
else
    for f in "${GENERATED[@]}"; do
        mkdir -p "bindings/$(dirname "$f")"
        cp "$out/$f" "bindings/$f"
    done
    echo "generate-bindings: wrote ${GENERATED[*]/#/bindings/}"
fi
