"""`[l2pop_controller]` options of neutron.conf (docs/neutron-driver.md lists them)."""
from oslo_config import cfg

from l2pop_controller_driver import events

GROUP = 'l2pop_controller'

OPTS = [
    cfg.StrOpt('port_events_queue_url',
               help='URL of the controller\'s PortEventsQueue (FIFO).'),
    cfg.StrOpt('ha_events_queue_url',
               help='URL of the controller\'s HaEventsQueue (FIFO).'),
    cfg.StrOpt('agent_events_queue_url',
               help='URL of the controller\'s AgentEventsQueue (FIFO).'),
    cfg.StrOpt('region', default='us-east-1', help='AWS region of the queues.'),
    cfg.StrOpt('endpoint_url',
               help='SQS endpoint; default https://sqs.<region>.amazonaws.com.'),
    cfg.StrOpt('access_key', secret=True,
               help='AWS access key id; unset: the standard AWS credential '
                    'chain (environment, shared files, instance profile).'),
    cfg.StrOpt('secret_key', secret=True, help='AWS secret access key.'),
    cfg.StrOpt('session_token', secret=True, help='AWS session token.'),
    cfg.BoolOpt('start_worker', default=True,
                help='Run the journal publisher in this process.'),
    cfg.FloatOpt('publish_interval', default=2.0,
                 help='Seconds between journal scans when nothing wakes the '
                      'publisher (a commit in this process wakes it at once).'),
    cfg.IntOpt('batch_size', default=50, min=1,
               help='Journal rows published per transaction.'),
    cfg.IntOpt('lease_seconds', default=30, min=1,
               help='How long a publisher holds the publishing lease without '
                    'renewing it; after a publisher died, the next one waits '
                    'this long at most.'),
    cfg.IntOpt('sent_retention', default=3600, min=0,
               help='Seconds a sent journal row is kept before it is deleted.'),
    cfg.ListOpt('agent_types',
                default=[events.OVS_AGENT, events.LINUXBRIDGE_AGENT],
                help='Agent types whose reports become agent.report events.'),
]


def register_opts(conf=cfg.CONF):
    conf.register_opts(OPTS, group=GROUP)


def options(conf=cfg.CONF):
    register_opts(conf)
    return conf.l2pop_controller


def list_opts():
    """For oslo-config-generator (`oslo.config.opts` entry point)."""
    return [(GROUP, OPTS)]
