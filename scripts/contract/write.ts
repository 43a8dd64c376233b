/**
 * `npm run contract`: regenerates docs/contract/ (JSON Schemas and the AsyncAPI document) from the
 * zod contracts, and the worked examples of docs/integration.md from the use-cases. Files it no
 * longer renders are removed, so a dropped message leaves no schema.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACT_DIR, INTEGRATION_DOC, ROOT, renderContract } from './render.js';
import { renderWorkedExamples, runWorkedExamples, withWorkedExamples } from './worked-examples.js';

const dir = path.join(ROOT, CONTRACT_DIR);
const files = renderContract();
mkdirSync(path.join(dir, 'schemas'), { recursive: true });
for (const old of readdirSync(path.join(dir, 'schemas')))
  if (!files.has(`schemas/${old}`)) rmSync(path.join(dir, 'schemas', old));
for (const [name, content] of files) writeFileSync(path.join(dir, name), content);
const doc = path.join(ROOT, INTEGRATION_DOC);
const block = renderWorkedExamples(await runWorkedExamples());
writeFileSync(doc, withWorkedExamples(readFileSync(doc, 'utf8'), block));
process.stdout.write(
  `wrote ${files.size} files to ${CONTRACT_DIR}/ and the worked examples of ${INTEGRATION_DOC}\n`,
);
