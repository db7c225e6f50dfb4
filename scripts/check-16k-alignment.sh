#!/usr/bin/env bash
# Fails when a shared library has a LOAD segment aligned below 16 KB.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'USAGE'
Usage: scripts/check-16k-alignment.sh FILE.so...
       scripts/check-16k-alignment.sh --self-test [--package NAME] [--manifest-path PATH]

Reads the ELF program headers of each FILE.so (readelf -lW) and fails when any LOAD segment is
aligned below 16 KB (0x4000). Android 15+ devices with 16 KB memory pages refuse to load such
libraries, and Google Play requires 16 KB alignment for apps targeting Android 15.
scripts/build-android.sh runs it on every ABI's libiav_bridge.so.

--self-test proves the check can both fail and pass: it builds a host cdylib twice with
`cargo rustc --crate-type cdylib` (debug, in target/align-check), once with the linker's default
page size and once with the same flags as .cargo/config.toml (-Wl,-z,max-page-size=16384
-Wl,-z,common-page-size=16384), and expects the first to fail the check (x86_64 linkers default
to 4 KB) and the second to pass. The library is a probe crate with no dependencies, written into
target/align-check (seconds to build); --package NAME (with --manifest-path PATH for a crate
outside this workspace) takes a real library crate instead, such as iav-bridge.

Exit status: 0 when every file is aligned to 16 KB or more (or the self-test behaved), 1 otherwise.
USAGE
}

# check_file FILE: prints one line per LOAD segment; returns 1 if any is below 16 KB.
check_file() {
    local file="$1" ok=0 count=0 align value
    if [ ! -f "$file" ]; then
        echo "FAIL $file: no such file" >&2
        return 1
    fi
    if ! readelf -hW "$file" >/dev/null 2>&1; then
        echo "FAIL $file: not an ELF file" >&2
        return 1
    fi
    # LOAD rows of `readelf -lW`: Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align
    while read -r align; do
        count=$((count + 1))
        value=$((align))
        if [ "$value" -lt 16384 ]; then
            echo "FAIL $file: LOAD segment $count aligned to $align ($value bytes < 16384)"
            ok=1
        fi
    done < <(readelf -lW "$file" | awk '$1 == "LOAD" { print $NF }')
    if [ "$count" -eq 0 ]; then
        echo "FAIL $file: no LOAD segments found" >&2
        return 1
    fi
    if [ "$ok" -eq 0 ]; then
        echo "ok   $file: $count LOAD segments, all aligned to 16 KB or more"
    fi
    return "$ok"
}

self_test() {
    local package="" manifest=()
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --package) package="$2"; shift 2 ;;
            --manifest-path) manifest=(--manifest-path "$2"); shift 2 ;;
            *) echo "unknown self-test option: $1 (see --help)" >&2; exit 2 ;;
        esac
    done
    local target_dir lib_name so
    cd "$REPO"
    target_dir="$REPO/target/align-check"
    if [ -z "$package" ]; then
        # The probe: one exported function, nothing else to build.
        package="align-probe"
        mkdir -p "$target_dir/probe/src"
        printf '%s\n' '[package]' 'name = "align-probe"' 'version = "0.0.0"' 'edition = "2021"' \
            'publish = false' '[lib]' 'crate-type = ["cdylib"]' '[workspace]' >"$target_dir/probe/Cargo.toml"
        printf '%s\n' '//! A shared library for the 16 KB alignment self-test.' '#[no_mangle]' \
            'pub extern "C" fn align_probe() -> u32 { 16384 }' >"$target_dir/probe/src/lib.rs"
        manifest=(--manifest-path "$target_dir/probe/Cargo.toml")
    fi
    lib_name="lib${package//-/_}.so"
    if [ "$package" = "iav-bridge" ]; then lib_name="libiav_bridge.so"; fi
    so="$target_dir/debug/$lib_name"

    echo "== self-test 1/2: $package cdylib with the linker's default page size (must FAIL)"
    CARGO_TARGET_DIR="$target_dir" cargo rustc "${manifest[@]}" -p "$package" --lib --crate-type cdylib --quiet
    cp "$so" "$target_dir/default-page.so"
    if check_file "$target_dir/default-page.so"; then
        echo "self-test FAILED: the default build passed the check, so the check cannot tell 4 KB from 16 KB" >&2
        return 1
    fi
    echo "   (failed as expected)"

    echo "== self-test 2/2: $package cdylib with -z max-page-size=16384 (must pass)"
    CARGO_TARGET_DIR="$target_dir" cargo rustc "${manifest[@]}" -p "$package" --lib --crate-type cdylib --quiet -- \
        -C link-arg=-Wl,-z,max-page-size=16384 -C link-arg=-Wl,-z,common-page-size=16384
    cp "$so" "$target_dir/16k-page.so"
    if ! check_file "$target_dir/16k-page.so"; then
        echo "self-test FAILED: the 16 KB build did not pass the check" >&2
        return 1
    fi
    echo "16 KB alignment self-test passed: the check fails on the 4 KB build and passes on the 16 KB build"
}

if [ "$#" -eq 0 ]; then
    usage >&2
    exit 2
fi
case "$1" in
    -h|--help) usage; exit 0 ;;
    --self-test) shift; self_test "$@"; exit $? ;;
esac

command -v readelf >/dev/null 2>&1 || { echo "readelf is needed (apt-get install binutils)" >&2; exit 1; }
status=0
for f in "$@"; do
    check_file "$f" || status=1
done
exit "$status"
