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


class PublisherLease(model_base.BASEV2):
    """One row: which publisher may send, until when. One publisher at a time keeps the order."""
    __tablename__ = 'l2pop_controller_lease'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    holder = sa.Column(sa.String(255), nullable=False)
    expires_at = sa.Column(sa.DateTime, nullable=False)


LEASE_ID = 1


def take_lease(session, holder, now, until):
    """True when `holder` holds the lease until `until`: it held it, or it had expired."""
    lease = session.get(PublisherLease, LEASE_ID)
    if lease is None:
        session.add(PublisherLease(id=LEASE_ID, holder=holder, expires_at=until))
        return True
    taken = session.query(PublisherLease).filter(
        PublisherLease.id == LEASE_ID,
        sa.or_(PublisherLease.holder == holder,
               PublisherLease.expires_at < now)).update(
        {'holder': holder, 'expires_at': until}, synchronize_session=False)
    return taken == 1


def release_lease(session, holder, now):
    session.query(PublisherLease).filter(
        PublisherLease.id == LEASE_ID, PublisherLease.holder == holder).update(
        {'expires_at': now}, synchronize_session=False)


def pending(session, limit):
    """The oldest pending rows, in id order (no row lock: the lease makes one publisher)."""
    return (session.query(JournalRow).filter(JournalRow.state == PENDING)
            .order_by(JournalRow.id).limit(limit).all())


def mark_sent(session, row_ids, now):
    session.query(JournalRow).filter(JournalRow.id.in_(row_ids)).update(
        {'state': SENT, 'sent_at': now}, synchronize_session=False)
