"""the calendar changed from a date on: weekly plans of opening hours (valid_from) and
the seats per slot per procedure (slot_capacities)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Existing hours are the plan "since always" (valid_from empty).
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
    op.create_table(
        'slot_capacities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'],
                                name=op.f('fk_slot_capacities_location_id_locations')),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_slot_capacities_service_id_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_slot_capacities')),
        sa.UniqueConstraint('location_id', 'service_id', 'valid_from', name=op.f('uq_slot_capacities_location_id')),
    )
    with op.batch_alter_table('slot_capacities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slot_capacities_location_id'), ['location_id'], unique=False)


def downgrade():
    with op.batch_alter_table('slot_capacities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slot_capacities_location_id'))
    op.drop_table('slot_capacities')
    # Without valid_from, the later weekly plans would read as more hours "since always".
    op.execute("DELETE FROM opening_hours WHERE valid_from IS NOT NULL")
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_column('valid_from')
