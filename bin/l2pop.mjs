#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader. On a fresh clone it first installs the pinned
// dependencies (scripts/ensure-deps.mjs), so the README's `npx l2pop local` is one command.
import { ensureDependencies } from '../scripts/ensure-deps.mjs';

ensureDependencies();
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
