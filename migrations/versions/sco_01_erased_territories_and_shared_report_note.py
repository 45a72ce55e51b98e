"""erased residents' territories, report note shared with the structure

Revision ID: sco_01
Revises: sec_01
Create Date: 2026-11-24 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'sco_01'
down_revision = 'sec_01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('erased_ids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('territory_ids', postgresql.ARRAY(sa.UUID()),
                                      nullable=True))
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_note_shared', sa.Boolean(),
                                      server_default=sa.text('false'), nullable=False))


def downgrade():
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.drop_column('report_note_shared')
    with op.batch_alter_table('erased_ids', schema=None) as batch_op:
        batch_op.drop_column('territory_ids')
