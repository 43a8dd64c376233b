/**
 * `npm run contract`: regenerates docs/contract/ (JSON Schemas and the AsyncAPI document) from the
 * zod contracts. Files it no longer renders are removed, so a dropped message leaves no schema.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACT_DIR, ROOT, renderContract } from './render.js';

const dir = path.join(ROOT, CONTRACT_DIR);
const files = renderContract();
mkdirSync(path.join(dir, 'schemas'), { recursive: true });
for (const old of readdirSync(path.join(dir, 'schemas')))
  if (!files.has(`schemas/${old}`)) rmSync(path.join(dir, 'schemas', old));
for (const [name, content] of files) writeFileSync(path.join(dir, name), content);
process.stdout.write(`wrote ${files.size} files to ${CONTRACT_DIR}/\n`);
