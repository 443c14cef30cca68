# Shared by the scripts: find the repo, install the Debian packages the build needs.
# Re-runnable: it installs only what is missing, and repairs a half-finished apt run.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# tzdata: the daemon takes local days (budgets, log file names) from the C library, which reads
# /usr/share/zoneinfo (without it every zone is UTC); LocalCalendarTests compare zones with ICU's.
BUILD_PACKAGES=(libsodium-dev libcrypt-dev libcurl4-openssl-dev pkg-config tzdata)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_packages PKG... : apt-get install whichever of PKG... are not installed yet.
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    if ! as_root apt-get install -y -qq "${missing[@]}" >/dev/null; then
        as_root apt-get install -f -y -qq >/dev/null
        as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_build_deps() {
    command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6.x toolchain needed)" >&2; exit 1; }
    ensure_packages "${BUILD_PACKAGES[@]}"
}

# release_flags CONFIGURATION: the `swift build` flags for it. Release builds link the Swift runtime
# statically, as scripts/install.sh installs the daemon: bench and soak then measure the installed
# form (idle RSS 37 MB static vs 41 MB dynamic, docs/benchmarks.md), and every script shares one
# release build (switching --static-swift-stdlib on or off rebuilds everything).
#
# Release code also runs without the runtime's exclusivity checks (`swift_beginAccess` on every
# class property and global access, in NIO's hot paths most of all): 6.7% of the instructions of
# a proxied request (callgrind, docs/benchmarks.md). Debug builds, and so every test, keep them.
RELEASE_SWIFT_FLAGS="-Xswiftc -enforce-exclusivity=unchecked"
release_flags() {
    if [ "$1" = release ]; then echo "-c release --static-swift-stdlib $RELEASE_SWIFT_FLAGS"; else echo "-c $1"; fi
}
