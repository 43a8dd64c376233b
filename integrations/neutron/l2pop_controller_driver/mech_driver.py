"""The ML2 mechanism driver: every port change writes a journal row at precommit.

Entry point `l2pop_controller` in `neutron.ml2.mechanism_drivers`. It binds nothing; it only
observes. A commit that wrote journal rows wakes this process's publisher (hooks.py), so a change
reaches the controller at once; the journal process (get_workers) publishes what a process left
behind, e.g. one that died between its commit and its publish.
"""
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api
from oslo_log import log as logging

from neutron.db import l3_hamode_db

from l2pop_controller_driver import config
from l2pop_controller_driver import db
from l2pop_controller_driver import events
from l2pop_controller_driver import hooks
from l2pop_controller_driver import worker as journal_worker

LOG = logging.getLogger(__name__)


def effective_status(context, hint):
    """The status to announce for an HA router port (docs/deviations.md D5).

    Neutron rebinds an HA router's ports to each new master and ML2 then forces them DOWN until
    the new master's L2 agent reports them; the controller is told they stay as they were, so
    flooding to the hosting nodes does not flap on every failover. Any status change other than
    that rebind (an agent's report on the bound host) is passed on.
    """
    current = events.port_status(context.current['status'])
    original = context.original
    if original is None:
        return current
    before = events.port_status(original['status'])
    if current != before:
        rebind = (context.host != context.original_host and before == 'ACTIVE'
                  and current == 'DOWN')
        return 'ACTIVE' if rebind else current
    return hint.status if hint is not None else current


class L2popControllerMechanismDriver(api.MechanismDriver):

    def initialize(self):
        self.opts = config.options()
        hooks.install()
        if self.opts.start_worker:
            journal_worker.JournalWorker.from_config(self.opts)  # fails now on a bad config
            journal_worker.local_publisher.factory = (
                lambda: journal_worker.JournalWorker.from_config(self.opts))
        LOG.info('l2pop_controller mechanism driver initialized (publisher %s)',
                 'on' if self.opts.start_worker else 'off')

    def get_workers(self):
        if not self.opts.start_worker:
            return []
        return [journal_worker.JournalProcess(self.opts)]

    def _record_port(self, context):
        port = context.current
        session = context._plugin_context.session
        if l3_hamode_db.is_ha_router_port(context._plugin_context,
                                          port['device_owner'],
                                          port['device_id']):
            hint = session.get(db.PortStatusHint, port['id'])
            status = effective_status(context, hint)
            if hint is None:
                session.add(db.PortStatusHint(port_id=port['id'],
                                              status=status))
            else:
                hint.status = status
        db.record(session, db.PORT, port['id'],
                  {'networkId': port['network_id']})

    def create_port_precommit(self, context):
        self._record_port(context)

    def update_port_precommit(self, context):
        self._record_port(context)

    def delete_port_precommit(self, context):
        port = context.current
        session = context._plugin_context.session
        db.record(session, db.PORT_DELETE, port['id'], events.port_delete(port))
        session.query(db.PortStatusHint).filter_by(port_id=port['id']).delete()
        if port['device_owner'] == constants.DEVICE_OWNER_ROUTER_HA_INTF:
            # its L3HARouterAgentPortBinding goes by a database cascade the ORM never sees
            db.record(session, db.HA_SCHEDULE, port['device_id'])
