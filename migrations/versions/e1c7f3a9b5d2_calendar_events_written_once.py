"""calendar events written once: each VEVENT's bytes by a digest of its content

Revision ID: e1c7f3a9b5d2
Revises: c4e9a2f7b1d3
Create Date: 2026-12-07 15:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e1c7f3a9b5d2"
down_revision = "c4e9a2f7b1d3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_events",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_calendar_events")),
    )
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_events_used_on"), ["used_on"], unique=False)


def downgrade():
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_events_used_on"))

    op.drop_table("calendar_events")
