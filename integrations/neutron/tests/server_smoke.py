#!/usr/bin/python3
"""A real neutron-server (Debian's python3-neutron, eventlet server, REST API on 127.0.0.1) with the
driver loaded through its entry point, against an SQS endpoint (fauxqs or `npx l2pop stack up`'s).

    server_smoke.py http://127.0.0.1:<sqs port>

It creates three FIFO queues, writes a neutron.conf (ML2 with openvswitch + l2pop_controller,
sqlite file database whose schema comes from Neutron's models, noauth, the in-process `fake:`
message transport), starts neutron-server, creates a network, a subnet and a bound port, changes
the port's IP and deletes it through the REST API, and waits until the journal has no pending row.
Then it reads the port queue and prints the events. Without a message bus (no RabbitMQ here) no
agent can reach this server, so port status, HA and agent reports are left to e2e_scenario.py.
"""
import json
import os
import subprocess
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
sys.path.insert(0, PACKAGE_ROOT)

from l2pop_controller_driver import sqs  # noqa: E402

PORT = 19696
API = 'http://127.0.0.1:%d/v2.0' % PORT
PASTE = '/usr/lib/python3/dist-packages/neutron/tests/etc/api-paste.ini'


def rest(method, path, body=None, attempts=5):
    """One REST call; a 500 is retried: sqlite, shared by neutron-server's processes, answers
    "database is locked" to a writer that waits more than 5 s on a loaded machine."""
    req = urllib.request.Request(
        API + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            text = res.read().decode()
    except urllib.error.HTTPError as e:
        if e.code != 500 or attempts <= 1:
            raise
        time.sleep(1)
        return rest(method, path, body, attempts - 1)
    return json.loads(text) if text else None


def main():
    endpoint = sys.argv[1]
    client = sqs.SqsJsonClient('us-east-1', endpoint, 'local', 'local')
    run = str(int(time.time()))
    queues = {k: client.call('CreateQueue', {
        'QueueName': 'smoke-%s-%s.fifo' % (k, run),
        'Attributes': {'FifoQueue': 'true'}})['QueueUrl']
        for k in ('port', 'ha', 'agent')}
    work = tempfile.mkdtemp(prefix='neutron-smoke-')
    site = os.path.join(work, 'site')
    info = os.path.join(site, 'l2pop_controller_driver-0.1.0.dist-info')
    os.makedirs(info)
    with open(os.path.join(info, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: l2pop-controller-driver\nVersion: 0.1.0\n')
    with open(os.path.join(info, 'entry_points.txt'), 'w') as f:
        f.write('[neutron.ml2.mechanism_drivers]\nl2pop_controller = '
                'l2pop_controller_driver.mech_driver:L2popControllerMechanismDriver\n')
    db = os.path.join(work, 'neutron.db')
    conf = os.path.join(work, 'neutron.conf')
    with open(conf, 'w') as f:
        f.write('''[DEFAULT]
core_plugin = ml2
auth_strategy = noauth
api_paste_config = %(paste)s
bind_host = 127.0.0.1
bind_port = %(port)d
transport_url = fake:/
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
state_path = %(work)s
[database]
connection = sqlite:///%(db)s
[ml2]
type_drivers = vxlan
tenant_network_types = vxlan
mechanism_drivers = openvswitch,l2pop_controller
[ml2_type_vxlan]
vni_ranges = 1000:1999
[l2pop_controller]
endpoint_url = %(endpoint)s
region = us-east-1
access_key = local
secret_key = local
port_events_queue_url = %(port_q)s
ha_events_queue_url = %(ha_q)s
agent_events_queue_url = %(agent_q)s
publish_interval = 1
[oslo_concurrency]
lock_path = %(work)s
''' % {'paste': PASTE, 'port': PORT, 'work': work, 'db': db,
            'endpoint': endpoint, 'port_q': queues['port'], 'ha_q': queues['ha'],
            'agent_q': queues['agent']})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, site]))
    subprocess.run([sys.executable, '-c', '''
import sqlalchemy
from neutron.db.migration.models import head
import l2pop_controller_driver.db
head.get_metadata().create_all(sqlalchemy.create_engine("sqlite:///%s"))
''' % db], env=env, check=True)
    log = os.path.join(work, 'server.log')
    server = subprocess.Popen(
        [sys.executable, '-c', 'import sys; from neutron.cmd.eventlet.server '
         'import main; sys.argv = ["neutron-server", "--config-file", %r, '
         '"--log-file", %r]; main()' % (conf, log)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 180
        while True:
            try:
                rest('GET', '/networks')
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit('neutron-server did not come up; see ' + log)
                time.sleep(1)
        t = {'tenant_id': 'smoke'}
        net = rest('POST', '/networks', {'network': dict(
            t, name='smoke', **{'provider:network_type': 'vxlan',
                                'provider:segmentation_id': 1500})})['network']
        rest('POST', '/subnets', {'subnet': dict(
            t, network_id=net['id'], cidr='10.9.0.0/24', ip_version=4,
            enable_dhcp=False)})
        port = rest('POST', '/ports', {'port': dict(
            t, network_id=net['id'], device_owner='compute:nova',
            device_id='vm-smoke', **{'binding:host_id': 'compute1'})})['port']
        rest('PUT', '/ports/' + port['id'], {'port': {
            'fixed_ips': [{'ip_address': '10.9.0.50'}]}})
        rest('DELETE', '/ports/' + port['id'])
        deadline = time.time() + 60
        while True:
            rows = sqlite3.connect(db).execute(
                'select kind, state from l2pop_controller_journal').fetchall()
            if rows and all(r[1] == 'sent' for r in rows):
                break
            if time.time() > deadline:
                raise SystemExit('journal rows still pending: %s' % rows)
            time.sleep(1)
        events = []
        for _ in range(20):
            got = client.call('ReceiveMessage', {
                'QueueUrl': queues['port'], 'MaxNumberOfMessages': 10}).get('Messages', [])
            events += [json.loads(m['Body']) for m in got]
            if not got:
                break
            # a FIFO group hands out its next message only once this one is deleted
            client.call('DeleteMessageBatch', {'QueueUrl': queues['port'], 'Entries': [
                {'Id': str(i), 'ReceiptHandle': m['ReceiptHandle']}
                for i, m in enumerate(got)]})
        print(json.dumps({'journal': rows, 'events': [
            {'type': e['type'], 'revision': e.get('revision', e.get('port', {}).get('revision')),
             'status': e.get('port', {}).get('status'), 'ips': e.get('port', {}).get('ips')}
            for e in events]}))
        processes = subprocess.run(['ps', '-eo', 'args'], capture_output=True,
                                   text=True).stdout
        print('journal worker process running:',
              'neutron-server: l2pop-controller journal' in processes)
    finally:
        server.terminate()
        server.wait(30)


if __name__ == '__main__':
    main()
