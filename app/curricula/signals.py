"""What app.curricula asks of the areas above it (see app.signals)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with a course: receivers return {version number: sessions planned with it}. A course's
#: page shows what a new version leaves alone.
version_sessions_counted = _signals.signal("version-sessions-counted")
