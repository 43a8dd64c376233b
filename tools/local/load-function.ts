import { pathToFileURL } from 'node:url';
import type { RuntimeSeams } from '../../src/runtime/seams.js';
import type { SqsLambdaHandler } from './poller.js';

let instance = 0;

/**
 * Imports a function bundle (dist/functions/<name>.mjs) as a fresh module instance, i.e. a cold
 * start, with `env` set while its init code runs (the function's environment variables; the
 * config module reads them at cold start). It returns the bundle's `handler`, what Lambda invokes,
 * or with `seams` the handler its `withSeams` export builds with them (src/runtime/seams.ts), in
 * the same environment.
 */
export async function loadBundledHandler<H = SqsLambdaHandler>(
  file: string,
  env: Readonly<Record<string, string>>,
  seams?: RuntimeSeams,
): Promise<H> {
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const mod = (await import(`${pathToFileURL(file).href}?instance=${++instance}`)) as {
      handler?: unknown;
      withSeams?: unknown;
    };
    if (typeof mod.handler !== 'function') throw new Error(`${file} exports no handler`);
    if (!seams) return mod.handler as H;
    if (typeof mod.withSeams !== 'function') throw new Error(`${file} exports no withSeams`);
    return (mod.withSeams as (s: RuntimeSeams) => H)(seams);
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
