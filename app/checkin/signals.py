"""What app.checkin tells the areas above it (see app.signals)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent by app.checkin.services.record_attendance_rows after the door's quick path inserted
#: attendances with one Core INSERT, in the same transaction (before its commit), with
#: `rows=` the rows written (each a dict of Attendance's columns, `id` included),
#: `session_ids=` the sessions they belong to and `partner_org_ids=` those sessions' partner
#: organizations. ORM flush hooks on Attendance never see these rows: whatever an area above
#: keeps up to date on an attendance's insert (a partner's sheet to sync, stored figures)
#: listens here too.
attendances_recorded = _signals.signal("attendances-recorded")
