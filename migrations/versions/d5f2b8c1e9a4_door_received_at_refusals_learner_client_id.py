"""door: attendances.received_at, learners.client_id, door_refusals

Revision ID: d5f2b8c1e9a4
Revises: c4e1a9d2b7f3
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f2b8c1e9a4'
down_revision = 'c4e1a9d2b7f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('learners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_learners_client_id'), ['client_id'])
    op.create_table(
        'door_refusals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=64), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=True),
        sa.Column('typed_name', sa.String(length=100), nullable=True),
        sa.Column('scanned_at', sa.DateTime(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_door_refusals_learner_id_learners')),
        sa.ForeignKeyConstraint(
            ['recorded_by_id'], ['users.id'], name=op.f('fk_door_refusals_recorded_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['session_id'], ['sessions.id'], name=op.f('fk_door_refusals_session_id_sessions')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_door_refusals')),
        sa.UniqueConstraint('client_id', name=op.f('uq_door_refusals_client_id')),
    )
    with op.batch_alter_table('door_refusals', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_door_refusals_session_id'), ['session_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('door_refusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_door_refusals_session_id'))
    op.drop_table('door_refusals')
    with op.batch_alter_table('learners', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_learners_client_id'), type_='unique')
        batch_op.drop_column('client_id')
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_column('received_at')
