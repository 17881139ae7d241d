"""reports: per-session figures added up ahead of time, a data version; the public page kept

Revision ID: a7d3f1c9e2b4
Revises: e1c7f3a9b5d2
Create Date: 2026-12-07 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3f1c9e2b4'
down_revision = 'e1c7f3a9b5d2'
branch_labels = None
depends_on = None

# The counts as app.reports.stored.session_counts wrote them when this table was made (a
# migration keeps its own copy: the app's rule may change later, the app then rebuilds with
# `flask --app app reports-rebuild`).
BACKFILL = """
INSERT INTO report_session_figures
    (session_id, present, registered, waitlisted, no_show, instructors, assistants)
SELECT s.id,
    (SELECT count(*) FROM attendances a
        WHERE a.session_id = s.id AND a.status IN ('present', 'late')),
    (SELECT count(*) FROM registrations r
        WHERE r.session_id = s.id AND r.status = 'registered'),
    (SELECT count(*) FROM registrations r
        WHERE r.session_id = s.id AND r.status = 'waitlisted'),
    (SELECT count(*) FROM registrations r
        WHERE r.session_id = s.id AND r.status = 'registered'
        AND NOT EXISTS (SELECT 1 FROM attendances a
            WHERE a.registration_id = r.id AND a.status != 'absent')),
    (SELECT count(*) FROM session_staff st
        WHERE st.session_id = s.id AND st.role = 'instructor'),
    (SELECT count(*) FROM session_staff st
        WHERE st.session_id = s.id AND st.role = 'assistant')
FROM sessions s
"""


def upgrade():
    op.create_table('report_session_figures',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('waitlisted', sa.Integer(), nullable=False),
    sa.Column('no_show', sa.Integer(), nullable=False),
    sa.Column('instructors', sa.Integer(), nullable=False),
    sa.Column('assistants', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_report_session_figures_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_report_session_figures'))
    )
    op.execute(BACKFILL)
    op.create_table('report_data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_data_version'))
    )
    op.execute("INSERT INTO report_data_version (id, version) VALUES (1, 1)")
    op.create_table('report_visits',
    sa.Column('attendance_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('prev_at', sa.DateTime(), nullable=True),
    sa.Column('course_prev_at', sa.DateTime(), nullable=True),
    sa.Column('other_at', sa.DateTime(), nullable=True),
    sa.Column('other_max', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attendance_id'], ['attendances.id'], name=op.f('fk_report_visits_attendance_id_attendances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attendance_id', name=op.f('pk_report_visits'))
    )
    with op.batch_alter_table('report_visits', schema=None) as batch_op:
        batch_op.create_index('ix_report_visits_starts_at', ['starts_at', 'prev_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_visits_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_visits_session_id'), ['session_id'], unique=False)
    # The visits are written by the app's own statement (window functions over attendance):
    # the one place their rule is kept.
    from app.reports.visits import rebuild as write_visits

    write_visits(op.get_bind())
    op.create_table('public_achievement_pages',
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('locale', name=op.f('pk_public_achievement_pages'))
    )


def downgrade():
    op.drop_table('public_achievement_pages')
    op.drop_table('report_visits')
    op.drop_table('report_data_version')
    op.drop_table('report_session_figures')
