"""Neutron 21's server, in-process, on the in-memory DB of its own unit-test base class.

`NeutronBed` is a unit-test case of Neutron's ML2 test base
(`neutron.tests.unit.plugins.ml2.test_plugin.Ml2PluginV2TestCase`), which sets up the ML2 plugin
on sqlite in memory, with a fake oslo.messaging transport. On top of what that base loads, the bed
configures:

- mechanism drivers `openvswitch` and `l2population` (the driver under test);
- the production L3 service plugin (`L3RouterPlugin`, with its HA scheduler), plus the
  `flavors` plugin it depends on; routers are never auto-scheduled;
- the tenant network type of the HA network (`l3_ha_network_type`, default `local`) and VNI/GRE
  ranges for it.

Two things are not Neutron's own:

- the RPC client of the l2pop notifier (`L2populationAgentNotifyAPI.client`) is a recorder, so
  every cast Neutron makes is kept, in order, instead of going to a bus;
- the clock: `oslo_utils.timeutils` is pinned to one instant for the whole run. Agent liveness is
  `heartbeat_timestamp` against `agent_down_time` (`neutron/agent/common/utils.py`,
  `is_agent_down`), and HA state reads demote the routers of "dead" agents
  (`l3_hamode_db._get_bindings_and_update_router_state_for_dead_agents`). With a pinned clock
  every agent stays alive however long the run takes, so a loaded machine gives the same answer
  as an idle one.

The case has one test method, `test_drive`, which hands the set-up bed to `drive(bed)`.
"""

import copy
import datetime

PINNED_NOW = datetime.datetime(2024, 1, 1, 0, 0, 0)


class Cast(object):
    """One recorded l2pop cast: `target` is `fanout` or the host it was addressed to."""

    __slots__ = ('method', 'target', 'fdb_entries', 'tag')

    def __init__(self, method, target, fdb_entries, tag):
        self.method = method
        self.target = target
        self.fdb_entries = fdb_entries
        self.tag = tag


class RecordingRpcClient(object):
    """Stands in for the oslo.messaging client of the l2pop notifier.

    `prepare(fanout=True)` is a broadcast to every agent, `prepare(server=host)` a cast to one.
    The payload is deep-copied at cast time: Neutron may reuse the dict it passed.
    """

    def __init__(self, sink, tag_of):
        self._sink = sink
        self._tag_of = tag_of

    def prepare(self, topic=None, fanout=False, server=None, **_kwargs):
        return _PreparedCast(self, 'fanout' if fanout else server)

    def _record(self, target, method, fdb_entries):
        self._sink.append(Cast(method, target, copy.deepcopy(fdb_entries), self._tag_of()))


class _PreparedCast(object):
    def __init__(self, client, target):
        self._client = client
        self._target = target

    def cast(self, _context, method, fdb_entries=None, **_kwargs):
        self._client._record(self._target, method, fdb_entries)

    def call(self, *_args, **_kwargs):
        raise AssertionError('the l2pop notifier only casts')


def make_bed_class():
    """Builds the test-case class; imports Neutron's test machinery (about 3 s) on first use."""
    from neutron_lib.plugins import constants as plugin_constants
    from neutron_lib.plugins import directory
    from oslo_config import cfg
    from oslo_utils import timeutils

    from neutron.tests.unit.plugins.ml2 import test_plugin

    class NeutronBed(test_plugin.Ml2PluginV2TestCase):
        _mechanism_drivers = ['openvswitch', 'l2population']
        l3_plugin = 'neutron.services.l3_router.l3_router_plugin.L3RouterPlugin'

        #: set by `run_in_bed` before the case runs
        ha_network_type = 'local'
        drive = None
        outcome = None

        def get_additional_service_plugins(self):
            # L3RouterPlugin exposes the l3-flavors extension, which needs the flavors plugin.
            return {'flavors': 'flavors'}

        def setup_config(self):
            # Called by Neutron's BaseTestCase.setUp before any plugin is loaded.
            super().setup_config()
            from neutron.conf.db import l3_agentschedulers_db
            from neutron.conf.db import l3_hamode_db
            from neutron.conf.plugins.ml2 import config as ml2_config
            from neutron.conf.plugins.ml2.drivers import driver_type
            l3_agentschedulers_db.register_db_l3agentschedulers_opts()
            l3_hamode_db.register_db_l3_hamode_opts()
            ml2_config.register_ml2_plugin_opts()
            driver_type.register_ml2_drivers_vxlan_opts()
            driver_type.register_ml2_drivers_gre_opts()
            overrides = [
                ('router_auto_schedule', False, None),
                ('notify_nova_on_port_status_changes', False, None),
                ('notify_nova_on_port_data_changes', False, None),
                ('l3_ha_network_type', self.ha_network_type, None),
                ('vni_ranges', ['900000:900999'], 'ml2_type_vxlan'),
                ('tunnel_id_ranges', ['900000:900999'], 'ml2_type_gre'),
            ]
            for name, value, group in overrides:
                cfg.CONF.set_override(name, value, group=group)

        def test_drive(self):
            timeutils.set_time_override(PINNED_NOW)
            self.addCleanup(timeutils.clear_time_override)
            self.core = directory.get_plugin()
            self.l3 = directory.get_plugin(plugin_constants.L3)
            self.casts = []
            self.current_step = (-1, 'setup')
            driver = self.core.mechanism_manager.mech_drivers['l2population'].obj
            driver.L2populationAgentNotify.client = RecordingRpcClient(
                self.casts, lambda: self.current_step)
            type(self).outcome = type(self).drive(self)

    return NeutronBed


_BED_CLASS = None


def run_in_bed(drive, ha_network_type='local'):
    """Runs `drive(bed)` inside a fresh bed and returns what it returned.

    Raises RuntimeError with the test machinery's report when setup or `drive` fails.
    """
    import testtools

    global _BED_CLASS
    if _BED_CLASS is None:
        _BED_CLASS = make_bed_class()
    cls = _BED_CLASS
    cls.ha_network_type = ha_network_type
    cls.drive = staticmethod(drive)
    cls.outcome = None
    result = testtools.TestResult()
    cls('test_drive').run(result)
    failures = result.errors + result.failures
    if failures:
        raise RuntimeError('\n'.join(report for _case, report in failures))
    return cls.outcome
