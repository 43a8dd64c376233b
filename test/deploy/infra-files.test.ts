import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { ROOT } from '../../scripts/build.mjs';
import { RESOURCES_FILE } from '../../src/cli/resource-names.js';

const INFRA = path.join(ROOT, 'infra');

/** Every intrinsic used anywhere in a parsed document. */
function intrinsics(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) intrinsics(v, out);
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' || k.startsWith('Fn::')) out.add(k);
      intrinsics(v, out);
    }
  return out;
}

describe('infra/', () => {
  it('is plain YAML: long-form intrinsics, no short-form tags, no Fn::Sub', async () => {
    const files = (await readdir(INFRA)).filter((f) => f.endsWith('.yml'));
    expect(files.sort()).toEqual(['alarms.yml', 'dashboard.yml', 'resources.yml', 'roles.yml']);
    for (const f of files) {
      const doc = parseDocument(await readFile(path.join(INFRA, f), 'utf8'));
      expect(doc.errors, f).toEqual([]);
      expect(doc.warnings, f).toEqual([]);
      const used = intrinsics(doc.toJS());
      expect(used.has('Fn::Sub'), f).toBe(false);
    }
  });

  it('keeps in resources.yml only what the local stack creates from it: the table and the queues', async () => {
    const doc = parse(await readFile(RESOURCES_FILE, 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = new Set(Object.values(doc.Resources).map((r) => r.Type));
    expect([...types].sort()).toEqual(['AWS::DynamoDB::Table', 'AWS::SQS::Queue']);
    // tools/local/local-resources.ts resolves exactly these.
    expect([...intrinsics(doc.Resources)].sort()).toEqual(['Fn::GetAtt', 'Fn::Join', 'Ref']);
  });
});
