#!/usr/bin/python3
"""Runs one cloud scenario through the real Neutron 21 server code with two mechanism drivers
loaded side by side: Neutron's own `l2population` and this project's `l2pop_controller`.

Neutron is the ML2 plugin with the L3 HA router plugin on sqlite, set up by Neutron's own unit
test base (`Ml2PluginV2TestCase`), as Neutron's l2pop tests load drivers. Networks, subnets and
ports go through Neutron's REST API (the test base's WSGI app); agents act through the
server-side RPC handlers they call (report_state, update_device_up/down, sync_routers,
update_ha_routers_states). The l2pop driver's RPC casts are recorded by patching its notifier,
as Neutron's own l2pop tests do. The l2pop_controller journal worker publishes to the SQS queues
named in the config, one JSON line on stdin, read once Neutron is imported (so the caller can start
its controllers meanwhile):

  {"endpoint": "http://127.0.0.1:PORT", "region": "us-east-1", "crash": true,
   "stacks": [{"port": URL, "ha": URL, "agent": URL}, ...]}

Every batch goes to each stack's queues (one controller per HA strategy, one Neutron run).

Prints one JSON document on stdout: Neutron's l2pop messages, agents, networks, the HA router,
the hosts with local ports per network, and the crash test's journal counts.
"""
import atexit
import contextlib
import io
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback

STARTED = time.time()
HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
PAUSE_ENV = 'L2POP_CONTROLLER_TEST_PAUSE_AT'  # the driver's test seam (worker.py)
PAUSE_MARKER = 'l2pop-controller-test-paused'

ENTRY_POINTS = """[neutron.ml2.mechanism_drivers]
l2pop_controller = l2pop_controller_driver.mech_driver:L2popControllerMechanismDriver
"""


def make_discoverable():
    """What `pip install` of integrations/neutron does for stevedore: a dist-info with the entry point."""
    site = tempfile.mkdtemp(prefix='l2pop-driver-site-')
    atexit.register(shutil.rmtree, site, True)
    info = os.path.join(site, 'l2pop_controller_driver-0.1.0.dist-info')
    os.mkdir(info)
    with open(os.path.join(info, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: l2pop-controller-driver\n'
                'Version: 0.1.0\n')
    with open(os.path.join(info, 'entry_points.txt'), 'w') as f:
        f.write(ENTRY_POINTS)
    sys.path[:0] = [PACKAGE_ROOT, site]


AGENTS = [  # host, tunnel IP, runs an L3 agent
    ('compute1', '192.0.2.11', False),
    ('compute2', '192.0.2.12', False),
    ('compute3', '192.0.2.13', False),
    ('network1', '192.0.2.21', True),
    ('network2', '192.0.2.22', True),
]


def build_case(config, out):
    from unittest import mock

    from neutron_lib.api.definitions import portbindings
    from neutron_lib.api.definitions import provider_net as pnet
    from neutron_lib import constants
    from neutron_lib import context as n_context
    from neutron_lib.plugins import constants as plugin_constants
    from neutron_lib.plugins import directory
    from oslo_config import cfg

    from neutron.api.rpc.handlers import l3_rpc
    from neutron.plugins.ml2 import managers
    from neutron.plugins.ml2 import rpc as ml2_rpc
    from neutron.tests.common import helpers
    from neutron.tests.unit.plugins.ml2 import test_plugin

    from l2pop_controller_driver import config as driver_config
    from l2pop_controller_driver import db as journal_db
    from l2pop_controller_driver import worker as journal_worker

    class Scenario(test_plugin.Ml2PluginV2TestCase):
        _mechanism_drivers = ['openvswitch', 'l2population', 'l2pop_controller']
        l3_plugin = 'neutron.services.l3_router.l3_router_plugin.L3RouterPlugin'

        def get_additional_service_plugins(self):
            # `revisions` is one of neutron-server's default service plugins
            return {'flavors': 'flavors', 'revisions': 'revisions'}

        def setup_config(self):
            super(Scenario, self).setup_config()
            from neutron.conf.db import l3_agentschedulers_db
            from neutron.conf.db import l3_hamode_db
            from neutron.conf.plugins.ml2.drivers import driver_type
            l3_agentschedulers_db.register_db_l3agentschedulers_opts()
            l3_hamode_db.register_db_l3_hamode_opts()
            driver_type.register_ml2_drivers_vxlan_opts()
            driver_config.register_opts()
            cfg.CONF.set_override('router_auto_schedule', False)
            cfg.CONF.set_override('agent_down_time', 10 ** 7)
            cfg.CONF.set_override('notify_nova_on_port_status_changes', False)
            cfg.CONF.set_override('notify_nova_on_port_data_changes', False)
            cfg.CONF.set_override('l3_ha_network_type', 'local')
            cfg.CONF.set_override('vni_ranges', ['1000:1999'],
                                  group='ml2_type_vxlan')
            # the test drives the publisher itself, to place the crash exactly
            cfg.CONF.set_override('start_worker', False, group='l2pop_controller')

        def _capture(self):
            def record(method, target, fdb_entries):
                out['notifications'].append({
                    'step': self.step, 'method': method, 'target': target,
                    'payload': jsonable(fdb_entries)})
            base = ('neutron.plugins.ml2.drivers.l2pop.rpc.'
                    'L2populationAgentNotifyAPI.')
            mock.patch(base + '_notification_fanout',
                       new=lambda _n, _c, method, fdb_entries:
                       record(method, 'fanout', fdb_entries)).start()
            mock.patch(base + '_notification_host',
                       new=lambda _n, _c, method, fdb_entries, host:
                       record(method, host, fdb_entries)).start()
            mock.patch('neutron.plugins.ml2.rpc.AgentNotifierApi').start()

        # -- agents ---------------------------------------------------------
        def report(self, host, ip, start_flag=True):
            helpers.register_ovs_agent(
                host=host, tunnel_types=['vxlan'], tunneling_ip=ip,
                plugin=self.plugin, start_flag=start_flag)

        def device_up(self, port_id, host, refresh=False):
            self.rpc.update_device_up(self.ctx, agent_id='ovs-' + host,
                                      device=port_id, host=host,
                                      refresh_tunnels=refresh)
            self.plugged.setdefault(host, set()).add(port_id)

        def l3_sync(self, host, router_id):
            l3_rpc.L3RpcCallback().sync_routers(self.ctx, host=host,
                                                router_ids=[router_id])

        def ha_report(self, router_id, host, state):
            l3_rpc.L3RpcCallback().update_ha_routers_states(
                self.ctx, host=host, states={router_id: state})

        # -- API ------------------------------------------------------------
        def network(self, name, vni, cidr):
            net = self._make_network(
                self.fmt, name, True,
                arg_list=(pnet.NETWORK_TYPE, pnet.SEGMENTATION_ID),
                **{pnet.NETWORK_TYPE: 'vxlan', pnet.SEGMENTATION_ID: vni})
            self._make_subnet(self.fmt, net, cidr[:-4] + '1', cidr,
                              enable_dhcp=False)
            out['networks'][name] = net['network']['id']
            return net['network']['id']

        def vm(self, name, net_id, host):
            port = self._make_port(
                self.fmt, net_id, is_admin=True, device_owner='compute:nova',
                device_id='vm-' + name, arg_list=(portbindings.HOST_ID,),
                **{portbindings.HOST_ID: host})['port']
            self.ports[name] = port['id']
            return port['id']

        def update(self, port_id, body):
            self._update('ports', port_id, {'port': body})

        def publish(self):
            self.worker.publish_all()

        def test_scenario(self):
            self.ctx = n_context.get_admin_context()
            self.plugin = directory.get_plugin()
            self.l3 = directory.get_plugin(plugin_constants.L3)
            self.rpc = ml2_rpc.RpcCallbacks(mock.Mock(), managers.TypeManager())
            self.ports, self.plugged, self.step = {}, {}, 'setup'
            self._capture()
            self.worker = journal_worker.JournalWorker(
                TeeClient(journal_worker.sqs.SqsJsonClient(
                    config['region'], config['endpoint'], 'local', 'local'),
                    config['stacks'], out), config['queues'])
            out['seconds'] = {'setup': round(time.time() - STARTED, 1)}
            for name, action in self.steps():
                self.step = self.worker.client.step = name
                t0 = time.time()
                if name == 'boot-vm5':
                    self.woken(action)
                    continue
                action()
                t1 = time.time()
                if name == 'failover' and config.get('crash'):
                    self.crash_and_restart()
                else:
                    self.publish()
                out['seconds'][name] = [round(t1 - t0, 2), round(time.time() - t1, 2)]
            self.finish()

        def crash_and_restart(self):
            """The failover is committed; its publisher, a process of its own on the same sqlite
            file, is SIGKILLed before it sends, a second one after a batch went out but before the
            mark, and a third one publishes what they left."""
            pending = pending_rows
            # seconds; a dead publisher's lease must expire before another sends, and must outlast
            # the dead one's send, its kill and the next fork on a loaded machine
            lease = 6
            crash = {'pendingAtCommit': pending(), 'scenarioPid': os.getpid(),
                     'killed': []}
            first = Publisher(config, lease, pause_at='claimed')
            marker = first.wait_for_marker()
            crash['killedBeforeSend'] = pending()
            crash['killed'].append(first.kill(marker))
            # while the dead publisher's lease runs, no other publisher sends
            crash['blockedByLease'] = journal_worker.JournalWorker(
                self.worker.client, config['queues']).publish_pending()
            second = Publisher(config, lease, pause_at='sent')
            marker = second.wait_for_marker()
            crash['killedAfterSend'] = pending()
            crash['sentBeforeMark'] = marker['sent'] if marker else 0
            crash['idsBeforeMark'] = marker['ids'] if marker else []
            crash['killed'].append(second.kill(marker))
            last = Publisher(config, lease)
            done = last.result()
            out['sent'].extend(done['sent'])
            crash['restarted'] = {k: done[k] for k in ('pid', 'blocked', 'exit', 'ids')}
            crash['republished'] = done['settled']
            crash['pendingAfterRestart'] = pending()
            out['crash'] = crash

        def woken(self, action):
            """The last step is published by the commit's own wake-up, not by the test."""
            client = self.worker.client
            journal_worker.local_publisher.factory = (
                lambda: journal_worker.JournalWorker(client, config['queues'],
                                                     interval=60))
            ctx = n_context.get_admin_context()
            pending = lambda: ctx.session.query(journal_db.JournalRow).filter_by(
                state=journal_db.PENDING).count()
            action()
            deadline = time.time() + 30
            while pending() and time.time() < deadline:
                time.sleep(0.2)
            out['woken'] = {'pending': pending(),
                            'sent': journal_worker.local_publisher._worker.sent}
            journal_worker.local_publisher._worker.stop()
            journal_worker.local_publisher._worker.join(10)
            journal_worker.local_publisher.factory = None

        def publish_count(self):
            return self.worker.publish_all()

        def steps(self):
            s = self
            r = {}

            def setup_agents():
                for host, ip, l3 in AGENTS:
                    s.report(host, ip)
                    if l3:
                        helpers.register_l3_agent(host=host)

            def networks():
                r['net1'] = s.network('net1', 1001, '10.1.0.0/24')
                r['net2'] = s.network('net2', 1002, '10.2.0.0/24')

            def boot(name, net, host):
                def go():
                    pid = s.vm(name, r[net], host)
                    s.device_up(pid, host)
                return go

            def router():
                router = s.l3.create_router(s.ctx, {'router': {
                    'name': 'r1', 'admin_state_up': True, 'ha': True,
                    'tenant_id': s._tenant_id}})
                r['router'] = router['id']
                for host in ('network1', 'network2'):
                    agent = s.l3._get_agent_by_type_and_host(
                        s.ctx, constants.AGENT_TYPE_L3, host)
                    s.l3.router_scheduler.create_ha_port_and_bind(
                        s.l3, s.ctx, router['id'], router['tenant_id'], agent)
                for host in ('network1', 'network2'):
                    s.l3_sync(host, router['id'])
                s.ha_report(router['id'], 'network1', 'active')
                s.ha_report(router['id'], 'network2', 'standby')

            def interface():
                subnet = s.plugin.get_subnets(
                    s.ctx, filters={'network_id': [r['net1']]})[0]
                info = s.l3.add_router_interface(
                    s.ctx, r['router'], {'subnet_id': subnet['id']})
                r['iface'] = info['port_id']
                for host in ('network1', 'network2'):
                    s.l3_sync(host, r['router'])
                # every hosting node's L2 agent wires the interface, the master first
                s.device_up(info['port_id'], 'network1')
                s.device_up(info['port_id'], 'network2')

            def ip_change():
                subnet = s.plugin.get_subnets(
                    s.ctx, filters={'network_id': [r['net1']]})[0]
                s.update(s.ports['vm2'], {'fixed_ips': [
                    {'subnet_id': subnet['id'], 'ip_address': '10.1.0.77'}]})

            def migrate():
                s.update(s.ports['vm1'], {portbindings.HOST_ID: 'compute2'})
                s.plugged.get('compute1', set()).discard(s.ports['vm1'])
                s.device_up(s.ports['vm1'], 'compute2')

            def stop_vm2():
                # the VM is shut off: its host's agent reports the device down
                s.rpc.update_device_down(s.ctx, agent_id='ovs-compute2',
                                         device=s.ports['vm2'], host='compute2')
                s.plugged.get('compute2', set()).discard(s.ports['vm2'])

            def failover():
                s.ha_report(r['router'], 'network1', 'standby')
                s.ha_report(r['router'], 'network2', 'active')
                port = s.plugin.get_port(s.ctx, r['iface'])
                out['rebound'] = {'status': port['status'],
                                  'host': port[portbindings.HOST_ID],
                                  'id': r['iface']}

            def rewire():
                # the new master's L2 agent gets port_update and wires the rebound port again
                s.device_up(r['iface'], 'network2')

            def restart():
                # compute3's agent comes back with a new tunnel IP (docs/deviations.md D1)
                out['ipChanges'] = {'compute3': {'old': '192.0.2.13',
                                                 'new': '192.0.2.113'}}
                s.report('compute3', '192.0.2.113', start_flag=True)
                for pid in sorted(s.plugged.get('compute3', ())):
                    s.device_up(pid, 'compute3', refresh=True)

            def delete():
                s._delete('ports', s.ports['vm4'])
                s.plugged.get('compute3', set()).discard(s.ports['vm4'])

            return [('agents', setup_agents), ('networks', networks),
                    ('boot-vm1', boot('vm1', 'net1', 'compute1')),
                    ('boot-vm2', boot('vm2', 'net1', 'compute2')),
                    ('boot-vm3', boot('vm3', 'net2', 'compute3')),
                    ('boot-vm4', boot('vm4', 'net1', 'compute3')),
                    ('router', router), ('interface', interface),
                    ('ip-change', ip_change), ('migrate', migrate),
                    ('stop-vm2', stop_vm2),
                    ('failover', failover), ('rewire', rewire),
                    ('restart', restart),
                    ('delete', delete),
                    ('boot-vm5', boot('vm5', 'net2', 'compute1'))]

        def finish(self):
            iface = self.plugin.get_port(self.ctx, self.ports_iface())
            out['agents'] = {h: ip for h, ip, _ in AGENTS}
            for host, change in out.get('ipChanges', {}).items():
                out['agents'][host] = change['new']
            out['router'] = {
                'id': iface['device_id'], 'network': iface['network_id'],
                'mac': iface['mac_address'],
                'ips': [f['ip_address'] for f in iface['fixed_ips']],
                'master': self.l3.get_active_host_for_ha_router(
                    self.ctx, iface['device_id']),
                'neutronStatus': iface['status'],
                'bindingHost': iface[portbindings.HOST_ID]}
            present = {}
            for port in self.plugin.get_ports(self.ctx):
                if port['status'] != 'ACTIVE' or not port[portbindings.HOST_ID]:
                    continue
                hosts = [port[portbindings.HOST_ID]]
                if port['device_owner'] == \
                        constants.DEVICE_OWNER_HA_REPLICATED_INT:
                    hosts = [a['host'] for a in self.l3.list_l3_agents_hosting_router(
                        self.ctx, port['device_id'])['agents']]
                present.setdefault(port['network_id'], set()).update(hosts)
            out['present'] = {n: sorted(h) for n, h in present.items()}
            out['journal'] = {
                'rows': self.ctx.session.query(journal_db.JournalRow).count(),
                'pending': pending_rows()}
            # on the sqlite file, an open read would hold its lock against the fixture's cleanup
            self.ctx.session.close()

        def ports_iface(self):
            return [p['id'] for p in self.plugin.get_ports(self.ctx, filters={
                'device_owner': [constants.DEVICE_OWNER_HA_REPLICATED_INT]})][0]

    return Scenario


def pending_rows():
    """Pending journal rows, read in a transaction of its own (sqlite: no lock left held)."""
    from neutron_lib import context as n_context
    from neutron_lib.db import api as db_api

    from l2pop_controller_driver import db as journal_db
    ctx = n_context.get_admin_context()
    with db_api.CONTEXT_READER.using(ctx):
        return ctx.session.query(journal_db.JournalRow).filter_by(
            state=journal_db.PENDING).count()


class Publisher(object):
    """The journal publisher as an OS process of its own, forked from the scenario with Neutron
    loaded (neutron-server forks the worker a mechanism driver returns from get_workers()). It
    opens the scenario's sqlite file afresh. With `pause_at`, the driver's test seam stops it
    there and it writes a marker line on its stderr, a pipe this process reads."""

    def __init__(self, config, lease, pause_at=None):
        from neutron_lib.db import api as db_api
        read, write = os.pipe()
        self.result_path = tempfile.mktemp(prefix='l2pop-publisher-', suffix='.json')
        self.started = time.time()
        self.pid = os.fork()
        if self.pid == 0:
            code = 3
            try:
                os.close(read)
                os.dup2(write, 2)
                db_api.CONTEXT_WRITER.get_engine().dispose(close=False)
                if pause_at:
                    os.environ[PAUSE_ENV] = pause_at
                else:
                    os.environ.pop(PAUSE_ENV, None)
                self.run(config, lease)
                code = 0
            except BaseException:
                os.write(2, traceback.format_exc().encode())
            os._exit(code)
        os.close(write)
        self.stderr = os.fdopen(read, 'r')

    def run(self, config, lease):
        from l2pop_controller_driver import sqs
        from l2pop_controller_driver import worker as journal_worker
        out = {'sent': []}
        client = TeeClient(sqs.SqsJsonClient(config['region'], config['endpoint'],
                                             'local', 'local'), config['stacks'], out)
        client.step = 'failover'
        worker = journal_worker.JournalWorker(client, config['queues'],
                                              lease_seconds=lease)
        settled = 0
        deadline = time.time() + 60
        while pending_rows() and time.time() < deadline:
            n = worker.publish_all()
            settled += n
            if n == 0:
                time.sleep(0.1)  # another holder's lease
        with open(self.result_path, 'w') as f:
            json.dump({'pid': os.getpid(), 'settled': settled, 'ids': worker.sent_ids,
                       'blocked': worker.blocked, 'sent': out['sent']}, f)

    def wait_for_marker(self, timeout=60):
        deadline = time.time() + timeout
        seen = []
        while time.time() < deadline:
            ready, _, _ = select.select([self.stderr], [], [], 1)
            if not ready:
                continue
            line = self.stderr.readline()
            if not line:
                return None  # it exited without reaching the point: the test says what it lacks
            seen.append(line)
            if line.startswith(PAUSE_MARKER):
                fields = dict(f.split('=') for f in line.split()[1:])
                fields = {k: v if k == 'point' else
                          [i for i in v.split(',') if i] if k == 'ids' else int(v)
                          for k, v in fields.items()}
                fields['seconds'] = round(time.time() - self.started, 2)
                return fields
        os.kill(self.pid, signal.SIGKILL)
        raise RuntimeError('publisher %d never paused:\n%s' % (self.pid, ''.join(seen)[-4000:]))

    def kill(self, marker):
        """SIGKILL where it stands; what the kernel reports about its end."""
        if marker is not None:
            assert marker['pid'] == self.pid
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.stderr.close()
        marker = marker or {'point': None, 'blocked': None, 'seconds': None}
        return {'pid': self.pid, 'point': marker['point'], 'blocked': marker['blocked'],
                'signal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                'secondsToPause': marker['seconds']}

    def result(self):
        _, status = os.waitpid(self.pid, 0)
        err = self.stderr.read()
        self.stderr.close()
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise RuntimeError('publisher %d failed (%d):\n%s' % (self.pid, status, err[-4000:]))
        with open(self.result_path) as f:
            done = json.load(f)
        os.unlink(self.result_path)
        done['exit'] = os.WEXITSTATUS(status)
        return done


class TeeClient(object):
    """Sends each batch to the same queue of every stack, in stack order."""

    def __init__(self, client, stacks, out):
        self.client = client
        self.urls = {s0[k]: [s[k] for s in stacks]
                     for s0 in stacks[:1] for k in s0}
        self.out = out
        self.step = None

    def send_batch(self, url, entries):
        for target in self.urls[url]:
            self.client.send_batch(target, entries)
        for e in entries:
            event = json.loads(e['body'])
            port = event.get('port') or {}
            self.out['sent'].append({
                'step': self.step, 'type': event['type'],
                'portId': port.get('id') or event.get('portId'),
                'status': port.get('status'), 'host': port.get('host')})


def jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    return obj


def file_database():
    """Neutron's test base on a sqlite FILE, not in memory, so a publisher process can open it:
    oslo.db's test provisioning takes its URL from OS_TEST_DBAPI_ADMIN_CONNECTION."""
    base = '/dev/shm' if os.access('/dev/shm', os.W_OK) else None
    where = tempfile.mkdtemp(prefix='l2pop-neutron-db-', dir=base)
    atexit.register(shutil.rmtree, where, True)
    os.environ['OS_TEST_DBAPI_ADMIN_CONNECTION'] = 'sqlite:///%s/neutron.sqlite' % where


def main():
    make_discoverable()
    file_database()
    import testtools
    out = {'notifications': [], 'networks': {}, 'sent': []}
    config = {}
    noise = io.StringIO()
    with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
        case = build_case(config, out)('test_scenario')
        config.update(json.loads(sys.stdin.readline()))
        config['queues'] = config['stacks'][0]
        result = testtools.TestResult()
        case.run(result)
    problems = result.errors + result.failures
    if problems:
        sys.stderr.write(noise.getvalue()[-6000:])
        for _test, tb in problems:
            sys.stderr.write(tb if isinstance(tb, str) else traceback.format_exc())
        return 2
    sys.stdout.write(json.dumps(out, sort_keys=True) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
