"""closures of part of a day, with the reason in Japanese and English, the emergency
flag, who made them and when, and when they were taken back (reopened)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Existing closures were whole days, planned, with a Japanese reason: the defaults
    # fill them in so; times are naive UTC (TokyoDateTime).
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('ends', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('reason_en', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('emergency', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('created_by', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reopened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reopened_by', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('closures', schema=None) as batch_op:
        for name in ('reopened_by', 'reopened_at', 'created_at', 'created_by', 'emergency',
                     'reason_en', 'ends', 'starts'):
            batch_op.drop_column(name)
