#!/usr/bin/env bash
# Builds the core's shared library as it ships (release profile, fat LTO, stripped) for the host
# and prints its size and its largest sections.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/size-report.sh [--target TRIPLE]

Builds libiav_bridge as a cdylib alone (`cargo rustc --release --crate-type cdylib`, the way
scripts/build-android.sh builds it: with the lib, cdylib and staticlib crate types built
together, fat LTO does not apply to the cdylib) and prints its size in bytes and its largest
sections (.text, unwind tables kept by panic = "unwind", relocations, read-only data).
On x86_64 Linux it also links a copy with packed relative relocations (-z pack-relative-relocs,
glibc 2.36+), the host's counterpart of Android's --pack-dyn-relocs in .cargo/config.toml.
Prints numbers only; nothing is asserted.
USAGE
}

target=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --target) target="${2:?--target needs a triple}"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

cd "$REPO"
args=(--release -p iav-bridge --lib --crate-type cdylib)
out="$TARGET_DIR/release"
if [ -n "$target" ]; then
    args+=(--target "$target")
    out="$TARGET_DIR/$target/release"
fi

report() {
    local so="$1" label="$2"
    printf '%-48s %10d bytes\n' "$label" "$(stat -c %s "$so")"
    if command -v size >/dev/null; then
        size -A "$so" | awk 'NR > 2 && $2 > 50000 {printf "    %-20s %10d\n", $1, $2}' | sort -k2 -n -r
    fi
}

cargo rustc -q "${args[@]}"
cp "$out/libiav_bridge.so" "$TARGET_DIR/libiav_bridge.size-report.so"
report "$TARGET_DIR/libiav_bridge.size-report.so" "libiav_bridge.so (${target:-host}, release, stripped)"

if [ -z "$target" ] && [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]; then
    cargo rustc -q "${args[@]}" -- -C link-arg=-Wl,-z,pack-relative-relocs
    report "$out/libiav_bridge.so" "  the same with packed relative relocations"
fi
