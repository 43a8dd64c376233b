"""Plays a trace (docs/trace-format.md) against a `NeutronBed`, step by step.

Every step enters Neutron where the real event would: agent reports through the server-side RPC
handlers (`neutron.plugins.ml2.rpc.RpcCallbacks.update_device_up` / `update_device_down`,
`AgentDbMixin.create_or_update_agent`, `neutron.api.rpc.handlers.l3_rpc.L3RpcCallback`
`update_ha_routers_states` / `sync_routers`), API calls through the plugins' `create_port`,
`update_port`, `delete_port`, `add_router_interface`, `remove_router_interface`, with the API's
defaults filled in from Neutron's attribute maps, and HA scheduling through the scheduler's
`create_ha_port_and_bind`.
"""

import random
import uuid

#: Namespace of the default ids: uuid5(NS, "network:<name>"), "port:<name>", "subnet:<net>:<cidr>".
ID_NAMESPACE = uuid.UUID('6b1e1f5e-3c1e-4c7a-9a53-2f6c0a1d0001')
TENANT = 'tenant1'
#: The seed of Python's `random` before the first step: Neutron draws router-port MACs from it.
RANDOM_SEED = 0


def default_id(kind, name):
    return str(uuid.uuid5(ID_NAMESPACE, '%s:%s' % (kind, name)))


class TraceError(ValueError):
    """The trace names something that does not exist, or is missing a field."""


class ScenarioDriver(object):
    def __init__(self, bed, trace):
        from neutron_lib import constants
        from neutron_lib import context
        from neutron_lib.api.definitions import portbindings
        from neutron.api.rpc.handlers import l3_rpc
        from neutron.plugins.ml2 import managers
        from neutron.plugins.ml2 import rpc as ml2_rpc
        from unittest import mock

        self.bed = bed
        self.trace = trace
        self.constants = constants
        self.host_id = portbindings.HOST_ID
        self.vif_type = portbindings.VIF_TYPE
        self.ctx = context.get_admin_context()
        self.ml2_rpc = ml2_rpc.RpcCallbacks(mock.Mock(), managers.TypeManager())
        self.l3_rpc = l3_rpc.L3RpcCallback()
        self.agents = {}          # host -> agent dict of the trace (tunnel_ip updated on restart)
        self.networks = {}        # name -> network
        self.subnets = {}         # "<net>:<cidr>" and "<net>" (its first subnet) -> subnet
        self.ports = {}           # name -> port id
        self.routers = {}         # name -> router
        self.names = {}           # id -> trace name (networks, ports, routers)
        self.wired = {}           # host -> port ids it reported up and not down since
        self.mac_count = 0
        self.expected_errors = []

    # -- topology ------------------------------------------------------------------------------
    def _physical_networks(self):
        return sorted({n['physical_network'] for n in self.trace.get('networks', [])
                       if n.get('physical_network')})

    def report_agent(self, agent, start_flag):
        """What an L2 agent's `report_state` amounts to on the server."""
        c = self.constants
        mappings = agent.get('bridge_mappings')
        if mappings is None:
            mappings = {p: 'br-' + p for p in self._physical_networks()}
        configurations = {'tunneling_ip': agent['tunnel_ip'],
                          'tunnel_types': agent.get('tunnel_types', ['vxlan', 'gre']),
                          'bridge_mappings': mappings}
        if agent.get('l2pop_network_types') is not None:
            configurations['l2pop_network_types'] = agent['l2pop_network_types']
        state = {'binary': c.AGENT_PROCESS_OVS, 'host': agent['host'],
                 'topic': c.L2_AGENT_TOPIC, 'configurations': configurations,
                 'agent_type': agent.get('agent_type', c.AGENT_TYPE_OVS),
                 'start_flag': start_flag}
        self._report(state)

    def _report(self, state):
        from oslo_utils import timeutils
        self.bed.core.create_or_update_agent(self.ctx, state, timeutils.utcnow())

    def report_l3_agent(self, host):
        from neutron_lib.agent import topics
        c = self.constants
        self._report({'agent_type': c.AGENT_TYPE_L3, 'binary': c.AGENT_PROCESS_L3,
                      'host': host, 'topic': topics.L3_AGENT, 'availability_zone': 'nova',
                      'configurations': {'agent_mode': c.L3_AGENT_MODE_LEGACY,
                                         'handle_internal_only_routers': True}})

    def _api_body(self, resource, body):
        """The body as the API layer would pass it on: project info and POST defaults filled."""
        from neutron_lib.api import attributes
        info = attributes.AttributeInfo(attributes.RESOURCES[resource])
        attributes.populate_project_info(body)
        info.fill_post_defaults(body, check_allow_post=False)
        info.convert_values(body)
        return body

    def create_topology(self):
        for agent in self.trace.get('agents', []):
            self.agents[agent['host']] = dict(agent)
            self.report_agent(agent, start_flag=True)
            if agent.get('l3_agent'):
                self.report_l3_agent(agent['host'])
        for k, n in enumerate(self.trace.get('networks', [])):
            body = {'id': n.get('id') or default_id('network', n['name']), 'name': n['name'],
                    'tenant_id': TENANT, 'admin_state_up': True,
                    'provider:network_type': n['network_type']}
            if n.get('physical_network') is not None:
                body['provider:physical_network'] = n['physical_network']
            if n.get('segmentation_id') is not None:
                body['provider:segmentation_id'] = int(n['segmentation_id'])
            net = self.bed.core.create_network(self.ctx, {'network': self._api_body('networks', body)})
            self.networks[n['name']] = net
            self.names[net['id']] = n['name']
            for s in n.get('subnets') or [{'cidr': '10.%d.0.0/24' % (k + 1)}]:
                self._create_subnet(n['name'], net['id'], s)

    def _create_subnet(self, net_name, net_id, s):
        name = '%s:%s' % (net_name, s['cidr'])
        body = {'id': s.get('id') or default_id('subnet', name), 'network_id': net_id,
                'name': name, 'cidr': s['cidr'], 'tenant_id': TENANT, 'enable_dhcp': False,
                'ip_version': s.get('ip_version', 6 if ':' in s['cidr'] else 4)}
        if 'gateway_ip' in s:
            body['gateway_ip'] = s['gateway_ip']
        subnet = self.bed.core.create_subnet(self.ctx, {'subnet': self._api_body('subnets', body)})
        self.subnets[name] = subnet
        self.subnets.setdefault(net_name, subnet)

    # -- lookups -------------------------------------------------------------------------------
    def port(self, name):
        if name not in self.ports:
            raise TraceError('unknown port %r' % name)
        return self.bed.core.get_port(self.ctx, self.ports[name])

    def reporting_host(self, step, port):
        host = step.get('host') or port[self.host_id]
        if not host:
            raise TraceError('port %r is unbound: the step needs a "host"' % port['name'])
        return host

    def router(self, name):
        if name not in self.routers:
            raise TraceError('unknown router %r' % name)
        return self.routers[name]

    def hosting_hosts(self, router_id):
        agents = self.bed.l3.list_l3_agents_hosting_router(self.ctx, router_id)['agents']
        return sorted(a['host'] for a in agents)

    def sync(self, host, router_ids=None):
        self.l3_rpc.sync_routers(self.ctx, host=host, router_ids=router_ids)

    def _unwire(self, port_id, hosts=None):
        for host, ids in self.wired.items():
            if (hosts is None or host in hosts) and port_id in ids:
                ids.remove(port_id)

    def _device_up(self, host, port_id, refresh_tunnels):
        self.ml2_rpc.update_device_up(self.ctx, agent_id='ovs-agent-' + host, device=port_id,
                                     host=host, refresh_tunnels=refresh_tunnels)
        ids = self.wired.setdefault(host, [])
        if port_id not in ids:
            ids.append(port_id)

    # -- steps -----------------------------------------------------------------------------------
    def op_create_port(self, s):
        self.mac_count += 1
        name = s['port']
        if s['network'] not in self.networks:
            raise TraceError('unknown network %r' % s['network'])
        body = {'id': s.get('id') or default_id('port', name), 'name': name,
                'network_id': self.networks[s['network']]['id'], 'tenant_id': TENANT,
                'admin_state_up': s.get('admin_state_up', True),
                'mac_address': s.get('mac') or 'fa:16:3e:00:%02x:%02x' % divmod(self.mac_count, 256),
                'device_owner': s.get('device_owner', 'compute:nova'),
                'device_id': s.get('device_id', 'dev-' + name)}
        if 'ips' in s:
            body['fixed_ips'] = [{'ip_address': ip} for ip in s['ips']]
        if s.get('host'):
            body[self.host_id] = s['host']
        port = self.bed.core.create_port(self.ctx, {'port': self._api_body('ports', body)})
        self.ports[name] = port['id']
        self.names[port['id']] = name

    def op_port_up(self, s):
        port = self.port(s['port'])
        self._device_up(self.reporting_host(s, port), port['id'], bool(s.get('refresh_tunnels')))

    def op_port_down(self, s):
        port = self.port(s['port'])
        host = self.reporting_host(s, port)
        self.ml2_rpc.update_device_down(self.ctx, agent_id='ovs-agent-' + host,
                                        device=port['id'], host=host)
        self._unwire(port['id'], [host])

    def op_migrate_port(self, s):
        port = self.port(s['port'])
        self.bed.core.update_port(self.ctx, port['id'], {'port': {self.host_id: s['host']}})
        if port[self.host_id]:
            self._unwire(port['id'], [port[self.host_id]])

    def op_update_ips(self, s):
        port = self.port(s['port'])
        fixed_ips = [{'ip_address': ip} for ip in s['ips']]
        self.bed.core.update_port(self.ctx, port['id'], {'port': {'fixed_ips': fixed_ips}})

    def op_update_port(self, s):
        port = self.port(s['port'])
        self.bed.core.update_port(self.ctx, port['id'], {'port': dict(s['body'])})

    def op_vip_claim(self, s):
        """A VM announced a VIP (docs/vip.md): Neutron has no such input, so nothing happens."""
        self.port(s['port'])

    def op_delete_port(self, s):
        port = self.port(s['port'])
        self.bed.core.delete_port(self.ctx, port['id'])
        self._unwire(port['id'])

    def op_agent_restart(self, s):
        """A restarted OVS agent: a report with start_flag, then its first rpc_loop iteration,
        which reports every device up with refresh_tunnels=True."""
        host = s['host']
        if host not in self.agents:
            raise TraceError('unknown agent %r' % host)
        agent = self.agents[host]
        if s.get('tunnel_ip'):
            agent['tunnel_ip'] = s['tunnel_ip']
        self.report_agent(agent, start_flag=True)
        if 'ports' in s:
            # by id, not through the DB: an agent may re-report a device deleted since
            unknown = [p for p in s['ports'] if p not in self.ports]
            if unknown:
                raise TraceError('unknown port(s) %r' % unknown)
            port_ids = [self.ports[p] for p in s['ports']]
        else:
            port_ids = list(self.wired.get(host, []))
        for port_id in port_ids:
            self._device_up(host, port_id, True)

    def op_ha_router_create(self, s):
        body = {'name': s['router'], 'admin_state_up': True, 'ha': True, 'tenant_id': TENANT}
        router = self.bed.l3.create_router(self.ctx, {'router': body})
        self.routers[s['router']] = router
        self.names[router['id']] = s['router']
        for host in s['hosts']:
            agent = self.bed.l3._get_agent_by_type_and_host(
                self.ctx, self.constants.AGENT_TYPE_L3, host)
            self.bed.l3.router_scheduler.create_ha_port_and_bind(
                self.bed.l3, self.ctx, router['id'], router['tenant_id'], agent)
        for host in s['hosts']:
            self.sync(host, [router['id']])

    def _interface(self, s):
        if s.get('port'):
            return {'port_id': self.port(s['port'])['id']}
        if s.get('subnet') not in self.subnets:
            raise TraceError('unknown subnet %r' % s.get('subnet'))
        return {'subnet_id': self.subnets[s['subnet']]['id']}

    def op_router_interface_add(self, s):
        router = self.router(s['router'])
        info = self.bed.l3.add_router_interface(self.ctx, router['id'], self._interface(s))
        if not s.get('port'):
            name = '%s:%s' % (s['router'], s['subnet'])
            self.ports[name] = info['port_id']
            self.names[info['port_id']] = name
        if s.get('sync', True):
            for host in self.hosting_hosts(router['id']):
                self.sync(host, [router['id']])

    def op_router_interface_remove(self, s):
        router = self.router(s['router'])
        self.bed.l3.remove_router_interface(self.ctx, router['id'], self._interface(s))

    def op_ha_state(self, s):
        router = self.router(s['router'])
        self.l3_rpc.update_ha_routers_states(self.ctx, host=s['host'],
                                             states={router['id']: s['state']})

    def op_l3_sync(self, s):
        self.sync(s['host'], [self.router(s['router'])['id']] if s.get('router') else None)

    # -- the run ---------------------------------------------------------------------------------
    def run(self, on_step=None):
        """Plays every step; `on_step(index, op)` runs after each one."""
        self.bed.current_step = (-1, 'setup')
        self.create_topology()
        random.seed(RANDOM_SEED)
        for i, step in enumerate(self.trace.get('steps', [])):
            op = step.get('op')
            handler = getattr(self, 'op_%s' % op, None)
            if handler is None:
                raise TraceError('step %d: unknown op %r' % (i, op))
            self.bed.current_step = (i, op)
            if step.get('expect_error'):
                self._expect_error(i, op, handler, step)
            else:
                handler(step)
            if on_step is not None:
                on_step(i, op)

    def _expect_error(self, i, op, handler, step):
        try:
            handler(step)
        except Exception as e:  # noqa: any refusal by Neutron is what the step asserts
            self.expected_errors.append('step %d (%s): expected error: %s: %s'
                                        % (i, op, type(e).__name__, e))
            return
        raise AssertionError('step %d (%s) was expected to fail but did not' % (i, op))

    # -- what the TypeScript side compares ---------------------------------------------------------
    def snapshot(self, i, op):
        """Port binding host/status/owner (and a failed binding) and HA states after a step."""
        ports = {}
        for name, port_id in sorted(self.ports.items()):
            try:
                p = self.bed.core.get_port(self.ctx, port_id)
            except Exception:  # noqa: deleted since
                continue
            text = '%s/%s/%s' % (p[self.host_id] or '-', p['status'], p['device_owner'] or '-')
            if p[self.host_id] and p[self.vif_type] in ('binding_failed', 'unbound'):
                text += '/' + p[self.vif_type]
            ports[name] = text
        line = {'step': i, 'op': op, 'ports': ports}
        if self.routers:
            line['ha'] = {}
            for name, router in sorted(self.routers.items()):
                agents = self.bed.l3.list_l3_agents_hosting_router(self.ctx, router['id'])['agents']
                line['ha'][name] = sorted('%s=%s' % (a['host'], a.get('ha_state')) for a in agents)
        return line

    def final_tunnel_ips(self):
        return {host: a['tunnel_ip'] for host, a in self.agents.items()}
