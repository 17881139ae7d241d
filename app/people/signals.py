"""What app.people tells and asks the areas above it (see app.signals). Attendance and skills
are app.checkin's rows; a merge of two learner records moves them through these."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Asked with a list of learner ids: receivers return the ids of those learners' registrations
#: that were attended. Of two registrations of one person for one session, the attended one
#: is kept.
attended_registrations = _signals.signal("attended-registrations")

#: Sent with a registration a merge is about to delete: receivers delete their rows that
#: point at it.
registration_dropping = _signals.signal("registration-dropping")

#: Sent with the learner that stays and `other=` the one merged into it, before `other` is
#: deleted: receivers move other's rows to the learner that stays and return {what: moved}.
learner_merging = _signals.signal("learner-merging")

#: Asked with the learner that would stay and `other=`: receivers return {what: count} of the
#: rows a merge would move, for the confirmation page.
merge_previewed = _signals.signal("merge-previewed")

#: Asked with the learner whose page is shown, `user=` who looks and `registrations=` the
#: registrations the page lists: receivers return what the page shows of their area, as
#: {"attendance": {registration id: row}, "statuses": {registration id: status},
#: "skills": [groups of (skill, reached) by course]}.
learner_page_shown = _signals.signal("learner-page-shown")
