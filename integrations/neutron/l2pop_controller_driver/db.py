"""The journal: one row per change, written in the transaction that makes the change.

The pattern of networking-odl's journal: a row per operation inserted at precommit, and a worker
that publishes pending rows in id order and marks them sent. A crash anywhere leaves the row
pending (commit without publish) or published and still pending (publish without mark); the next
worker run sends it again with the same deduplication id, `j<row id>`.
"""
import json

from neutron_lib.db import model_base
import sqlalchemy as sa

PENDING = 'pending'
SENT = 'sent'

# Row kinds. A port or HA-schedule row names the object; the worker reads its committed state
# when it publishes (revisions make a late read harmless). The others carry their event data.
PORT = 'port'
PORT_DELETE = 'port_delete'
HA_STATE = 'ha_state'
HA_SCHEDULE = 'ha_schedule'
AGENT = 'agent'


class JournalRow(model_base.BASEV2):
    __tablename__ = 'l2pop_controller_journal'

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                   primary_key=True, autoincrement=True)
    kind = sa.Column(sa.String(16), nullable=False)
    object_id = sa.Column(sa.String(255), nullable=False)
    data = sa.Column(sa.Text, nullable=True)
    state = sa.Column(sa.String(16), nullable=False, default=PENDING,
                      index=True)
    created_at = sa.Column(sa.DateTime, nullable=False,
                           server_default=sa.func.now())
    sent_at = sa.Column(sa.DateTime, nullable=True)


class PortStatusHint(model_base.BASEV2):
    """The status the controller was last told for an HA router port (docs/deviations.md D5)."""
    __tablename__ = 'l2pop_controller_port_status'

    port_id = sa.Column(sa.String(36), primary_key=True)
    status = sa.Column(sa.String(16), nullable=False)


# session.info key: this transaction wrote journal rows (hooks.py wakes the publisher on commit)
JOURNALED = 'l2pop_controller_journaled'


def record(session, kind, object_id, data=None):
    session.info[JOURNALED] = True
    session.add(JournalRow(kind=kind, object_id=object_id, state=PENDING,
                           data=None if data is None else json.dumps(data)))


def pending(session, limit):
    """The oldest pending rows, locked (FOR UPDATE on MySQL/PostgreSQL): one publisher at a time."""
    return (session.query(JournalRow).filter(JournalRow.state == PENDING)
            .order_by(JournalRow.id).limit(limit).with_for_update().all())


def mark_sent(session, rows, now):
    for row in rows:
        row.state = SENT
        row.sent_at = now
