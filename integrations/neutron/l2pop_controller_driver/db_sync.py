"""`l2pop-controller-db-sync --config-file /etc/neutron/neutron.conf`: creates the journal tables.

Idempotent (CREATE TABLE only for tables that are missing). Run it once before restarting
neutron-server with the driver; it reads `[database] connection` like neutron-db-manage does.
"""
import sys

from oslo_config import cfg
from oslo_db import options as db_options
import sqlalchemy

from l2pop_controller_driver import db

TABLES = (db.JournalRow.__table__, db.PortStatusHint.__table__,
          db.PublisherLease.__table__)


def sync(connection):
    engine = sqlalchemy.create_engine(connection)
    try:
        db.JournalRow.metadata.create_all(engine, tables=list(TABLES))
    finally:
        engine.dispose()
    return [t.name for t in TABLES]


def main(argv=None):
    conf = cfg.ConfigOpts()
    db_options.set_defaults(conf)
    conf(sys.argv[1:] if argv is None else argv, project='neutron')
    if not conf.database.connection:
        sys.stderr.write('l2pop-controller-db-sync: [database] connection is not set\n')
        return 2
    for name in sync(conf.database.connection):
        print('l2pop-controller-db-sync: table %s present' % name)
    return 0


if __name__ == '__main__':
    sys.exit(main())
