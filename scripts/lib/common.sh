# shellcheck shell=bash disable=SC2034 # the variables set here are used by the scripts sourcing it
# What the scripts under scripts/ share. Source it, do not run it:
#
#     source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# Sourcing only defines variables and functions (and changes nothing else), so it also works inside
# the Swift environment of scripts/toolchains.sh swift-run, where the repository is /iav-bridge.
#
#   REPO, TARGET_DIR, CACHE       the repository root, cargo's target directory, the toolchain cache
#   target_dir_in_repo            TARGET_DIR relative to REPO (TARGET_REL), for the Swift Debian root
#   log, die, die_usage           messages on stderr, prefixed with the script's name
#   on_exit                       cleanup run when the script exits, also on failure and Ctrl-C
#   start_service, stop_process   a background server with a ready file (sample-backend, dwolla-simulator), stopped on exit
#   with_lock                     one holder of a lock file at a time, waiting for it or refusing
#   apt_install, ensure_rust_targets, build_host, kotlin_toolchain, jvm
#                                 what the suites need on the host
#   step_filter, step_selected    --only/--skip STEP[,STEP...]
#   run_logged, print_counts, read_counts, print_summary
#                                 running steps with their output kept, and the "N passed, N failed" lines

# Run instead of sourced (for example with --help): print the comment above, and stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi

[ -n "${IAV_COMMON_SH:-}" ] && return 0
IAV_COMMON_SH=1

# ------------------------------------------------------------------------------------ locations

# The repository root (this file is scripts/lib/common.sh), whatever the caller's working directory.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Cargo's target directory, as cargo itself resolves it from CARGO_TARGET_DIR.
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
# Toolchains and the Python venv live here, outside the repository, and are reused across runs.
CACHE="${IAV_CACHE:-$HOME/.cache/iav-bridge}"

# target_dir_in_repo: makes TARGET_DIR absolute (creating it) and sets TARGET_REL to its path
# relative to REPO; returns 1 (TARGET_REL empty) when it is outside the repository, which the
# Debian root of swift-run cannot see.
target_dir_in_repo() {
    TARGET_DIR="$(mkdir -p "$TARGET_DIR" && cd "$TARGET_DIR" && pwd)"
    case "$TARGET_DIR/" in
        "$REPO"/*) TARGET_REL="${TARGET_DIR#"$REPO"/}" ;;
        *) TARGET_REL=""; return 1 ;;
    esac
}

# ------------------------------------------------------------------------------------ messages

# The prefix of every message: the script's name without .sh (set LOG_PREFIX to change it).
LOG_PREFIX="${LOG_PREFIX:-$(basename "$0" .sh)}"
log() { printf '%s: %s\n' "$LOG_PREFIX" "$*" >&2; }
die() { printf '%s: error: %s\n' "$LOG_PREFIX" "$*" >&2; exit 1; }
# For wrong arguments: exit status 2.
die_usage() { printf '%s: %s (see --help)\n' "$LOG_PREFIX" "$*" >&2; exit 2; }

# ------------------------------------------------------------------------------------ cleanup

EXIT_HOOKS=()

# on_exit CMD [ARGS...]: runs CMD ARGS (as given now) when the script exits, whether it succeeds,
# fails or is interrupted (Ctrl-C exits 130, TERM 143). The last registered runs first. The
# script's exit status is kept. Takes over the EXIT, INT and TERM traps.
on_exit() {
    if [ "${#EXIT_HOOKS[@]}" -eq 0 ]; then
        trap run_exit_hooks EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    EXIT_HOOKS+=("$(printf '%q ' "$@")")
}

run_exit_hooks() {
    local i
    for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${EXIT_HOOKS[$i]}" || true
    done
    EXIT_HOOKS=()
}

# stop_process PID: stops a background process of this shell and waits for it, if it still runs.
stop_process() {
    local pid="$1"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}

# start_service NAME READY_FILE LOG CMD [ARGS...]: starts CMD in the background with its output in
# LOG, registers its stop with on_exit, and waits up to 30 s for it to write READY_FILE (CMD is
# given READY_FILE itself, as sample-backend's --ready-file). Dies, showing the end of LOG, when
# CMD exits first or never writes the file; NAME names it in those messages. Sets SERVICE_PID.
# Call it from the script's own shell (not in $(...)), so that the stop on exit can wait for it.
start_service() {
    local name="$1" ready="$2" service_log="$3" _
    shift 3
    rm -f "$ready"
    mkdir -p "$(dirname "$ready")" "$(dirname "$service_log")"
    "$@" >"$service_log" 2>&1 &
    SERVICE_PID=$!
    on_exit stop_process "$SERVICE_PID"
    for _ in $(seq 1 300); do
        [ -s "$ready" ] && break
        if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
            tail -n 30 "$service_log" >&2
            die "$name exited before it was ready (log: $service_log)"
        fi
        sleep 0.1
    done
    [ -s "$ready" ] || die "$name did not write its ready file $ready within 30 s (log: $service_log)"
    sleep 0.1 # the file is written whole, but give a slow writer a moment
}

# ------------------------------------------------------------------------------------ locks

# with_lock FD FILE WAIT_SECONDS WHAT: takes an exclusive flock on FILE through file descriptor FD,
# held until the script exits. When another process holds it: refuses at once (WAIT_SECONDS 0,
# dying with "another WHAT is in progress") or waits up to WAIT_SECONDS for it.
with_lock() {
    local fd="$1" file="$2" wait="$3" what="$4"
    mkdir -p "$(dirname "$file")"
    eval "exec $fd>\"\$file\""
    flock -n "$fd" && return 0
    [ "$wait" -gt 0 ] || die "another $what is in progress (lock $file); refusing to run two at once"
    log "another $what is in progress; waiting up to $wait s for it"
    flock -w "$wait" "$fd" || die "another $what still holds $file after $wait s"
}

# ------------------------------------------------------------------------------------ host tools

# apt_install PKG...: installs the Debian packages that are missing (non-interactive, quiet);
# runs `apt-get update` only when a package is not found in the current lists. Needs root.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
    [ "$(id -u)" -eq 0 ] || die "installing ${missing[*]} needs root (apt-get)"
    log "apt-get install ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        log "apt-get update (a package was not found in the current lists)"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# ensure_rust_targets TRIPLE...: `rustup target add` for the ones not installed yet.
ensure_rust_targets() {
    local installed missing=() t
    installed="$(rustup target list --installed)"
    for t in "$@"; do
        grep -qx "$t" <<<"$installed" || missing+=("$t")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "rustup target add ${missing[*]}"
    rustup target add "${missing[@]}"
}

# build_host PROFILE PART...: builds, for the host and quietly, what the suites run, with cargo's
# PROFILE (debug or release). The parts:
#   core       the core library, TARGET_DIR/PROFILE/libiav_bridge.so (what the bindings load)
#   backend    TARGET_DIR/PROFILE/sample-backend (with its simulated Dwolla)
#   simulator  TARGET_DIR/PROFILE/dwolla-simulator (the simulated Dwolla alone)
#   bindgen    TARGET_DIR/PROFILE/uniffi-bindgen
# debug: one build of every target of the workspace in one cargo invocation (whatever the
# parts), the same build `cargo test --workspace` makes: the test command's rust step, the
# bindings and the suites share it, and nothing is compiled twice with another set of features.
# release: one cargo invocation per part, so that each has the features it has on its own (the
# core exactly as it ships).
build_host() {
    local profile="$1" part
    shift
    for part in "$@"; do
        case "$part" in
            core | backend | simulator | bindgen) ;;
            *) die "build_host: unknown part '$part'" ;;
        esac
    done
    case "$profile" in
        debug) (cd "$REPO" && cargo build -q --workspace --all-targets) ;;
        release)
            for part in "$@"; do
                case "$part" in
                    core) (cd "$REPO" && cargo build -q --release -p iav-bridge --lib) ;;
                    backend) (cd "$REPO" && cargo build -q --release -p sample-backend --bin sample-backend) ;;
                    simulator) (cd "$REPO" && cargo build -q --release -p dwolla-simulator --bin dwolla-simulator) ;;
                    bindgen) (cd "$REPO" && cargo build -q --release -p uniffi-bindgen) ;;
                esac
            done
            ;;
        *) die "build_host: unknown profile '$profile' (debug or release)" ;;
    esac
}

# kotlin_toolchain: installs, from Maven Central, the Kotlin compiler and the jars at the versions
# the AAR declares when missing, and exports what `scripts/toolchains.sh kotlin-env` prints
# (KOTLINC, KOTLIN_LIB, JNA_JAR, JUNIT_JAR, HAMCREST_JAR, the declared KOTLIN_VERSION,
# COROUTINES_VERSION, JNA_VERSION), plus KOTLIN_BINDINGS_CP: the jars the generated bindings need
# to compile and run (JNA, kotlinx-coroutines), and DECLARED_VERSIONS_PROPS: the -D options with
# which a JVM suite checks that it runs on the declared versions. Run the JVM with `jvm` (below),
# not `java`: JNA then loads its native library from its own jar.
kotlin_toolchain() {
    bash "$REPO/scripts/toolchains.sh" install kotlin
    local exports
    exports="$(bash "$REPO/scripts/toolchains.sh" kotlin-env)"
    eval "$exports"
    export KOTLIN_BINDINGS_CP="$JNA_JAR:$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar"
    DECLARED_VERSIONS_PROPS=("-Diavbridge.declared.kotlin=$KOTLIN_VERSION"
        "-Diavbridge.declared.coroutines=$COROUTINES_VERSION" "-Diavbridge.declared.jna=$JNA_VERSION")
}

# jvm ARGS...: java with the JNA of kotlin_toolchain (`scripts/toolchains.sh java`).
jvm() {
    bash "$REPO/scripts/toolchains.sh" java "$@"
}

# ------------------------------------------------------------------------------------ steps

# The --only and --skip options of scripts made of named steps (test-all.sh, check-packaging.sh).
STEPS_ONLY=""
STEPS_SKIP=""

# step_filter OPTION VALUE: records `--only VALUE` or `--skip VALUE` (comma-separated step names).
# In an argument loop: `--only | --skip) step_filter "$1" "${2:-}"; shift 2 ;;`
step_filter() {
    [ -n "${2:-}" ] || die_usage "$1 needs step names"
    case "$1" in
        --only) STEPS_ONLY="$2" ;;
        --skip) STEPS_SKIP="$2" ;;
        *) die "step_filter: $1 is neither --only nor --skip" ;;
    esac
}

# step_selected STEP: whether STEP runs (named by --only when given, and not named by --skip).
step_selected() {
    local step="$1"
    if [ -n "$STEPS_ONLY" ] && [[ ",$STEPS_ONLY," != *",$step,"* ]]; then return 1; fi
    if [ -n "$STEPS_SKIP" ] && [[ ",$STEPS_SKIP," == *",$step,"* ]]; then return 1; fi
    return 0
}

# run_logged LOG CMD [ARGS...]: runs CMD with its output (stdout and stderr) shown and kept in LOG.
# Sets RUN_STATUS (CMD's exit status) and RUN_SECS; returns 0 itself. CMD runs in a subshell with
# errexit off, whatever the caller has: a CMD that wants `set -e` sets it itself (it then applies,
# because run_logged is not called in a condition).
run_logged() {
    local run_log="$1" errexit=0 started=$SECONDS
    shift
    case $- in *e*) errexit=1; set +e ;; esac
    mkdir -p "$(dirname "$run_log")"
    "$@" 2>&1 | tee "$run_log"
    RUN_STATUS=${PIPESTATUS[0]}
    RUN_SECS=$((SECONDS - started))
    [ "$errexit" -eq 1 ] && set -e
    return 0
}

# run_step_function STEP: the function step_STEP (dashes as underscores), with errexit, as the
# steps of check-release.sh and check-packaging.sh are written (run_logged runs it in a subshell).
run_step_function() {
    set -euo pipefail
    "step_${1//-/_}"
}

# run_steps [--cases] WORKDIR TITLE LABEL STEP...: runs each selected step (step_selected) with
# run_step_function, its output kept in WORKDIR/STEP.log; then prints the summary (print_summary
# TITLE LABEL) with a PASS or FAIL line per step. With --cases, the lines "ok    CASE" and
# "FAIL  CASE" a step prints (its self-tests' cases) are counted too. Returns 1 if anything failed.
run_steps() {
    local cases=0 work title label step log cp cf passed=0 failed=0
    local -a results=()
    if [ "$1" = "--cases" ]; then cases=1; shift; fi
    work="$1" title="$2" label="$3"
    shift 3
    mkdir -p "$work"
    for step in "$@"; do
        step_selected "$step" || continue
        log="$work/$step.log"
        echo "=== $step"
        run_logged "$log" run_step_function "$step"
        cp=0 cf=0
        if [ "$cases" -eq 1 ]; then
            cp=$(grep -c '^ok    ' "$log" || true)
            cf=$(grep -c '^FAIL  ' "$log" || true)
        fi
        passed=$((passed + cp))
        failed=$((failed + cf))
        if [ "$RUN_STATUS" -eq 0 ]; then
            passed=$((passed + 1))
            if [ "$cp" -gt 0 ]; then results+=("PASS  $step (${RUN_SECS}s, $cp cases)"); else results+=("PASS  $step (${RUN_SECS}s)"); fi
        else
            failed=$((failed + 1))
            results+=("FAIL  $step (${RUN_SECS}s): see $log")
        fi
    done
    print_summary "$title" "$label" "$passed" "$failed" "${results[@]}"
    [ "$failed" -eq 0 ]
}

# print_counts LABEL PASSED FAILED: the closing line of a suite, "LABEL: N passed, N failed".
print_counts() { echo "$1: $2 passed, $3 failed"; }

# read_counts LOG: prints "PASSED FAILED" from the last "N passed, N failed" line of LOG (with or
# without a "LABEL: " prefix, as the Kotlin, Swift and Python suites and print_counts write it);
# prints nothing when there is none.
read_counts() {
    grep -E '^([A-Za-z0-9_-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 |
        sed -E 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/'
}

# print_summary TITLE LABEL PASSED FAILED LINE...: an empty line, TITLE, each LINE indented,
# then print_counts LABEL PASSED FAILED.
print_summary() {
    local title="$1" label="$2" passed="$3" failed="$4" line
    shift 4
    echo
    echo "$title"
    for line in "$@"; do echo "  $line"; done
    print_counts "$label" "$passed" "$failed"
}
