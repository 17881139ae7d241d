"""What app.scheduling asks of the areas above it (see app.signals)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the session its page shows and `user=` the person looking: receivers return what
#: the page shows of their area beside the schedule, as template context ({name: value}) —
#: the counts and the door's link (check-in), who may read the roster (people).
session_page_shown = _signals.signal("session-page-shown")
