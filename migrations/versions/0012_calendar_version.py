"""locations.calendar_version: raised by every change to a place's calendar, so a
booking in any process knows its plan is current (services/calendar.py)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('calendar_version')
