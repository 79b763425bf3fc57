#!/usr/bin/env bash
# Runs a command inside a private desktop session: a throwaway HOME and XDG dirs, its own D-Bus
# session bus (dbus-run-session), and a real gnome-keyring whose login collection is unlocked.
#   scripts/session.sh COMMAND [ARG...]            on a private Xvfb display (what tests use)
#   scripts/session.sh --display COMMAND [ARG...]  on your real display (the demo)
set -euo pipefail

if [ -z "${SIGNOFF_HEADLESS_INNER:-}" ]; then
  real_display=""
  if [ "${1:-}" = "--display" ]; then
    real_display=1
    shift
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      echo "session.sh: --display needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set)" >&2
      exit 2
    fi
  fi
  # Keep the Rust and npm tool locations of the real HOME before replacing it.
  export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
  export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
  session=$(mktemp -d "${TMPDIR:-/tmp}/signoff-session.XXXXXX")
  trap 'rm -rf "$session"' EXIT
  mkdir -p "$session/home" "$session/run"
  chmod 700 "$session/run"
  export HOME="$session/home" XDG_RUNTIME_DIR="$session/run"
  export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
  unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SIGNOFF_HOME
  export SIGNOFF_HEADLESS_INNER=1
  set +e
  if [ -n "$real_display" ]; then
    dbus-run-session -- "$0" "$@"
  else
    unset DISPLAY WAYLAND_DISPLAY
    dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
  fi
  status=$?
  exit "$status"
fi

# Inside the session: start gnome-keyring with an unlocked login collection.
keyring_env=$(printf '%s' "signoff-test-keyring" | gnome-keyring-daemon --unlock --components=secrets)
if [ -n "$keyring_env" ]; then eval "export $keyring_env"; fi
# Wait until the Secret Service answers on the bus.
for _ in $(seq 1 50); do
  if gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
      --method org.freedesktop.DBus.Peer.Ping >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
# Mark this keyring as the session's own: the demo refuses to write into a keyring without it.
SIGNOFF_SESSION_MARKER=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export SIGNOFF_SESSION_MARKER
printf 'throwaway keyring of scripts/session.sh' |
  secret-tool store --label "Signoff: throwaway session keyring" signoff-session "$SIGNOFF_SESSION_MARKER"
unset SIGNOFF_HEADLESS_INNER
exec "$@"
