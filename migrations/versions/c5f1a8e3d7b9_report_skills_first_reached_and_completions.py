"""reports: skills first reached and courses completed, per learner and added up per class

Revision ID: c5f1a8e3d7b9
Revises: b3e8d2f6a1c4
Create Date: 2026-12-07 23:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5f1a8e3d7b9'
down_revision = 'b3e8d2f6a1c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_first_reaches',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_report_first_reaches_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('learner_id', 'course_id', 'key', name=op.f('pk_report_first_reaches'))
    )
    with op.batch_alter_table('report_first_reaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_first_reaches_session_id'), ['session_id'], unique=False)
    op.create_table('report_completions',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_report_completions_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('learner_id', 'course_id', name=op.f('pk_report_completions'))
    )
    with op.batch_alter_table('report_completions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_completions_session_id'), ['session_id'], unique=False)
    op.create_table('report_session_skills',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('learners', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_report_session_skills_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'course_id', 'key', name=op.f('pk_report_session_skills'))
    )
    op.create_table('report_session_completions',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('learners', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_report_session_completions_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'course_id', name=op.f('pk_report_session_completions'))
    )
    # Written by the app's own code: the rule is the certificates' (Python, not one
    # statement), the one place it is kept.
    from app.reports.reaches import rebuild as write_reaches

    write_reaches(op.get_bind())


def downgrade():
    op.drop_table('report_session_completions')
    op.drop_table('report_session_skills')
    with op.batch_alter_table('report_completions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_completions_session_id'))
    op.drop_table('report_completions')
    with op.batch_alter_table('report_first_reaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_first_reaches_session_id'))
    op.drop_table('report_first_reaches')
