"""surveys after class: a course version's questions, printed sheets, answers

Revision ID: c4e9a2f7b1d3
Revises: 74a3128fc3f4
Create Date: 2026-12-04 19:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e9a2f7b1d3'
down_revision = '74a3128fc3f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey', sa.JSON(), nullable=True))

    op.create_table('survey_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'number'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('survey_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_sheets_session_id'), ['session_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], ),
    sa.ForeignKeyConstraint(['sheet_id'], ['survey_sheets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sheet_id')
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_session_id'))
    op.drop_table('survey_answers')
    with op.batch_alter_table('survey_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_sheets_session_id'))
    op.drop_table('survey_sheets')
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('survey')
