"""What app.scheduling asks of the areas above it (see app.signals)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the session its page shows and `user=` the person looking: receivers return what
#: the page shows of their area beside the schedule, as template context ({name: value}) —
#: the counts and the door's link (check-in), who may read the roster (people).
session_page_shown = _signals.signal("session-page-shown")

#: Sent with nothing: the receiver (check-in, which holds attendance) returns a SQL expression
#: of how many came to a session (present or late), correlated to Session.id, so that a list of
#: sessions loads the number in its own query (app.scheduling.models.came_expression).
came_counted = _signals.signal("came-counted")
