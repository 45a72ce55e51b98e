"""two-factor sign-in; notifications tied to the referral they are about

Revision ID: sec_01
Revises: admin_01
Create Date: 2026-12-07 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = 'sec_01'
down_revision = 'admin_01'
branch_labels = None
depends_on = None

REFERRAL_KINDS = ("referral_referred", "referral_unreachable_structure", "referral_assigned",
                  "referral_returned")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    op.create_table('recovery_codes',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('digest', name=op.f('uq_recovery_codes_digest'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_id', sa.UUID(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_referral_id'), ['referral_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_referral_id_referrals'),
                                    'referrals', ['referral_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_notifications_state_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_notifications_state_known'),
            "state IN ('pending', 'sent', 'failed', 'cancelled')")
    # Messages written before: the referral is the second part of their deduplication key.
    op.execute(sa.text(
        "UPDATE notifications SET referral_id = split_part(dedup_key, ':', 2)::uuid "
        "WHERE kind IN :kinds AND split_part(dedup_key, ':', 2) ~ "
        "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
        "AND split_part(dedup_key, ':', 2)::uuid IN (SELECT id FROM referrals)"
    ).bindparams(sa.bindparam('kinds', REFERRAL_KINDS, expanding=True)))


def downgrade():
    op.execute(sa.text("UPDATE notifications SET state = 'failed' WHERE state = 'cancelled'"))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_state_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_state_known'),
                                         "state IN ('pending', 'sent', 'failed')")
        batch_op.drop_constraint(batch_op.f('fk_notifications_referral_id_referrals'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_referral_id'))
        batch_op.drop_column('referral_id')

    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
