"""What app.orgs asks of the areas above it before it changes an organization or an account
(see app.signals): it cannot read their tables itself."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with an organization: receivers return how many sessions name it as their partner.
#: A partner that runs classes cannot become the municipality.
partner_sessions_counted = _signals.signal("partner-sessions-counted")

#: Sent with an account: receivers return how many scheduled, unfinished sessions it staffs.
#: An instructor who still teaches keeps the role until those sessions are given to others.
upcoming_staffing_counted = _signals.signal("upcoming-staffing-counted")
