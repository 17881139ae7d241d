"""learners.anonymized_at: the retention rule removed what identifies the person

Revision ID: e7b3a1c9d4f2
Revises: d5f2b8c1e9a4
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b3a1c9d4f2'
down_revision = 'd5f2b8c1e9a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('learners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymized_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('learners', schema=None) as batch_op:
        batch_op.drop_column('anonymized_at')
