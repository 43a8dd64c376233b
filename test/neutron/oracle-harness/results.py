"""What the harness prints: Neutron's casts as JSON, and the per-agent tables they leave.

A message is `{"step", "op", "method", "target", "payload"}`; `target` is `fanout` or a host.
`[mac, ip]` pairs (Neutron's `PortInfo` and `FLOODING_ENTRY` tuples) become 2-element lists, and
every list of pairs is sorted, so the output does not depend on the order Neutron built it in.
"""


def _is_pair(value):
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)


def plain(value):
    """A JSON-ready deep copy of an l2pop payload."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if _is_pair(value):
        return [value[0], value[1]]
    if isinstance(value, (list, tuple, set)):
        items = [plain(v) for v in value]
        if all(isinstance(v, list) for v in items):
            items.sort()
        return items
    return value


def message(cast):
    step, op = cast.tag
    return {'step': step, 'op': op, 'method': cast.method, 'target': cast.target,
            'payload': plain(cast.fdb_entries)}


def with_names(value, names):
    """Replaces ids (keys and string values) by the trace's names."""
    if isinstance(value, dict):
        return {names.get(k, k): with_names(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [with_names(v, names) for v in value]
    if isinstance(value, str):
        return names.get(value, value)
    return value


def agent_tables(messages, tunnel_ips):
    """Every agent's l2pop table after the messages: {host: {network: {vtep: [[mac, ip]...]}}}.

    A fanout reaches every agent of the trace, a cast only its host. Like the OVS agent, a host
    ignores entries under its own tunnel IP (its `local_ip`); the IP taken is the host's at the end
    of the trace. `update_fdb_entries` (`chg_ip`) removes `before` and adds `after`. Empty tables
    are left out; every host appears.
    """
    tables = {host: {} for host in tunnel_ips}

    def entries(host, net, vtep):
        return tables.setdefault(host, {}).setdefault(net, {}).setdefault(vtep, set())

    for m in messages:
        hosts = list(tunnel_ips) if m['target'] == 'fanout' else [m['target']]
        for host in hosts:
            own = tunnel_ips.get(host)
            if m['method'] == 'update_fdb_entries':
                for net, per_vtep in m['payload'].get('chg_ip', {}).items():
                    for vtep, change in per_vtep.items():
                        if vtep == own:
                            continue
                        cur = entries(host, net, vtep)
                        cur.difference_update(tuple(e) for e in change.get('before', []))
                        cur.update(tuple(e) for e in change.get('after', []))
                continue
            for net, body in m['payload'].items():
                for vtep, listed in body.get('ports', {}).items():
                    if vtep == own:
                        continue
                    cur = entries(host, net, vtep)
                    pairs = [tuple(e) for e in listed]
                    if m['method'] == 'add_fdb_entries':
                        cur.update(pairs)
                    elif m['method'] == 'remove_fdb_entries':
                        cur.difference_update(pairs)
    out = {}
    for host, nets in tables.items():
        out[host] = {}
        for net, vteps in nets.items():
            kept = {vtep: sorted([list(e) for e in pairs]) for vtep, pairs in vteps.items() if pairs}
            if kept:
                out[host][net] = kept
    return out
