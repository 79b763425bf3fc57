#!/usr/bin/python3
"""Test helper: finds the top-level X11 window titled "Signoff" and prints its map state
(`state`), or asks it to close the way a window manager does, with WM_DELETE_WINDOW (`close`)."""
import sys

from Xlib import X, display, protocol


def find(window, title):
    try:
        if window.get_wm_name() == title:
            return window
    except Exception:
        pass
    for child in window.query_tree().children:
        found = find(child, title)
        if found:
            return found
    return None


d = display.Display()
w = find(d.screen().root, "Signoff")
if w is None:
    print("missing")
    sys.exit(1)
if sys.argv[1] == "state":
    names = {X.IsViewable: "viewable", X.IsUnmapped: "unmapped", X.IsUnviewable: "unviewable"}
    print(names[w.get_attributes().map_state])
elif sys.argv[1] == "close":
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    event = protocol.event.ClientMessage(
        window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
    )
    w.send_event(event, event_mask=X.NoEventMask)
    d.flush()
    print("sent")
