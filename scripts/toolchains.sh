#!/usr/bin/env bash
# Installs and runs the toolchains that test the generated Kotlin and Swift bindings on the host.
# Run `scripts/toolchains.sh --help` for the commands.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

KOTLIN_COMPILER_VERSION="2.4.20"
# The JNA the AAR ships (bindings/android/gradle/libs.versions.toml; check-packaging checks that
# they are equal): the Kotlin suite, the packaging check and the benchmarks run on this version.
JNA_VERSION="5.19.1"
# Debian sid carries JNA 5.19.1 and Swift 6.2.3 (the Swift of Xcode 26); bookworm and trixie have
# older ones. sid's Release file on the mirror is a snapshot whose Valid-Until has passed.
DEBIAN_SUITE_FOR_SWIFT="sid"
DEBIAN_SUITE_FOR_JNA="sid"
SWIFT_MOUNT_POINT="/iav-bridge"

SWIFT_ROOT="$CACHE/swift-root-$DEBIAN_SUITE_FOR_SWIFT"
JNA_DIR="$CACHE/jna-$JNA_VERSION"
APT_NO_VALID_UNTIL=(-o Acquire::Check-Valid-Until=false)

usage() {
    cat <<EOF
Usage: scripts/toolchains.sh COMMAND [ARGS...]

Installs, into a cache outside the repository, the toolchains used to compile and run the
generated Kotlin and Swift bindings against the host build of the core, and runs commands in them.
A native kotlinc or swift found on PATH (a Mac, for instance) is used instead of installing one.

Commands:
  install [kotlin|swift|all]   Install what is missing (default: all); reuses what is present.
                               One install at a time (a lock in the cache; a second one waits).
      kotlin: kotlinc ${KOTLIN_COMPILER_VERSION} from the npm registry (package kotlin-compiler,
              pinned), JUnit 4 from Debian (apt: junit4), and JNA ${JNA_VERSION}, the version
              the AAR ships, from Debian ${DEBIAN_SUITE_FOR_JNA} (its libjna-java and libjna-jni
              packages downloaded with an apt configuration of their own and unpacked into
              \$IAV_CACHE/jna-${JNA_VERSION}; the host's packages are not touched).
      swift:  a Debian ${DEBIAN_SUITE_FOR_SWIFT} root made with debootstrap with the swiftlang
              package in it (Swift 6.2.3; Debian 12 has no Swift), under
              \$IAV_CACHE/swift-root-${DEBIAN_SUITE_FOR_SWIFT}. Needs root.
  kotlin-env                   Print shell exports: KOTLINC, KOTLIN_LIB, JNA_JAR, JNA_JNI_DIR,
                               JUNIT_JAR, HAMCREST_JAR.
                               Use: eval "\$(scripts/toolchains.sh kotlin-env)".
  java [ARGS...]               Run java with JNA_JAR's own native library. Debian's JNA loads
                               /usr/lib/<multiarch>/jni/libjnidispatch.system.so whatever the
                               properties say, so java runs in a private mount namespace where
                               JNA_JNI_DIR is bind-mounted over that folder (root, or unshare -r).
                               With JNA_JNI_DIR empty (a JNA_JAR of your own that carries its
                               native libraries): plain java.
  swift-run [--] CMD [ARGS...] Run CMD in the Swift environment. With the Debian root: the
                               repository is bind-mounted at ${SWIFT_MOUNT_POINT}, /proc is mounted,
                               the working directory is the repository, LD_LIBRARY_PATH holds the
                               Swift runtime and target/debug, variables named IAV_* are passed in,
                               and everything mounted is unmounted afterwards, even on failure or
                               Ctrl-C. Only one swift-run at a time (a lock); a second one is refused.
                               With a native swift: runs CMD in the repository with IAV_REPO set.
                               In both cases IAV_REPO names the repository as CMD sees it.
  swift-kind                   Print "native" or "debian-root" (what swift-run will use).
  -h, --help                   Show this help.

Environment:
  IAV_CACHE       cache directory (default: \$HOME/.cache/iav-bridge)
  JNA_JAR, JUNIT_JAR, HAMCREST_JAR
                  jars to use instead of Debian's (for machines without apt); a JNA_JAR given
                  here is used as it is (JNA_JNI_DIR empty)
  IAV_SWIFT_RUN_WAIT
                  seconds swift-run waits for another one to finish (default 0: refuse at once)
  IAV_DEBIAN_MIRROR
                  Debian mirror for debootstrap (default: the one apt is configured with)
EOF
}

export DEBIAN_FRONTEND=noninteractive

# A clean environment in a root made by debootstrap: chroot_env ROOT [VAR=VALUE...] CMD [ARGS...]
chroot_env() {
    local root="$1"
    shift
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# mount_until_exit DIR MOUNT_ARGS...: `mount MOUNT_ARGS... DIR` (after unmounting what a killed run
# may have left at DIR), unmounted again when the script exits, even on failure or Ctrl-C.
mount_until_exit() {
    local dir="$1"
    shift
    is_mounted "$dir" && { umount "$dir" 2>/dev/null || true; }
    mkdir -p "$dir"
    mount "$@" "$dir"
    on_exit unmount "$dir"
}

is_mounted() { grep -qs " $1 " /proc/mounts; }

unmount() {
    umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null || log "could not unmount $1"
}

# ---------------------------------------------------------------- Kotlin

native_kotlinc() {
    local k
    k="$(command -v kotlinc 2>/dev/null || true)"
    [ -n "$k" ] && readlink -f "$k"
}

kotlinc_path() {
    local native
    native="$(native_kotlinc)"
    if [ -n "$native" ]; then
        echo "$native"
    else
        echo "$CACHE/kotlin/node_modules/kotlin-compiler/bin/kotlinc"
    fi
}

install_kotlin() {
    command -v java >/dev/null || apt_install default-jdk-headless
    if [ -n "$(native_kotlinc)" ]; then
        log "using native kotlinc: $(native_kotlinc)"
    elif [ -x "$CACHE/kotlin/node_modules/kotlin-compiler/bin/kotlinc" ]; then
        log "kotlinc present in $CACHE/kotlin"
    else
        command -v npm >/dev/null || apt_install npm
        log "npm install kotlin-compiler@${KOTLIN_COMPILER_VERSION} into $CACHE/kotlin"
        mkdir -p "$CACHE/kotlin"
        npm install --silent --no-audit --no-fund --prefix "$CACHE/kotlin" \
            "kotlin-compiler@${KOTLIN_COMPILER_VERSION}" >/dev/null
        chmod +x "$CACHE/kotlin/node_modules/kotlin-compiler/bin/"* 2>/dev/null || true
    fi
    if [ -z "${JUNIT_JAR:-}" ] || [ -z "${HAMCREST_JAR:-}" ]; then
        apt_install junit4
    fi
    [ -n "${JNA_JAR:-}" ] || install_jna
}

# JNA ${JNA_VERSION} from Debian ${DEBIAN_SUITE_FOR_JNA}: the two packages, downloaded with an apt
# configuration of their own (its sources, lists and cache under $CACHE/apt-${DEBIAN_SUITE_FOR_JNA}),
# unpacked into $JNA_DIR: jna.jar and jni/libjnidispatch.system.so (needs glibc 2.34).
install_jna() {
    if [ -f "$JNA_DIR/jna.jar" ] && [ -f "$JNA_DIR/jni/libjnidispatch.system.so" ]; then
        log "JNA ${JNA_VERSION} present in $JNA_DIR"
        return
    fi
    command -v apt-get >/dev/null || die "JNA ${JNA_VERSION} comes from Debian's packages here; without apt-get set JNA_JAR to a JNA ${JNA_VERSION} jar"
    local apt="$CACHE/apt-$DEBIAN_SUITE_FOR_JNA" mirror
    mirror="$(debian_mirror)"
    rm -rf "$apt/debs" "$JNA_DIR.partial"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$JNA_DIR.partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $DEBIAN_SUITE_FOR_JNA main" >"$apt/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root
        "${APT_NO_VALID_UNTIL[@]}")
    log "JNA ${JNA_VERSION}: apt-get download libjna-java libjna-jni from Debian ${DEBIAN_SUITE_FOR_JNA} ($mirror)"
    apt-get "${opts[@]}" update -q >"$CACHE/apt-jna.log" 2>&1 \
        || { tail -n 20 "$CACHE/apt-jna.log" >&2; die "apt-get update for Debian ${DEBIAN_SUITE_FOR_JNA} failed (log: $CACHE/apt-jna.log)"; }
    local pkg version
    for pkg in libjna-java libjna-jni; do
        version="$(apt-cache "${opts[@]}" show "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | grep "^${JNA_VERSION}-" | head -n1 || true)"
        [ -n "$version" ] || die "Debian ${DEBIAN_SUITE_FOR_JNA} has no $pkg ${JNA_VERSION} (it has: $(apt-cache "${opts[@]}" show "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | tr '\n' ' '))"
        (cd "$apt/debs" && apt-get "${opts[@]}" download -q "$pkg=$version" >>"$CACHE/apt-jna.log" 2>&1) \
            || { tail -n 20 "$CACHE/apt-jna.log" >&2; die "apt-get download $pkg=$version failed (log: $CACHE/apt-jna.log)"; }
    done
    local deb
    for deb in "$apt/debs"/*.deb; do dpkg-deb -x "$deb" "$JNA_DIR.partial/root"; done
    local jar so
    jar="$(find "$JNA_DIR.partial/root" -name "jna-${JNA_VERSION}.jar" | head -n1)"
    so="$(find "$JNA_DIR.partial/root" -name libjnidispatch.system.so | head -n1)"
    [ -n "$jar" ] && [ -n "$so" ] || die "the JNA packages hold no jna-${JNA_VERSION}.jar or libjnidispatch.system.so"
    mkdir -p "$JNA_DIR.partial/jni"
    cp "$jar" "$JNA_DIR.partial/jna.jar"
    cp "$so" "$JNA_DIR.partial/jni/libjnidispatch.system.so"
    rm -rf "$JNA_DIR.partial/root" "$JNA_DIR"
    mv "$JNA_DIR.partial" "$JNA_DIR"
    log "JNA ${JNA_VERSION} installed in $JNA_DIR"
}

# The folder where Debian's JNA looks for its native library.
system_jni_dir() {
    local multiarch
    multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")"
    echo "/usr/lib/$multiarch/jni"
}

# java with JNA_JNI_DIR's native library in place of the system's (see --help).
jvm_run() {
    local jni="${JNA_JNI_DIR-$JNA_DIR/jni}"
    if [ -z "$jni" ]; then
        exec java "$@"
    fi
    [ -f "$jni/libjnidispatch.system.so" ] || die "$jni/libjnidispatch.system.so not found: run scripts/toolchains.sh install kotlin"
    local sys unshare_args=(-m)
    sys="$(system_jni_dir)"
    mkdir -p "$sys" 2>/dev/null || true
    [ "$(id -u)" -eq 0 ] || unshare_args=(-r -m)
    exec unshare "${unshare_args[@]}" sh -c 'mount --bind "$1" "$2" && shift 2 && exec java "$@"' sh "$jni" "$sys" "$@"
}

kotlin_env() {
    local kotlinc lib
    kotlinc="$(kotlinc_path)"
    [ -x "$kotlinc" ] || die "kotlinc not installed: run scripts/toolchains.sh install kotlin"
    lib="$(cd "$(dirname "$kotlinc")/../lib" && pwd)"
    local jna="${JNA_JAR:-$JNA_DIR/jna.jar}" jni="$JNA_DIR/jni"
    [ -z "${JNA_JAR:-}" ] || jni="${JNA_JNI_DIR:-}"
    local junit="${JUNIT_JAR:-/usr/share/java/junit4.jar}"
    local hamcrest="${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}"
    local f
    for f in "$jna" "$junit" "$hamcrest" "$lib/kotlin-stdlib.jar" "$lib/kotlinx-coroutines-core-jvm.jar"; do
        [ -f "$f" ] || die "$f not found: run scripts/toolchains.sh install kotlin"
    done
    printf 'export KOTLINC=%q\n' "$kotlinc"
    printf 'export KOTLIN_LIB=%q\n' "$lib"
    printf 'export JNA_JAR=%q\n' "$jna"
    printf 'export JNA_JNI_DIR=%q\n' "$jni"
    printf 'export JUNIT_JAR=%q\n' "$junit"
    printf 'export HAMCREST_JAR=%q\n' "$hamcrest"
}

# ---------------------------------------------------------------- Swift

swift_kind() {
    if command -v swiftc >/dev/null 2>&1; then echo native; else echo debian-root; fi
}

# The Debian mirror apt is configured with (deb822 or one-line format), for debootstrap.
debian_mirror() {
    if [ -n "${IAV_DEBIAN_MIRROR:-}" ]; then echo "$IAV_DEBIAN_MIRROR"; return; fi
    local url=""
    url="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ {print $2}' | grep -E '/debian/?$' | head -n1 || true)"
    if [ -z "$url" ]; then
        url="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) {print $i; break}}' \
            | grep -E '/debian/?$' | head -n1 || true)"
    fi
    echo "${url:-http://deb.debian.org/debian}"
}

install_swift() {
    if [ "$(swift_kind)" = native ]; then
        log "using native swift: $(command -v swiftc)"
        return
    fi
    if [ -x "$SWIFT_ROOT/usr/bin/swiftc" ]; then
        if [ ! -s "$SWIFT_ROOT/etc/ssl/certs/ca-certificates.crt" ]; then
            # Roots made before CA certificates were part of the install.
            log "apt-get install ca-certificates in the ${DEBIAN_SUITE_FOR_SWIFT} root"
            chroot_apt_install "$SWIFT_ROOT" ca-certificates
        fi
        stub_missing_testing_foundation "$SWIFT_ROOT"
        log "Swift toolchain present in $SWIFT_ROOT"
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "building the Swift root needs root (debootstrap, chroot, mount)"
    apt_install debootstrap
    local mirror partial="$SWIFT_ROOT.partial"
    mirror="$(debian_mirror)"
    mkdir -p "$CACHE"
    if [ ! -x "$partial/usr/bin/apt-get" ] || [ ! -f "$partial/.debootstrap-done" ]; then
        rm -rf "$partial"
        log "debootstrap ${DEBIAN_SUITE_FOR_SWIFT} from $mirror into $partial"
        debootstrap --variant=minbase "$DEBIAN_SUITE_FOR_SWIFT" "$partial" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
        touch "$partial/.debootstrap-done"
    fi
    log "apt-get install swiftlang in the ${DEBIAN_SUITE_FOR_SWIFT} root"
    # ca-certificates: the core trusts the system's roots (as on a device), and refuses to build
    # a client on a system without any.
    chroot_apt_install "$partial" swiftlang libc6-dev ca-certificates
    stub_missing_testing_foundation "$partial"
    mv "$partial" "$SWIFT_ROOT"
    log "Swift toolchain installed in $SWIFT_ROOT"
}

# Debian's swiftlang 6.2.3 ships the _Testing_Foundation module (swift-testing's Foundation
# overlay) without its library. SwiftPM's generated test runner imports Testing whenever it can,
# Foundation's cross-import then autolinks -l_Testing_Foundation, and `swift test` of an XCTest
# target fails to link. An empty library of that name (nothing of the overlay is used by XCTest
# tests) lets it link; a toolchain that ships the real one is left alone.
stub_missing_testing_foundation() {
    local lib="$1/usr/libexec/swift/lib/swift/linux"
    if [ -f "$lib/_Testing_Foundation.swiftmodule" ] || [ -d "$lib/_Testing_Foundation.swiftmodule" ]; then
        if [ ! -e "$lib/lib_Testing_Foundation.so" ]; then
            log "the Swift root lacks lib_Testing_Foundation.so (a packaging gap of Debian's swiftlang): adding an empty one"
            printf '' | chroot_env "$1" cc -shared -x c - -o /usr/libexec/swift/lib/swift/linux/lib_Testing_Foundation.so
        fi
    fi
}

# Installs Debian packages inside a root made by debootstrap.
chroot_apt_install() {
    local root="$1"
    shift
    cp -f /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    chroot_env "$root" DEBIAN_FRONTEND=noninteractive \
        sh -c 'apt-get -o Acquire::Check-Valid-Until=false update -q && apt-get -o Acquire::Check-Valid-Until=false install -y -q --no-install-recommends "$@" && apt-get clean' sh "$@" \
        >"$CACHE/chroot-apt.log" 2>&1 \
        || { tail -n 20 "$CACHE/chroot-apt.log" >&2; die "installing $* in $root failed (log: $CACHE/chroot-apt.log)"; }
}

swift_run() {
    [ "${1:-}" = "--" ] && shift
    [ "$#" -gt 0 ] || die "swift-run needs a command (see --help)"
    if [ "$(swift_kind)" = native ]; then
        (cd "$REPO" && IAV_REPO="$REPO" "$@")
        return
    fi
    [ -x "$SWIFT_ROOT/usr/bin/swiftc" ] || die "Swift not installed: run scripts/toolchains.sh install swift"
    [ "$(id -u)" -eq 0 ] || die "swift-run needs root (chroot, mount)"

    # IAV_SWIFT_RUN_WAIT: seconds to wait for another swift-run (0: refuse at once).
    with_lock 9 "$CACHE/swift-run.lock" "${IAV_SWIFT_RUN_WAIT:-0}" swift-run

    # Holding the lock, we are the only user of these mounts: leftovers of a killed run are ours.
    mount_until_exit "$SWIFT_ROOT/proc" -t proc proc
    mount_until_exit "$SWIFT_ROOT$SWIFT_MOUNT_POINT" --bind "$REPO"

    local env_args=(
        "HOME=/root"
        "LANG=C.UTF-8"
        "TERM=${TERM:-dumb}"
        "IAV_REPO=$SWIFT_MOUNT_POINT"
        "LD_LIBRARY_PATH=/usr/libexec/swift/lib/swift/linux:$SWIFT_MOUNT_POINT/target/debug"
    )
    local name
    while IFS= read -r name; do
        [ "$name" = IAV_REPO ] || [ "$name" = IAV_CACHE ] || env_args+=("$name=${!name}")
    done < <(compgen -e | grep '^IAV_' || true)

    local rc=0
    chroot_env "$SWIFT_ROOT" "${env_args[@]}" \
        /bin/bash -c 'cd "$IAV_REPO" && exec "$@"' swift-run "$@" || rc=$?
    return "$rc"
}

# ---------------------------------------------------------------- main

cmd="${1:-}"
[ "$#" -gt 0 ] && shift
# `COMMAND --help` shows the help too (for swift-run only before `--` or CMD).
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
case "$cmd" in
    install)
        what="${1:-all}"
        # Two runs installing into the same cache at once would trip over each other.
        with_lock 8 "$CACHE/install.lock" 1800 "toolchain install"
        case "$what" in
            kotlin) install_kotlin ;;
            swift) install_swift ;;
            all) install_kotlin; install_swift ;;
            *) die "unknown toolchain '$what' (kotlin, swift or all)" ;;
        esac
        ;;
    kotlin-env) kotlin_env ;;
    java) jvm_run "$@" ;;
    swift-run) swift_run "$@" ;;
    swift-kind) swift_kind ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
esac
