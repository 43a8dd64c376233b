import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the bundle goes (dist/ is not tracked). */
export const NOTIFY_BUNDLE = `${REPO}dist/agent/notify-ha.mjs`;

/**
 * Bundles agent/notify-ha.ts with the SQS SDK inside, so each keepalived transition starts one
 * plain `node` process that loads one file: ~150 ms to a sent message on an idle 2-core machine,
 * against ~600 ms through tsx, and every millisecond of it is on master-binding's failover path.
 */
export async function bundleNotifySender(): Promise<string> {
  await build({
    entryPoints: [`${REPO}agent/notify-ha.ts`],
    outfile: NOTIFY_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    logLevel: 'error',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return NOTIFY_BUNDLE;
}
