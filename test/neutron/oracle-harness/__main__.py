#!/usr/bin/python3
"""The project's Neutron oracle: runs a trace through the real Neutron 21 l2pop code.

Usage (Debian's interpreter, which sees python3-neutron; docs/neutron-oracle.md):

  /usr/bin/python3 test/neutron/oracle-harness [--names] [--state] [--trace] [--verbose] < trace.json
  /usr/bin/python3 test/neutron/oracle-harness --batch

One run: the trace (docs/trace-format.md) on stdin; on stdout every l2pop message Neutron sent,
one JSON object per line inside a JSON array (the form of test/fixtures/neutron-examples/*.out.json).
  --names    network ids in the output replaced by the trace's network names
  --state    print {"notifications": [...], "fdb": {host: {network: {vtep: [[mac, ip]...]}}}} on
             one line instead: the messages and the tables they leave on every agent
  --trace    after every step, one JSON line on stderr: each port's "host/status/owner" and each HA
             router's "host=state" list
  --verbose  let Neutron's own logging through to stderr
Exit 0 when every step ran; 2 when a step raised or the trace is invalid (the reason on stderr,
nothing on stdout).

--batch: a long-lived worker for the tests (test/neutron/oracle-worker.ts). One trace per stdin
line, one reply per stdout line, always as `--state --names --trace`:
  {"ok": true, "doc": {"notifications": [...], "fdb": {...}}, "trace": [...], "errors": [...]}
  {"ok": false, "error": "<reason>"}
Neutron's test machinery is imported once (about 5 s), then each trace costs about 1-4 s in a
fresh test case with a fresh in-memory database.
"""

import argparse
import contextlib
import io
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import neutron_bed  # noqa: E402
import results  # noqa: E402
import scenario_driver  # noqa: E402


def play(trace, names, traced):
    """Runs one trace in a fresh bed: (messages, agent tables, trace lines, expected errors)."""
    if not isinstance(trace, dict):
        raise scenario_driver.TraceError('a trace is a JSON object, got %s' % type(trace).__name__)
    lines = []

    def drive(bed):
        driver = scenario_driver.ScenarioDriver(bed, trace)
        driver.run((lambda i, op: lines.append(driver.snapshot(i, op))) if traced else None)
        return driver, [results.message(c) for c in bed.casts]

    ha_type = (trace.get('config') or {}).get('ha_network_type', 'local')
    driver, messages = neutron_bed.run_in_bed(drive, ha_network_type=ha_type)
    if names:
        messages = results.with_names(messages, driver.names)
    tables = results.agent_tables(messages, driver.final_tunnel_ips())
    return messages, tables, lines, driver.expected_errors


@contextlib.contextmanager
def quiet(verbose):
    """Neutron's log output and prints go to a buffer (or stderr with --verbose), never stdout."""
    noise = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = saved[1] if verbose else noise
    try:
        yield noise
    finally:
        sys.stdout, sys.stderr = saved


def dumps(value):
    return json.dumps(value, sort_keys=True)


def run_once(args, out, err):
    with quiet(args.verbose) as noise:
        try:
            trace = json.load(sys.stdin)
            messages, tables, lines, errors = play(trace, args.names, args.trace)
        except Exception as e:  # noqa: reported, not raised
            failure = str(e) if isinstance(e, RuntimeError) else traceback.format_exc()
        else:
            failure = None
    if failure is not None:
        err.write(noise.getvalue() + failure + '\n')
        return 2
    for e in errors:
        err.write(e + '\n')
    for line in lines:
        err.write(dumps(line) + '\n')
    if args.state:
        out.write(dumps({'notifications': messages, 'fdb': tables}) + '\n')
    else:
        out.write('[\n' + ',\n'.join(dumps(m) for m in messages) + '\n]\n')
    return 0


def run_batch(out):
    for raw in sys.stdin:
        if not raw.strip():
            continue
        with quiet(False) as noise:
            try:
                messages, tables, lines, errors = play(json.loads(raw), True, True)
                reply = {'ok': True, 'doc': {'notifications': messages, 'fdb': tables},
                         'trace': lines, 'errors': errors}
            except Exception as e:  # noqa: one bad trace must not stop the worker
                reason = str(e) if isinstance(e, RuntimeError) else traceback.format_exc()
                reply = {'ok': False, 'error': noise.getvalue()[-4000:] + reason}
        out.write(dumps(reply) + '\n')
        out.flush()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    for flag in ('--names', '--state', '--trace', '--verbose', '--batch'):
        parser.add_argument(flag, action='store_true')
    args = parser.parse_args()
    if args.batch:
        return run_batch(sys.stdout)
    return run_once(args, sys.stdout, sys.stderr)


if __name__ == '__main__':
    sys.exit(main())
