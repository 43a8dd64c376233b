"""The controller's inbound events (src/contracts/events.ts, `v: 1`), built from Neutron's records.

Pure functions over plain dicts: no Neutron import, so the mapping is readable in one place.
"""

PORT_QUEUE = 'port'
HA_QUEUE = 'ha'
AGENT_QUEUE = 'agent'

# src/contracts/primitives.ts NETWORK_TYPES
NETWORK_TYPES = ('vxlan', 'gre', 'geneve', 'ip6gre', 'vlan', 'flat', 'local')
# src/core/types.ts PORT_STATUSES; Neutron's ERROR and N/A carry no traffic: DOWN.
PORT_STATUSES = ('ACTIVE', 'DOWN', 'BUILD')
HA_STATES = ('active', 'standby', 'fault', 'unknown')

OVS_AGENT = 'Open vSwitch agent'
LINUXBRIDGE_AGENT = 'Linux bridge agent'


def port_status(status):
    return status if status in PORT_STATUSES else 'DOWN'


def port_upsert(port, network, status, dvr_hosts=()):
    """`port.upsert`: the whole port at its `revision_number`.

    `port` is ML2's port dict, `network` {'id', 'name', 'network_type', 'segmentation_id'}.
    `status` is the status to announce (the HA rule of mech_driver.effective_status).
    """
    if port.get('revision_number') is None:
        raise ValueError('port %s has no revision_number: the `revisions` service '
                         'plugin (a neutron-server default) must be loaded' % port['id'])
    return {
        'type': 'port.upsert', 'v': 1,
        'network': {
            'id': network['id'],
            'name': network.get('name') or '',
            'networkType': network['network_type'],
            'segmentId': int(network['segmentation_id'] or 0),
        },
        'port': {
            'id': port['id'],
            'networkId': port['network_id'],
            'mac': port['mac_address'].lower(),
            'ips': [f['ip_address'] for f in port.get('fixed_ips') or []],
            'deviceOwner': port.get('device_owner') or '',
            'deviceId': port.get('device_id') or '',
            'host': port.get('binding:host_id') or '',
            'status': port_status(status),
            'dvrHosts': sorted(dvr_hosts),
            'revision': int(port['revision_number']),
        },
    }


def port_delete(port):
    """`port.delete`. Neutron does not bump the revision of a deleted row, so the tombstone takes
    the next one: it must beat every upsert of the port, which carried at most `revision_number`.
    """
    return {'type': 'port.delete', 'v': 1, 'portId': port['id'],
            'networkId': port['network_id'],
            'revision': int(port['revision_number']) + 1}


def ha_state(router_id, host, state, seq):
    """`ha.state`: `seq` is the journal row id, Neutron's commit order of the reports."""
    return {'type': 'ha.state', 'v': 1, 'routerId': router_id, 'host': host,
            'state': state if state in HA_STATES else 'unknown', 'term': 0,
            'seq': int(seq)}


def ha_schedule(router_id, hosts, revision):
    return {'type': 'ha.schedule', 'v': 1, 'routerId': router_id,
            'hosts': sorted(set(hosts)), 'revision': int(revision)}


def agent_facts(agent_type, host, configurations, started_at):
    """What an L2 agent's report says to the controller (everything but the revision).

    `configurations` is the agent's reported dict. OVS's br-tun learns MACs from tunnels (table
    10) and answers ARP from its flows when `arp_responder_enabled`; the Linux bridge agent's
    VXLAN device learns, and its ARP responder is the kernel's `proxy` flag.
    """
    conf = configurations or {}
    types = conf.get('l2pop_network_types') or conf.get('tunnel_types') or []
    if conf.get('arp_responder_enabled'):
        arp = 'proxy' if agent_type == LINUXBRIDGE_AGENT else 'responder'
    else:
        arp = 'off'
    return {
        'host': host,
        'tunnelIp': conf.get('tunneling_ip') or None,
        'agentType': agent_type,
        'networkTypes': sorted(t for t in set(types) if t in NETWORK_TYPES),
        'capabilities': {'learning': True, 'arp': arp},
        'bootId': started_at.strftime('%Y%m%dT%H%M%S.%f'),
    }


def agent_report(facts, revision):
    return dict(facts, type='agent.report', v=1, revision=int(revision))


def route(event):
    """src/local/inbound.ts routeEvent: the queue and FIFO group an event belongs to."""
    kind = event['type']
    if kind in ('port.upsert',):
        return PORT_QUEUE, event['port']['networkId']
    if kind == 'port.delete':
        return PORT_QUEUE, event['networkId']
    if kind in ('ha.state', 'ha.schedule'):
        return HA_QUEUE, event['routerId']
    if kind in ('agent.report', 'agent.resync'):
        return AGENT_QUEUE, event['host']
    raise ValueError('no queue for event type %r' % kind)
