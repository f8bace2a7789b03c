"""home-visit applications (outreach_requests), the waitlist of full days
(waitlist_entries) and the seats held for it (seat_holds)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Times are naive UTC (TokyoDateTime), as in the other tables.
    op.create_table('outreach_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('applicants', sa.Integer(), nullable=False),
    sa.Column('express', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=True),
    sa.Column('visit_start', sa.DateTime(), nullable=True),
    sa.Column('staff', sa.String(length=200), nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('purged_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_requests'))
    )
    with op.batch_alter_table('outreach_requests', schema=None) as batch_op:
        batch_op.create_index('ix_outreach_requests_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_outreach_requests_visit_date', ['visit_date'], unique=False)
        batch_op.create_index('uq_outreach_requests_open_email', ['email'], unique=True, sqlite_where=sa.text("status IN ('new', 'scheduled')"), postgresql_where=sa.text("status IN ('new', 'scheduled')"))
        batch_op.create_index('uq_outreach_requests_open_phone', ['phone'], unique=True, sqlite_where=sa.text("status IN ('new', 'scheduled')"), postgresql_where=sa.text("status IN ('new', 'scheduled')"))

    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('purged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_waitlist_entries_location_id_locations')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_waitlist_entries_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_waitlist_entries_token_hash'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_entries_queue', ['location_id', 'day', 'status', 'id'], unique=False)
        batch_op.create_index('uq_waitlist_entries_active_email', ['service_id', 'day', 'email'], unique=True, sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))

    op.create_table('seat_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['waitlist_entries.id'], name=op.f('fk_seat_holds_entry_id_waitlist_entries')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_seat_holds_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_seat_holds_service_id_services')),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_seat_holds_slot_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_holds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_seat_holds_token_hash'))
    )
    with op.batch_alter_table('seat_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_holds_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('ix_seat_holds_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index('uq_seat_holds_open_entry', ['entry_id'], unique=True, sqlite_where=sa.text("status = 'offered'"), postgresql_where=sa.text("status = 'offered'"))



def downgrade():
    with op.batch_alter_table('seat_holds', schema=None) as batch_op:
        batch_op.drop_index('uq_seat_holds_open_entry', sqlite_where=sa.text("status = 'offered'"), postgresql_where=sa.text("status = 'offered'"))
        batch_op.drop_index('ix_seat_holds_status_expires')
        batch_op.drop_index(batch_op.f('ix_seat_holds_slot_id'))

    op.drop_table('seat_holds')
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_waitlist_entries_active_email', sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))
        batch_op.drop_index('ix_waitlist_entries_queue')

    op.drop_table('waitlist_entries')
    with op.batch_alter_table('outreach_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_outreach_requests_open_phone', sqlite_where=sa.text("status IN ('new', 'scheduled')"), postgresql_where=sa.text("status IN ('new', 'scheduled')"))
        batch_op.drop_index('uq_outreach_requests_open_email', sqlite_where=sa.text("status IN ('new', 'scheduled')"), postgresql_where=sa.text("status IN ('new', 'scheduled')"))
        batch_op.drop_index('ix_outreach_requests_visit_date')
        batch_op.drop_index('ix_outreach_requests_status_created')

    op.drop_table('outreach_requests')
