"""outbox: a message being sent keeps its Message-ID, so a re-send after a crash is recognisable

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('sending_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('interrupted_sends', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('interrupted_sends')
        batch_op.drop_column('sending_since')
        batch_op.drop_column('message_id')
