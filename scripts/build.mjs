// Bundles each Lambda entry in functions/ with esbuild: the bundle serverless deploys and the one
// the local poller (tools/local/poller.ts) invokes. One minified .mjs per function with a source
// map; AWS SDK v3 stays external (the nodejs22.x runtime ships it; locally it resolves from
// node_modules). `node scripts/build.mjs` builds; tests import buildFunctions().
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import plugins from './esbuild-plugins.cjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = path.join(ROOT, 'dist/functions');

/** @returns {Promise<{ name: string; file: string; bytes: number }[]>} */
export async function buildFunctions({ outdir = OUT_DIR, logLevel = 'warning' } = {}) {
  const dir = path.join(ROOT, 'functions');
  const entries = (await readdir(dir).catch(() => []))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
  if (entries.length === 0) return [];
  await build({
    entryPoints: entries,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    sourcemap: true,
    minify: true,
    keepNames: true,
    external: ['@aws-sdk/*'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    plugins,
    logLevel,
  });
  const out = [];
  for (const entry of entries.sort()) {
    const name = path.basename(entry, '.ts');
    const file = path.join(outdir, `${name}.mjs`);
    out.push({ name, file, bytes: (await stat(file)).size });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const built = await buildFunctions();
  if (built.length === 0) console.log('build: no functions to bundle yet');
  for (const b of built) console.log(`${b.name}: ${(b.bytes / 1024).toFixed(1)} KiB`);
}
