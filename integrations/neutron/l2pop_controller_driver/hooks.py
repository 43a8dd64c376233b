"""L3 HA and agent hooks: journal rows for HA scheduling, HA state reports and L2 agent reports.

Neutron publishes no in-transaction callback for these, so, like Neutron's own RevisionPlugin,
they listen to SQLAlchemy's `before_flush` and add the journal row to the flushing session: the
row commits with the change or not at all, whatever code path made it.
"""
import json

from neutron_lib.db import api as db_api
from oslo_log import log as logging
import sqlalchemy
from sqlalchemy.orm import session as se

from neutron.agent.common import utils as agent_utils
from neutron.db.models import agent as agent_model
from neutron.db.models import l3ha as l3ha_model

from l2pop_controller_driver import config
from l2pop_controller_driver import db
from l2pop_controller_driver import events
from l2pop_controller_driver import worker

LOG = logging.getLogger(__name__)
_installed = []


def install():
    """Idempotent: the listeners are per process, on every Neutron session."""
    if not _installed:
        db_api.sqla_listen(se.Session, 'before_flush', _before_flush)
        db_api.sqla_listen(se.Session, 'after_commit', _after_commit)
        db_api.sqla_listen(se.Session, 'after_rollback', _after_rollback)
        _installed.append(True)


def _after_commit(session):
    if session.info.pop(db.JOURNALED, False):
        worker.local_publisher.wake()


def _after_rollback(session):
    session.info.pop(db.JOURNALED, None)


def _history(obj, attr):
    """(old, new) of a column in this flush; old is None for a new object."""
    h = sqlalchemy.inspect(obj).attrs[attr].history
    new = h.added[0] if h.added else (h.unchanged[0] if h.unchanged else None)
    old = h.deleted[0] if h.deleted else (h.unchanged[0] if h.unchanged else None)
    return old, new


def _agent_facts(agent, configurations, started_at):
    try:
        conf = json.loads(configurations or '{}')
    except ValueError:
        conf = {}
    return events.agent_facts(agent.agent_type, agent.host, conf,
                              started_at or agent.created_at)


def _on_agent(session, agent, is_new):
    if agent.agent_type not in config.options().agent_types:
        return
    new_conf, new_start = agent.configurations, agent.started_at
    facts = _agent_facts(agent, new_conf, new_start)
    if not is_new:
        old_conf = _history(agent, 'configurations')[0]
        old_start = _history(agent, 'started_at')[0]
        if _agent_facts(agent, old_conf, old_start) == facts:
            return  # a heartbeat, or a configuration change l2pop ignores
    db.record(session, db.AGENT, agent.host, facts)


def _on_binding(session, binding, is_new, is_deleted):
    if is_new or is_deleted:
        db.record(session, db.HA_SCHEDULE, binding.router_id)
        return
    old_agent, new_agent = _history(binding, 'l3_agent_id')
    if old_agent != new_agent:
        db.record(session, db.HA_SCHEDULE, binding.router_id)
    old_state, new_state = _history(binding, 'state')
    agent = binding.agent
    if old_state == new_state or agent is None:
        return
    # Neutron rewrites an `active` row of a dead L3 agent to standby/unknown when it reads the
    # bindings; the controller has no liveness facts (docs/deviations.md D13): only reports.
    if agent_utils.is_agent_down(agent.heartbeat_timestamp):
        LOG.debug('l2pop_controller: HA state of dead agent %s not sent', agent.host)
        return
    db.record(session, db.HA_STATE, binding.router_id,
              {'routerId': binding.router_id, 'host': agent.host,
               'state': new_state})


def _before_flush(session, flush_context, instances):
    for obj in list(session.new):
        if isinstance(obj, agent_model.Agent):
            _on_agent(session, obj, True)
        elif isinstance(obj, l3ha_model.L3HARouterAgentPortBinding):
            _on_binding(session, obj, True, False)
    for obj in list(session.dirty):
        if not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, agent_model.Agent):
            _on_agent(session, obj, False)
        elif isinstance(obj, l3ha_model.L3HARouterAgentPortBinding):
            _on_binding(session, obj, False, False)
    for obj in list(session.deleted):
        if isinstance(obj, l3ha_model.L3HARouterAgentPortBinding):
            _on_binding(session, obj, False, True)
