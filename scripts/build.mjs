// Bundles each Lambda entry in functions/ with esbuild, the same bundle the local poller invokes
// and serverless deploys. One .mjs per function, with source maps, AWS SDK v3 external (the
// nodejs22.x runtime ships it).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, 'functions');
const entries = (await readdir(dir).catch(() => []))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(dir, f));
if (entries.length === 0) {
  console.log('build: no functions to bundle yet');
} else {
  await build({
    entryPoints: entries,
    outdir: path.join(root, 'dist/functions'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    sourcemap: true,
    external: ['@aws-sdk/*'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'info',
  });
}
