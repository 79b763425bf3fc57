#!/usr/bin/env bash
# tests/package/check.sh's last check, run inside scripts/session.sh (private D-Bus, unlocked
# gnome-keyring, Xvfb): starts the given signoff-app on a throwaway data dir and passes when a
# visible window titled "Signoff" appears within 60 s; the app is stopped either way.
#   tests/package/app-window.sh PATH/TO/signoff-app
set -uo pipefail
app=$1
data=$(mktemp -d "${TMPDIR:-/tmp}/signoff-app-data.XXXXXX")
log="$data.log"
SIGNOFF_HOME="$data" "$app" > "$log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data" "$log"; }
trap stop EXIT
for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "signoff-app exited before showing a window:"
    cat "$log"
    exit 1
  fi
  if xdotool search --onlyvisible --name '^Signoff$' >/dev/null 2>&1; then
    echo "window shown"
    exit 0
  fi
  sleep 0.5
done
echo "no visible window titled Signoff after 60 s; the app said:"
cat "$log"
exit 1
