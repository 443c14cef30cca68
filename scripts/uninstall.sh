#!/usr/bin/env bash
# Undoes scripts/install.sh: stops and disables the user service, removes the unit and the
# binary. Keeps the config, keys, secrets, master key and logs (it says where they are).
# Re-runnable: removing what is already gone is not an error.
#
#   scripts/uninstall.sh [--prefix DIR]     (the same --prefix given to install.sh)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

prefix="$HOME/.local"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

dest="$prefix/bin/localrouter"
unit_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"

manager_running() { systemctl --user show-environment >/dev/null 2>&1; }
if manager_running; then
    systemctl --user disable --now localrouter.service 2>/dev/null || true
fi

# Where the data lives, asked of the binary before it goes.
locations=""
[ -x "$dest" ] && locations="$("$dest" config path 2>/dev/null || true)"

remove() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        rm -f "$1"
        log "removed: $1"
    fi
}
remove "$unit_dir/localrouter.service"
# `enable` made this link; without a running manager `disable` could not remove it.
remove "$unit_dir/default.target.wants/localrouter.service"
remove "$dest"
if manager_running; then
    systemctl --user daemon-reload
    systemctl --user reset-failed localrouter.service 2>/dev/null || true
fi

echo "LocalRouter is uninstalled. Your config, keys, secrets and logs are kept:"
if [ -n "$locations" ]; then
    echo "$locations" | sed 's/^/  /'
else
    echo "  ${XDG_CONFIG_HOME:-$HOME/.config}/localrouter, ${XDG_DATA_HOME:-$HOME/.local/share}/localrouter, ${XDG_STATE_HOME:-$HOME/.local/state}/localrouter"
fi
echo "Delete those directories to remove everything (the master key there decrypts keys.enc and secrets.enc)."
