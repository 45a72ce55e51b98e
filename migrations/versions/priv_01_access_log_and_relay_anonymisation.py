"""Access log with its guard trigger (append-only, purge only by the retention job); relays.anonymised_at

Revision ID: priv_01
Revises: notif_01
Create Date: 2026-11-22 00:40:17.677044
"""  # noqa: E501 - the first line is the revision message alembic prints: kept whole
import sqlalchemy as sa
from alembic import op

revision = 'priv_01'
down_revision = 'notif_01'
branch_labels = None
depends_on = None

# The application may add rows, never change them. Deleting needs the retention setting,
# given by the retention job for its own transaction only:
#   SELECT set_config('bienveilleurs.access_log_days', '<ACCESS_LOG_DAYS>', true)
# and then only rows older than that many days (by the database clock) may go. TRUNCATE is
# refused unless `bienveilleurs.allow_access_log_truncate` is on (the test suite's cleanup).
GUARD = r'''
CREATE FUNCTION access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days integer;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'access_log is append-only: UPDATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    BEGIN
        days := nullif(current_setting('bienveilleurs.access_log_days', true), '')::integer;
    EXCEPTION WHEN invalid_text_representation THEN
        days := NULL;
    END;
    IF days IS NULL OR days < 1 THEN
        RAISE EXCEPTION 'access_log: DELETE refused outside the retention job'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.at > now() - make_interval(days => days) THEN
        RAISE EXCEPTION 'access_log: row % is younger than % days, DELETE refused', OLD.id, days
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER access_log_guard BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_guard();

CREATE FUNCTION access_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('bienveilleurs.allow_access_log_truncate', true), '') <> 'on' THEN
        RAISE EXCEPTION 'access_log: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_no_truncate();
'''


def upgrade():
    op.create_table('access_log',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.UUID(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.UUID(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_at', ['at'], unique=False)
        batch_op.create_index('ix_access_log_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_log_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('relays', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))

    op.execute(GUARD)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
    op.execute("DROP TRIGGER IF EXISTS access_log_guard ON access_log")
    op.execute("DROP FUNCTION IF EXISTS access_log_guard()")
    op.execute("DROP FUNCTION IF EXISTS access_log_no_truncate()")
    with op.batch_alter_table('relays', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_log_user_id'))
        batch_op.drop_index('ix_access_log_object')
        batch_op.drop_index('ix_access_log_at')

    op.drop_table('access_log')
