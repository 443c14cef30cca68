#!/usr/bin/env bash
# Installs LocalRouter for the current user: a release binary in ~/.local/bin, the systemd
# user unit in ~/.config/systemd/user/, and (if there is no config yet) `localrouter init`.
# Re-runnable: a second run changes only what differs. Undo with scripts/uninstall.sh.
#
#   scripts/install.sh [--prefix DIR] [--binary PATH] [--dynamic] [--no-init] [--enable]
#
#   --prefix DIR   install the binary to DIR/bin (default ~/.local; the unit is adjusted)
#   --binary PATH  install this already-built binary instead of building one (tests, packagers)
#   --dynamic      link the Swift runtime dynamically (smaller, but tied to this toolchain's path)
#   --no-init      do not create a config and master key
#   --enable       also run `systemctl --user daemon-reload && enable --now` when a user manager runs
#
# HOME and XDG_CONFIG_HOME are honoured, so `HOME=/tmp/x scripts/install.sh` installs into /tmp/x.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

prefix="$HOME/.local"
binary=""
static=1
run_init=1
enable=0
stripped_copy=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
        --dynamic) static=0; shift ;;
        --no-init) run_init=0; shift ;;
        --enable) enable=1; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

bin_dir="$prefix/bin"
unit_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
dest="$bin_dir/localrouter"

if [ -z "$binary" ]; then
    ensure_build_deps
    cd "$REPO_ROOT"
    # Static by default: the installed binary then needs only Debian's libsodium, libcrypt,
    # libstdc++ and zlib, and keeps working when the Swift toolchain is upgraded or moved.
    # A dynamic one finds libswiftCore & co. through an RUNPATH into the toolchain it was built with.
    # shellcheck disable=SC2206 # two words, split on purpose
    flags=(-c release --product localrouter $RELEASE_SWIFT_FLAGS)
    [ "$static" -eq 1 ] && flags+=(--static-swift-stdlib)
    log "building the release binary ($([ "$static" -eq 1 ] && echo static || echo dynamic) Swift runtime; the first build takes several minutes)"
    if ! swift build "${flags[@]}" 2>&1 | { grep -v "found 1 file(s) which are unhandled" || true; }; then
        exit 1
    fi
    built="$(swift build "${flags[@]}" --show-bin-path)/localrouter"
    # Stripped (158 MB -> about 80 MB static); a stripped copy also compares equal on a re-run.
    binary="$(mktemp)"
    cp "$built" "$binary"
    command -v strip >/dev/null && strip "$binary"
    chmod 0755 "$binary"
    stripped_copy="$binary"
fi
[ -x "$binary" ] || { echo "install.sh: $binary is not an executable" >&2; exit 1; }

# install_file SOURCE DEST MODE: copy by rename (a running daemon keeps its old binary), and
# leave an identical file alone.
install_file() {
    local source="$1" target="$2" mode="$3"
    mkdir -p "$(dirname "$target")"
    if [ -f "$target" ] && cmp -s "$source" "$target"; then
        log "unchanged: $target"
        return 1
    fi
    install -m "$mode" "$source" "$target.new.$$"
    mv -f "$target.new.$$" "$target"
    log "installed: $target"
}

binary_changed=0
install_file "$binary" "$dest" 0755 && binary_changed=1

# The unit runs %h/.local/bin/localrouter; point it elsewhere for another prefix.
unit_source="$REPO_ROOT/systemd/localrouter.service"
unit_temp="$(mktemp)"
trap 'rm -f "$unit_temp" ${stripped_copy:+"$stripped_copy"}' EXIT
if [ "$dest" = "$HOME/.local/bin/localrouter" ]; then
    cp "$unit_source" "$unit_temp"
else
    sed "s|^ExecStart=%h/.local/bin/localrouter |ExecStart=$dest |" "$unit_source" > "$unit_temp"
fi
unit_changed=0
install_file "$unit_temp" "$unit_dir/localrouter.service" 0644 && unit_changed=1

if [ "$run_init" -eq 1 ]; then
    locations="$("$dest" config path)"
    if grep -q '^config:.*(not created yet)$' <<<"$locations"; then
        log "no config yet: running localrouter init"
        "$dest" init || log "init did not complete (see above); run \`$dest init\` yourself"
    else
        log "config exists: $(sed -n 's/^config: *//p' <<<"$locations")"
    fi
fi

manager_running() { systemctl --user show-environment >/dev/null 2>&1; }
start_line="systemctl --user daemon-reload && systemctl --user enable --now localrouter"
if [ "$enable" -eq 1 ] && manager_running; then
    log "running: $start_line"
    systemctl --user daemon-reload
    systemctl --user enable --now localrouter
    if [ "$binary_changed" -eq 1 ] || [ "$unit_changed" -eq 1 ]; then
        systemctl --user try-restart localrouter
    fi
    systemctl --user --no-pager status localrouter | head -n 5 || true
else
    [ "$enable" -eq 1 ] && log "no systemd user manager is reachable here; start the service yourself later"
    echo
    echo "Installed. Start LocalRouter now and at every login with:"
    echo "  $start_line"
    if [ "$binary_changed" -eq 1 ] || [ "$unit_changed" -eq 1 ]; then
        echo "If it was already running: systemctl --user daemon-reload && systemctl --user restart localrouter"
    fi
fi
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "Note: $bin_dir is not on your PATH; add it to use the localrouter command." ;;
esac
