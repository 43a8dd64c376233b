"""The journal publisher: pending rows, in id order, to the controller's FIFO queues.

One publisher at a time holds the lease (a row, taken in a short transaction). It reads the oldest
pending rows and builds their events from the committed state, sends them with no transaction
open (no lock is held while SQS answers), then marks them sent in a short transaction. A crash
before the mark leaves the rows pending; once the dead publisher's lease expires, the next one
sends them again under the same deduplication ids (`j<row id>`: SQS drops a repeat within 5
minutes; past that the controller drops it as an equal revision).
"""
import datetime
import json
import os
import socket
import threading
import time
import uuid

from neutron_lib import constants
from neutron_lib import context as n_context
from neutron_lib.db import api as db_api
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory
from neutron_lib import worker as neutron_worker
from oslo_db import exception as db_exc
from oslo_log import log as logging

from neutron.db.models import l3ha as l3ha_model
from neutron.plugins.ml2 import db as ml2_db

from l2pop_controller_driver import db
from l2pop_controller_driver import events
from l2pop_controller_driver import sqs

LOG = logging.getLogger(__name__)


# Test seam, off unless set: the publisher stops at this point ('claimed': rows read, nothing
# sent; 'sent': a batch sent, not marked), writes one marker line to file descriptor 2 and blocks
# for good, so a crash test can SIGKILL the process exactly there. Never set it in production.
PAUSE_ENV = 'L2POP_CONTROLLER_TEST_PAUSE_AT'
PAUSE_MARKER = 'l2pop-controller-test-paused'


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _segment(network):
    if network.get('segments'):
        seg = network['segments'][0]
    else:
        seg = network
    return seg.get('provider:network_type'), seg.get('provider:segmentation_id')


def port_event(ctx, port_id):
    """The port's committed state as `port.upsert`, or None when it is gone or not l2pop'd."""
    plugin = directory.get_plugin()
    try:
        port = plugin.get_port(ctx, port_id)
    except n_exc.PortNotFound:
        return None  # its delete row carries the tombstone
    net = plugin.get_network(ctx, port['network_id'])
    network_type, segment_id = _segment(net)
    if network_type not in events.NETWORK_TYPES:
        LOG.warning('l2pop_controller: network %s has type %s: not sent',
                    net['id'], network_type)
        return None
    status = port['status']
    hint = ctx.session.get(db.PortStatusHint, port_id)
    if hint is not None:
        status = hint.status
    dvr_hosts = []
    if port['device_owner'] == constants.DEVICE_OWNER_DVR_INTERFACE:
        dvr_hosts = [b.host for b in
                     ml2_db.get_distributed_port_bindings(ctx, port_id)
                     if b.status == constants.ACTIVE and b.host]
    return events.port_upsert(
        port, {'id': net['id'], 'name': net.get('name'),
               'network_type': network_type,
               'segmentation_id': segment_id}, status, dvr_hosts)


def router_hosts(ctx, router_id):
    bindings = ctx.session.query(l3ha_model.L3HARouterAgentPortBinding).filter(
        l3ha_model.L3HARouterAgentPortBinding.router_id == router_id,
        l3ha_model.L3HARouterAgentPortBinding.l3_agent_id.isnot(None)).all()
    return [b.agent.host for b in bindings if b.agent is not None]


def build_event(ctx, row):
    data = json.loads(row.data) if row.data else None
    if row.kind == db.PORT:
        return port_event(ctx, row.object_id)
    if row.kind == db.PORT_DELETE:
        return data
    if row.kind == db.HA_STATE:
        return events.ha_state(data['routerId'], data['host'], data['state'],
                               row.id)
    if row.kind == db.HA_SCHEDULE:
        return events.ha_schedule(row.object_id,
                                  router_hosts(ctx, row.object_id), row.id)
    if row.kind == db.AGENT:
        return events.agent_report(data, row.id)
    raise ValueError('journal row %d: unknown kind %r' % (row.id, row.kind))


def coalesce(rows):
    """Level rows (a port's or a router's committed state) of one batch are read once, at the
    position of their last row, so causal order between objects is kept."""
    last = {}
    for i, row in enumerate(rows):
        if row.kind in (db.PORT, db.HA_SCHEDULE):
            last[(row.kind, row.object_id)] = i
    return [row for i, row in enumerate(rows)
            if row.kind not in (db.PORT, db.HA_SCHEDULE)
            or last[(row.kind, row.object_id)] == i]


class JournalWorker(object):

    def __init__(self, client, queue_urls, batch_size=50, interval=2.0,
                 retention=3600, faults=None, lease_seconds=30):
        self.client = client
        self.holder = '%s:%d:%s' % (socket.gethostname()[:200], os.getpid(),
                                    uuid.uuid4().hex[:8])
        self.lease_seconds = lease_seconds
        self.queue_urls = queue_urls
        self.batch_size = batch_size
        self.interval = interval
        self.retention = retention
        self.faults = faults or self._test_pause
        self.sent = 0
        self.blocked = 0  # scans that found pending rows but another holder's lease
        self.sent_ids = []  # deduplication ids of the entries sent
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None

    @classmethod
    def from_config(cls, opts):
        urls = {events.PORT_QUEUE: opts.port_events_queue_url,
                events.HA_QUEUE: opts.ha_events_queue_url,
                events.AGENT_QUEUE: opts.agent_events_queue_url}
        missing = [k for k, v in urls.items() if not v]
        if missing:
            raise ValueError('[l2pop_controller] needs the queue URLs: %s'
                             % ', '.join('%s_events_queue_url' % k
                                         for k in sorted(missing)))
        client = sqs.SqsJsonClient(opts.region, opts.endpoint_url,
                                   opts.access_key, opts.secret_key,
                                   opts.session_token)
        return cls(client, urls, opts.batch_size, opts.publish_interval,
                   opts.sent_retention, lease_seconds=opts.lease_seconds)

    def _test_pause(self, point):
        if os.environ.get(PAUSE_ENV) != point:
            return
        os.write(2, ('%s point=%s pid=%d sent=%d blocked=%d ids=%s\n' % (
            PAUSE_MARKER, point, os.getpid(), self.sent, self.blocked,
            ','.join(self.sent_ids))).encode())
        while True:
            time.sleep(3600)

    def _lease(self, ctx):
        now = _utcnow()
        until = now + datetime.timedelta(seconds=self.lease_seconds)
        try:
            with db_api.CONTEXT_WRITER.using(ctx):
                return db.take_lease(ctx.session, self.holder, now, until)
        except db_exc.DBDuplicateEntry:
            return False  # another publisher created the lease row first

    def publish_pending(self):
        """Publishes one batch if this publisher holds the lease; returns the rows it settled."""
        ctx = n_context.get_admin_context()
        with db_api.CONTEXT_READER.using(ctx):
            if not db.pending(ctx.session, 1):
                return 0  # an idle scan writes nothing
        if not self._lease(ctx):
            self.blocked += 1
            return 0
        messages = {}
        with db_api.CONTEXT_READER.using(ctx):
            rows = db.pending(ctx.session, self.batch_size)
            row_ids = [row.id for row in rows]
            for row in coalesce(rows):
                event = build_event(ctx, row)
                if event is None:
                    continue
                queue, group = events.route(event)
                messages.setdefault(queue, []).append({
                    'body': json.dumps(event, sort_keys=True),
                    'group': group, 'dedup': 'j%d' % row.id})
        if not row_ids:
            return 0
        self.faults('claimed')
        for queue in sorted(messages):
            entries = messages[queue]
            for i in range(0, len(entries), sqs.MAX_BATCH):
                batch = entries[i:i + sqs.MAX_BATCH]
                self.client.send_batch(self.queue_urls[queue], batch)
                self.sent += len(batch)
                self.sent_ids.extend(e['dedup'] for e in batch)
                self.faults('sent')
        with db_api.CONTEXT_WRITER.using(ctx):
            db.mark_sent(ctx.session, row_ids, _utcnow())
        return len(row_ids)

    def publish_all(self):
        total = 0
        while True:
            n = self.publish_pending()
            if n == 0:
                break
            total += n
        if total:
            ctx = n_context.get_admin_context()
            with db_api.CONTEXT_WRITER.using(ctx):
                db.release_lease(ctx.session, self.holder, _utcnow())
        return total

    def purge_sent(self):
        cutoff = _utcnow() - datetime.timedelta(seconds=self.retention)
        ctx = n_context.get_admin_context()
        with db_api.CONTEXT_WRITER.using(ctx):
            ctx.session.query(db.JournalRow).filter(
                db.JournalRow.state == db.SENT,
                db.JournalRow.sent_at < cutoff).delete()

    def wake(self):
        self._wake.set()

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='l2pop-controller-journal')
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._wake.set()

    def join(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.publish_all()
                self.purge_sent()
            except Exception:  # noqa: a failed send is retried on the next scan
                LOG.exception('l2pop_controller: journal publish failed; '
                              'rows stay pending')


class JournalProcess(neutron_worker.BaseWorker):
    """The publisher as a neutron-server worker process of its own (ML2 launches what mechanism
    drivers return from get_workers()): it scans every `publish_interval`, so rows committed by
    any process, including one that died before its postcommit, are published."""

    def __init__(self, opts):
        super(JournalProcess, self).__init__(
            worker_process_count=1, desc='l2pop-controller journal')
        self.opts = opts
        self.worker = None

    def start(self, name='neutron-server', desc=None):
        super(JournalProcess, self).start(name, desc)
        self.worker = JournalWorker.from_config(self.opts)
        self.worker.start()

    def stop(self):
        if self.worker is not None:
            self.worker.stop()

    def wait(self):
        if self.worker is not None:
            self.worker.join()

    @staticmethod
    def reset():
        pass


class LocalPublisher(object):
    """Publishes at once after a commit in this process: a thread per process, started on the
    first wake (neutron-server forks its API and RPC workers after loading the plugins, and a
    thread does not survive a fork). Publishers of several processes take turns through the lease;
    the JournalProcess catches whatever a process leaves behind."""

    def __init__(self):
        self.factory = None
        self._pid = None
        self._worker = None
        self._lock = threading.Lock()

    def wake(self):
        if self.factory is None:
            return
        with self._lock:
            if self._pid != os.getpid():
                self._worker = self.factory()
                self._worker.start()
                self._pid = os.getpid()
        self._worker.wake()


local_publisher = LocalPublisher()
