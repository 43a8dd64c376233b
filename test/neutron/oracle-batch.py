#!/usr/bin/python3
"""Runs many scenarios through neutron_oracle.py in ONE process.

Glue only: imports ../shared/oracle/neutron_oracle.py and calls its run(), to_jsonable(),
rename() and fold_state() exactly as its main() does for `--state --names --trace`. Importing
Neutron's test machinery costs about 5 s per process and a scenario about 1-4 s, so a long-lived
worker makes the differential tests about three times faster.

Protocol: one scenario per line on stdin (JSON); one result per line on stdout:
  {"ok": true, "doc": {"notifications": [...], "fdb": {...}}, "trace": [...], "errors": [...]}
  {"ok": false, "error": "<traceback>"}
Usage: oracle-batch.py <path of neutron_oracle.py>
"""
import importlib.util
import io
import json
import sys
import traceback


def main():
    spec = importlib.util.spec_from_file_location('neutron_oracle', sys.argv[1])
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        noise = io.StringIO()
        sys.stdout, sys.stderr = noise, noise
        try:
            scenario = json.loads(line)
            trace = []
            captured, names, ip_to_host, errors = oracle.run(scenario, trace)
            items = []
            for c in captured:
                items.append({'method': c['method'], 'target': c['target'],
                              'payload': oracle.to_jsonable(c['payload'], True),
                              'step': c['step'], 'op': c['op']})
            items = oracle.rename(items, names)
            doc = {'notifications': items,
                   'fdb': oracle.fold_state(items, ip_to_host)}
            result = {'ok': True, 'doc': doc,
                      'trace': [oracle.rename(t, names) for t in trace],
                      'errors': errors}
        except Exception:        # noqa: a failed scenario must not stop the worker
            result = {'ok': False,
                      'error': noise.getvalue()[-4000:] + traceback.format_exc()}
        finally:
            sys.stdout, sys.stderr = out, sys.__stderr__
        out.write(json.dumps(result, sort_keys=True) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
