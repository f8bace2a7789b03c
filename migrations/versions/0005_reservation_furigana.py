"""a reservation may carry the reading of the name (フリガナ) for the clerk; a closed
counter may say when it is back

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('furigana', sa.String(length=100), nullable=True))
    with op.batch_alter_table('counters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('counters', schema=None) as batch_op:
        batch_op.drop_column('closed_until')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_column('furigana')
