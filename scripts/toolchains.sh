#!/usr/bin/env bash
# Installs and runs the toolchains that test the generated Kotlin and Swift bindings on the host.
# Run `scripts/toolchains.sh --help` for the commands.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# The JVM side runs on the versions the AAR declares (bindings/android/gradle/libs.versions.toml:
# Kotlin, kotlinx-coroutines, JNA), resolved from Maven Central with mvn; JUnit is the tests' own.
eval "$(python3 "$REPO/scripts/lib/jvm_versions.py")"
JUNIT_VERSION="4.13.2"
# The real Android framework for the Android layer's tests: Robolectric and the android-all jar it
# runs for the AAR's compileSdk (the versions its DefaultSdkProvider names; 4.18 does not resolve
# from Maven Central). SDK 35 and newer need Java 21 or newer to run.
ROBOLECTRIC_VERSION="4.17"
case "$COMPILE_SDK" in
    36) ANDROID_ALL_VERSION="16-robolectric-13921718-i7" ;;
    35) ANDROID_ALL_VERSION="15-robolectric-13954326-i7" ;;
    *) die "no android-all jar of Robolectric $ROBOLECTRIC_VERSION is known for compileSdk $COMPILE_SDK (bindings/android/gradle/libs.versions.toml): add it here" ;;
esac
# ProGuard shrinks the Kotlin suite as an app's release build would (R8 is on Google's repository only).
PROGUARD_VERSION="7.8.1"
JVM_DIR="$CACHE/jvm/kotlin-$KOTLIN_VERSION-coroutines-$COROUTINES_VERSION-jna-$JNA_VERSION-junit-$JUNIT_VERSION-robolectric-$ROBOLECTRIC_VERSION-sdk-$COMPILE_SDK-proguard-$PROGUARD_VERSION"
MAVEN_REPO="$CACHE/maven-repo"
# Plaid Link for Android at android-sample's version (the AAR's classes, for compiling the sample's
# Plaid code) and JMH for the crossing benchmark, each in a directory of its own.
PLAID_LINK_DIR="$CACHE/jvm/plaid-link-$PLAID_LINK_VERSION"
JMH_VERSION="1.37"
JMH_DIR="$CACHE/jvm/jmh-$JMH_VERSION"
# The documentation site (scripts/docs.sh): mdBook from crates.io, built without its serve and
# watch features (they pull in a web server and file watching; the build takes about 4 minutes on
# two cores instead of about 9), and Dokka from Maven Central (dokka-core with the dokka-base and
# analysis-kotlin-symbols plugins; Dokka's own command-line runner is not on Maven Central, so
# scripts/lib/dokka/DokkaRunner.kt stands in for it, compiled here with the project's kotlinc).
MDBOOK_VERSION="0.5.4"
MDBOOK_DIR="$CACHE/mdbook-$MDBOOK_VERSION"
DOKKA_VERSION="2.1.0"
DOKKA_DIR="$CACHE/jvm/dokka-$DOKKA_VERSION"
# Debian sid carries Swift 6.2.3 (the Swift of Xcode 26); bookworm and trixie have older ones.
# sid's Release file on the mirror is a snapshot whose Valid-Until has passed.
DEBIAN_SUITE_FOR_SWIFT="sid"
SWIFT_MOUNT_POINT="/iav-bridge"

SWIFT_ROOT="$CACHE/swift-root-$DEBIAN_SUITE_FOR_SWIFT"
APT_NO_VALID_UNTIL=(-o Acquire::Check-Valid-Until=false)

usage() {
    cat <<EOF
Usage: scripts/toolchains.sh COMMAND [ARGS...]

Installs, into a cache outside the repository, the toolchains used to compile and run the
generated Kotlin and Swift bindings against the host build of the core, and runs commands in them.
A native swift found on PATH (a Mac, for instance) is used instead of installing one.

Commands:
  install [kotlin|jmh|docs|swift|all]
                               Install what is missing (default: all; jmh and docs only when named);
                               reuses what is present.
                               One install at a time (a lock in the cache; a second one waits).
      kotlin: from Maven Central with mvn (its local repository: \$IAV_CACHE/maven-repo), the
              versions bindings/android/gradle/libs.versions.toml declares for the AAR: the
              Kotlin compiler (kotlin-compiler-embeddable ${KOTLIN_VERSION}, run by a kotlinc
              wrapper) and standard library ${KOTLIN_VERSION}, kotlinx-coroutines-core-jvm
              ${COROUTINES_VERSION}, JNA ${JNA_VERSION} (its jar carries its own native
              libraries), and JUnit ${JUNIT_VERSION}; Robolectric ${ROBOLECTRIC_VERSION} with the
              android-all jar of compileSdk ${COMPILE_SDK} (plain and instrumented) and its
              AndroidX test monitor; ProGuard ${PROGUARD_VERSION}. Copied into \$IAV_CACHE/jvm/
              (the POMs: scripts/lib/jvm/). Fails, saying so, when mvn cannot reach Maven Central.
              Robolectric runs on a Java 21 or newer found on PATH or in /usr/lib/jvm. Also Plaid
              Link for Android ${PLAID_LINK_VERSION} (com.plaid.link:sdk-core, the version
              android-sample declares): the AAR alone, its classes.jar, for compiling the sample's
              Plaid code (its AndroidX dependencies are on Google's repository only).
      jmh:    JMH ${JMH_VERSION} (jmh-core and its bytecode generator) from Maven Central, for
              scripts/bench-bindings.sh --jmh.
      docs:   for scripts/docs.sh (only when named): mdBook ${MDBOOK_VERSION} from crates.io
              (cargo install --locked, without its serve and watch features, into
              \$IAV_CACHE/mdbook-${MDBOOK_VERSION}; about 4 minutes on two cores), and Dokka
              ${DOKKA_VERSION} from Maven Central (dokka-core, dokka-base, analysis-kotlin-symbols;
              scripts/lib/jvm/dokka.pom.xml) with scripts/lib/dokka/DokkaRunner.kt compiled
              against it; the Kotlin toolchain first. Offline afterwards.
  kotlin-env                   Print shell exports: KOTLINC, KOTLIN_LIB (kotlin-stdlib.jar and
                               kotlinx-coroutines-core-jvm.jar), JNA_JAR, JUNIT_JAR, HAMCREST_JAR,
                               and the declared versions KOTLIN_VERSION, COROUTINES_VERSION,
                               JNA_VERSION; PLAID_LINK_JAR; JMH_CP when jmh is installed;
                               MDBOOK, DOKKA_CP (the runner and dokka-core) and
                               DOKKA_PLUGINS_CP when docs is installed.
                               Use: eval "\$(scripts/toolchains.sh kotlin-env)".
  jvm-versions                 Print the declared versions (as shell assignments).
  java [ARGS...]               Run java with JNA's native library taken from JNA_JAR itself
                               (-Djna.nosys=true: never a system copy of another release).
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

# mvn_copy POM DIR PROPERTY...: the dependencies of POM (with -DPROPERTY values) copied into DIR,
# resolved from Maven Central into MAVEN_REPO.
mvn_copy() {
    local pom="$1" dir="$2" log="$CACHE/jvm/mvn.log"
    shift 2
    mkdir -p "$dir" "$MAVEN_REPO"
    if ! mvn -B -q -f "$pom" -Dmaven.repo.local="$MAVEN_REPO" "$@" \
        dependency:copy-dependencies -DoutputDirectory="$dir" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "mvn could not resolve $(basename "$pom") from Maven Central (log: $log)"
    fi
}

# install_plaid_link: Plaid Link's AAR (no dependencies) into PLAID_LINK_DIR, as its classes.jar.
install_plaid_link() {
    [ -f "$PLAID_LINK_DIR/.complete" ] && return
    local partial="$PLAID_LINK_DIR.partial"
    rm -rf "$partial"
    log "mvn: Plaid Link for Android $PLAID_LINK_VERSION (com.plaid.link:sdk-core) from Maven Central"
    mvn_copy "$REPO/scripts/lib/jvm/plaid-link.pom.xml" "$partial/aar" -Dplaid-link.version="$PLAID_LINK_VERSION"
    unzip -p "$partial/aar/sdk-core-$PLAID_LINK_VERSION.aar" classes.jar >"$partial/plaid-link-sdk-core.jar" ||
        die "mvn copied no sdk-core-$PLAID_LINK_VERSION.aar with a classes.jar"
    rm -rf "$partial/aar"
    : >"$partial/.complete"
    rm -rf "$PLAID_LINK_DIR"
    mv "$partial" "$PLAID_LINK_DIR"
}

# install_jmh: JMH's harness and bytecode generator into JMH_DIR.
install_jmh() {
    command -v mvn >/dev/null || apt_install maven
    [ -f "$JMH_DIR/.complete" ] && { log "JMH $JMH_VERSION present in $JMH_DIR"; return; }
    local partial="$JMH_DIR.partial"
    rm -rf "$partial"
    mkdir -p "$CACHE/jvm"
    log "mvn: JMH $JMH_VERSION from Maven Central"
    mvn_copy "$REPO/scripts/lib/jvm/jmh.pom.xml" "$partial" -Djmh.version="$JMH_VERSION"
    [ -f "$partial/jmh-core-$JMH_VERSION.jar" ] || die "mvn copied no jmh-core-$JMH_VERSION.jar"
    : >"$partial/.complete"
    rm -rf "$JMH_DIR"
    mv "$partial" "$JMH_DIR"
}

# install_docs: mdBook into MDBOOK_DIR and Dokka (with its runner) into DOKKA_DIR.
install_docs() {
    install_kotlin
    if [ -x "$MDBOOK_DIR/bin/mdbook" ]; then
        log "mdBook $MDBOOK_VERSION present in $MDBOOK_DIR"
    else
        log "cargo install mdbook $MDBOOK_VERSION (crates.io, no serve/watch features) into $MDBOOK_DIR"
        # A target directory of its own: the install does not wait for the workspace's build lock.
        CARGO_TARGET_DIR="$CACHE/mdbook-build" cargo install -q --locked --root "$MDBOOK_DIR.partial" \
            --no-default-features --features search "mdbook@$MDBOOK_VERSION" ||
            die "cargo install mdbook@$MDBOOK_VERSION failed"
        rm -rf "$MDBOOK_DIR" "$CACHE/mdbook-build"
        mv "$MDBOOK_DIR.partial" "$MDBOOK_DIR"
    fi
    if [ -f "$DOKKA_DIR/.complete" ]; then
        log "Dokka $DOKKA_VERSION present in $DOKKA_DIR"
        return
    fi
    local partial="$DOKKA_DIR.partial"
    rm -rf "$partial"
    log "mvn: Dokka $DOKKA_VERSION (dokka-core, dokka-base, analysis-kotlin-symbols) from Maven Central"
    mvn_copy "$REPO/scripts/lib/jvm/dokka.pom.xml" "$partial/lib" -Ddokka.version="$DOKKA_VERSION"
    [ -f "$partial/lib/dokka-core-$DOKKA_VERSION.jar" ] || die "mvn copied no dokka-core-$DOKKA_VERSION.jar"
    # The runner, compiled for the Kotlin that Dokka's own jars were made with (its standard
    # library is the one Dokka brought, not the project's).
    KOTLINC_JAVA_OPTS="${KOTLINC_JAVA_OPTS:-}" "$JVM_DIR/bin/kotlinc" -nowarn -jvm-target 17 \
        -api-version 2.0 -language-version 2.0 \
        -cp "$(find "$partial/lib" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':' | sed 's/:$//')" \
        "$REPO/scripts/lib/dokka/DokkaRunner.kt" -d "$partial/dokka-runner.jar" ||
        die "kotlinc could not compile scripts/lib/dokka/DokkaRunner.kt"
    : >"$partial/.complete"
    rm -rf "$DOKKA_DIR"
    mv "$partial" "$DOKKA_DIR"
}

install_kotlin() {
    command -v java >/dev/null || apt_install default-jdk-headless
    command -v mvn >/dev/null || apt_install maven
    mkdir -p "$CACHE/jvm"
    install_plaid_link
    if [ -f "$JVM_DIR/.complete" ]; then
        log "Kotlin $KOTLIN_VERSION, kotlinx-coroutines $COROUTINES_VERSION, JNA $JNA_VERSION, JUnit $JUNIT_VERSION present in $JVM_DIR"
        return
    fi
    local partial="$JVM_DIR.partial" started=$SECONDS
    rm -rf "$partial"
    mkdir -p "$partial/bin"
    : >"$CACHE/jvm/mvn.log"
    log "mvn: Kotlin $KOTLIN_VERSION (compiler and standard library), kotlinx-coroutines $COROUTINES_VERSION, JNA $JNA_VERSION, JUnit $JUNIT_VERSION, Robolectric $ROBOLECTRIC_VERSION with android-all $ANDROID_ALL_VERSION (SDK $COMPILE_SDK), ProGuard $PROGUARD_VERSION from Maven Central"
    mvn_copy "$REPO/scripts/lib/jvm/kotlin-compiler.pom.xml" "$partial/compiler" \
        -Dkotlin.version="$KOTLIN_VERSION"
    mvn_copy "$REPO/scripts/lib/jvm/runtime.pom.xml" "$partial/lib" \
        -Dkotlin.version="$KOTLIN_VERSION" -Dcoroutines.version="$COROUTINES_VERSION" \
        -Djna.version="$JNA_VERSION" -Djunit.version="$JUNIT_VERSION"
    # The names the scripts use, whatever the release.
    local name jar
    for name in kotlin-stdlib kotlinx-coroutines-core-jvm jna junit hamcrest-core; do
        jar="$(find "$partial/lib" -maxdepth 1 -name "$name-[0-9]*.jar" ! -name '*-sources.jar' | head -n1)"
        [ -n "$jar" ] || die "mvn copied no $name jar into $partial/lib"
        ln -s "$(basename "$jar")" "$partial/lib/$name.jar"
    done
    [ -f "$partial/compiler/kotlin-compiler-embeddable-$KOTLIN_VERSION.jar" ] ||
        die "mvn copied no kotlin-compiler-embeddable-$KOTLIN_VERSION.jar"
    # Robolectric's own jars (what it needs besides the suite's runtime jars above) and, apart,
    # the android-all jar: the compile-time android.jar, and what Robolectric loads offline.
    mvn_copy "$REPO/scripts/lib/jvm/robolectric.pom.xml" "$partial/robolectric" \
        -Drobolectric.version="$ROBOLECTRIC_VERSION" -Dandroid-all.version="$ANDROID_ALL_VERSION" \
        -Dandroid-all-plain.version="${ANDROID_ALL_VERSION%-i*}"
    mkdir -p "$partial/android-all"
    mv "$partial/robolectric/android-all-instrumented-$ANDROID_ALL_VERSION.jar" "$partial/android-all/" ||
        die "mvn copied no android-all-instrumented-$ANDROID_ALL_VERSION.jar"
    mv "$partial/robolectric/android-all-${ANDROID_ALL_VERSION%-i*}.jar" "$partial/android.jar" ||
        die "mvn copied no android-all-${ANDROID_ALL_VERSION%-i*}.jar"
    mvn_copy "$REPO/scripts/lib/jvm/proguard.pom.xml" "$partial/proguard" -Dproguard.version="$PROGUARD_VERSION"
    # Robolectric's AndroidX dependencies come as AARs (androidx.test:monitor, from Maven Central):
    # their classes.jar, as Gradle would put it on the classpath.
    local aar
    for aar in "$partial/robolectric"/*.aar; do
        [ -e "$aar" ] || continue
        unzip -p "$aar" classes.jar >"${aar%.aar}.jar" || die "$aar has no classes.jar"
        rm -f "$aar"
    done
    # What the runtime jars above hold already (the same files) is taken from there.
    for jar in "$partial/robolectric"/*.jar; do
        [ ! -e "$partial/lib/$(basename "$jar")" ] || rm -f "$jar"
    done
    # kotlinc: the embeddable compiler on the JVM, with the standard library of its own release
    # added to every classpath it is given (-no-stdlib: never one bundled elsewhere).
    cat >"$partial/bin/kotlinc" <<'KOTLINC'
#!/usr/bin/env bash
# kotlinc from Maven Central's kotlin-compiler-embeddable (scripts/toolchains.sh wrote this).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stdlib="$home/lib/kotlin-stdlib.jar"
args=()
cp_given=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        -cp | -classpath) args+=("$1" "$2:$stdlib"); cp_given=1; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
[ "$cp_given" -eq 1 ] || args+=(-cp "$stdlib")
compiler_cp="$(find "$home/compiler" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':')"
exec java ${KOTLINC_JAVA_OPTS:-} -cp "$compiler_cp" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler \
    -no-stdlib -no-reflect "${args[@]}"
KOTLINC
    chmod +x "$partial/bin/kotlinc"
    : >"$partial/.complete"
    rm -rf "$JVM_DIR"
    mv "$partial" "$JVM_DIR"
    log "installed in $JVM_DIR in $((SECONDS - started)) s"
}

# java with JNA's native library from JNA_JAR itself (see --help).
jvm_run() {
    exec java -Djna.nosys=true "$@"
}

# The java of a JDK 21 or newer (what Robolectric needs for SDK 35+): the one on PATH if new
# enough, else the newest under /usr/lib/jvm; nothing when there is none.
java21() {
    local java version
    for java in "$(command -v java 2>/dev/null)" $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV); do
        [ -x "$java" ] || continue
        version="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
        if [ "${version%%.*}" -ge 21 ] 2>/dev/null; then
            echo "$java"
            return
        fi
    done
}

kotlin_env() {
    local f
    for f in "$JVM_DIR/.complete" "$JVM_DIR/bin/kotlinc" "$JVM_DIR/proguard" "$JVM_DIR/lib/kotlin-stdlib.jar" \
        "$JVM_DIR/lib/kotlinx-coroutines-core-jvm.jar" "$JVM_DIR/lib/jna.jar" \
        "$JVM_DIR/lib/junit.jar" "$JVM_DIR/lib/hamcrest-core.jar" "$PLAID_LINK_DIR/plaid-link-sdk-core.jar"; do
        [ -e "$f" ] || die "$f not found: run scripts/toolchains.sh install kotlin"
    done
    printf 'export KOTLINC=%q\n' "$JVM_DIR/bin/kotlinc"
    printf 'export KOTLIN_LIB=%q\n' "$JVM_DIR/lib"
    printf 'export JNA_JAR=%q\n' "$JVM_DIR/lib/jna.jar"
    printf 'export JUNIT_JAR=%q\n' "$JVM_DIR/lib/junit.jar"
    printf 'export HAMCREST_JAR=%q\n' "$JVM_DIR/lib/hamcrest-core.jar"
    local robo_java
    robo_java="$(java21)"
    [ -n "$robo_java" ] || die "Robolectric $ROBOLECTRIC_VERSION needs Java 21 or newer for SDK $COMPILE_SDK; none found (PATH, /usr/lib/jvm)"
    printf 'export ROBOLECTRIC_JAVA=%q\n' "$robo_java"
    printf 'export ROBOLECTRIC_CP=%q\n' "$(find "$JVM_DIR/robolectric" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':' | sed 's/:$//')"
    printf 'export ANDROID_ALL_DIR=%q\n' "$JVM_DIR/android-all"
    printf 'export ANDROID_JAR=%q\n' "$JVM_DIR/android.jar"
    printf 'export PROGUARD_CP=%q\n' "$(find "$JVM_DIR/proguard" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':' | sed 's/:$//')"
    printf 'export PROGUARD_VERSION=%q\n' "$PROGUARD_VERSION"
    # What Robolectric needs of the JDK's internals on Java 17 and newer.
    printf 'export ROBOLECTRIC_JAVA_OPTS=%q\n' "--add-exports=java.base/jdk.internal.access=ALL-UNNAMED --add-opens=java.base/jdk.internal.access=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --enable-native-access=ALL-UNNAMED -Drobolectric.offline=true -Drobolectric.dependency.dir=$JVM_DIR/android-all"
    printf 'export KOTLIN_VERSION=%q\n' "$KOTLIN_VERSION"
    printf 'export COROUTINES_VERSION=%q\n' "$COROUTINES_VERSION"
    printf 'export JNA_VERSION=%q\n' "$JNA_VERSION"
    printf 'export ROBOLECTRIC_VERSION=%q\n' "$ROBOLECTRIC_VERSION"
    printf 'export COMPILE_SDK=%q\n' "$COMPILE_SDK"
    printf 'export PLAID_LINK_JAR=%q\n' "$PLAID_LINK_DIR/plaid-link-sdk-core.jar"
    printf 'export PLAID_LINK_VERSION=%q\n' "$PLAID_LINK_VERSION"
    if [ -f "$JMH_DIR/.complete" ]; then
        printf 'export JMH_CP=%q\n' "$(find "$JMH_DIR" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':' | sed 's/:$//')"
        printf 'export JMH_VERSION=%q\n' "$JMH_VERSION"
    fi
    if [ -f "$DOKKA_DIR/.complete" ] && [ -x "$MDBOOK_DIR/bin/mdbook" ]; then
        printf 'export MDBOOK=%q\n' "$MDBOOK_DIR/bin/mdbook"
        printf 'export MDBOOK_VERSION=%q\n' "$MDBOOK_VERSION"
        printf 'export DOKKA_VERSION=%q\n' "$DOKKA_VERSION"
        # dokka-core must not be among the plugins (Dokka refuses to run then).
        printf 'export DOKKA_CP=%q\n' "$DOKKA_DIR/dokka-runner.jar:$(find "$DOKKA_DIR/lib" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':' | sed 's/:$//')"
        printf 'export DOKKA_PLUGINS_CP=%q\n' "$(find "$DOKKA_DIR/lib" -maxdepth 1 -name '*.jar' ! -name 'dokka-core-*' | sort | tr '\n' ':' | sed 's/:$//')"
    fi
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
            jmh) install_jmh ;;
            docs) install_docs ;;
            swift) install_swift ;;
            all) install_kotlin; install_swift ;;
            *) die "unknown toolchain '$what' (kotlin, jmh, docs, swift or all)" ;;
        esac
        ;;
    kotlin-env) kotlin_env ;;
    jvm-versions) python3 "$REPO/scripts/lib/jvm_versions.py" ;;
    java) jvm_run "$@" ;;
    swift-run) swift_run "$@" ;;
    swift-kind) swift_kind ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
esac
