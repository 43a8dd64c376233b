import { pathToFileURL } from 'node:url';
import type { SqsLambdaHandler } from './poller.js';

let instance = 0;

/**
 * Imports a function bundle (dist/functions/<name>.mjs) as a fresh module instance, i.e. a cold
 * start, with `env` set while its init code runs (the function's environment variables; the
 * config module reads them at cold start).
 */
export async function loadBundledHandler<H = SqsLambdaHandler>(
  file: string,
  env: Readonly<Record<string, string>>,
): Promise<H> {
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const mod = (await import(`${pathToFileURL(file).href}?instance=${++instance}`)) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new Error(`${file} exports no handler`);
    return mod.handler as H;
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
