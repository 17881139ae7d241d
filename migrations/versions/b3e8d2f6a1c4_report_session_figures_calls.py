"""reports: the day-before calls counted per session with the other figures

Revision ID: b3e8d2f6a1c4
Revises: a7d3f1c9e2b4
Create Date: 2026-12-07 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e8d2f6a1c4'
down_revision = 'a7d3f1c9e2b4'
branch_labels = None
depends_on = None

CALL_COLUMNS = ("confirmed", "confirmed_absent", "not_reached", "not_reached_absent", "seats_passed")

# The counts as app.reports.stored.call_counts wrote them when these columns were made (a
# migration keeps its own copy: the app's rule may change later, the app then rebuilds with
# `flask --app app reports-rebuild`).
_LAST = """(SELECT c.outcome FROM confirmation_calls c WHERE c.registration_id = r.id
            ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1)"""
_ABSENT = """NOT EXISTS (SELECT 1 FROM attendances a WHERE a.registration_id = r.id
            AND a.status IN ('present', 'late'))"""
_CONFIRMED = f"{_LAST} = 'attending'"
_NOT_REACHED = f"({_LAST} IS NULL OR {_LAST} IN ('no_answer', 'message_left'))"


def _registered(*where: str) -> str:
    conditions = " AND ".join(("r.session_id = f.session_id", "r.status = 'registered'", *where))
    return f"(SELECT count(*) FROM registrations r WHERE {conditions})"


BACKFILL = f"""
UPDATE report_session_figures AS f SET
    confirmed = {_registered(_CONFIRMED)},
    confirmed_absent = {_registered(_CONFIRMED, _ABSENT)},
    not_reached = {_registered(_NOT_REACHED)},
    not_reached_absent = {_registered(_NOT_REACHED, _ABSENT)},
    seats_passed = (SELECT count(*) FROM confirmation_calls c
        JOIN registrations r ON r.id = c.registration_id
        WHERE r.session_id = f.session_id AND c.promoted_id IS NOT NULL)
"""


def upgrade():
    with op.batch_alter_table('report_session_figures', schema=None) as batch_op:
        for name in CALL_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('report_session_figures', schema=None) as batch_op:
        for name in reversed(CALL_COLUMNS):
            batch_op.drop_column(name)
