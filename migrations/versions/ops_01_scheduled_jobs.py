"""scheduled jobs: one row per job, its lease and its last run

Revision ID: ops_01
Revises: sco_01
Create Date: 2026-12-07 04:36:09.815188
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'ops_01'
down_revision = 'sco_01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scheduled_jobs',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_owner', sa.String(length=200), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_duration_ms', sa.Integer(), nullable=True),
        sa.Column('last_outcome', sa.String(length=20), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_summary', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('runs_total', sa.BigInteger(), nullable=False),
        sa.Column('failures_total', sa.BigInteger(), nullable=False),
        sa.CheckConstraint("last_outcome IN ('running', 'ok', 'failed')",
                           name=op.f('ck_scheduled_jobs_outcome_known')),
        sa.CheckConstraint('(lease_owner IS NULL) = (lease_until IS NULL)',
                           name=op.f('ck_scheduled_jobs_lease_whole')),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduled_jobs')),
    )


def downgrade():
    op.drop_table('scheduled_jobs')
