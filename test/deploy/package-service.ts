import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../scripts/build.mjs';
import { readZip } from './read-zip.js';

/** What `serverless package` reads: the service file, its resources and the handlers' sources. */
const SERVICE_FILES = [
  'serverless.yml',
  'package.json',
  'tsconfig.json',
  'infra',
  'functions',
  'src',
  'scripts',
];

export interface PackagedService {
  /** `.serverless/cloudformation-template-update-stack.json`, parsed. */
  readonly template: CfnTemplate;
  /** Each function's zip (`<function>.zip`), unpacked. */
  readonly artifacts: ReadonlyMap<string, ReadonlyMap<string, Buffer>>;
  /** Each zip's size in bytes. */
  readonly zipBytes: ReadonlyMap<string, number>;
  /** What serverless printed (stdout and stderr). */
  readonly output: string;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DependsOn?: unknown;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown }>;
  readonly Conditions?: Record<string, unknown>;
}

/**
 * Runs `serverless package` (osls, offline) on a clean copy of the service in a temp dir, with
 * node_modules symlinked rather than installed, HOME in the temp dir and no AWS variables: it
 * proves packaging needs no credentials and leaves nothing in the repo. About 5 s.
 */
export async function packageService(args: readonly string[] = []): Promise<PackagedService> {
  const dir = await mkdtemp(path.join(tmpdir(), 'l2pop-package-'));
  try {
    for (const f of SERVICE_FILES) await cp(path.join(ROOT, f), path.join(dir, f), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    await mkdir(path.join(dir, 'home'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: path.join(dir, 'home'),
      AWS_CONFIG_FILE: path.join(dir, 'home', 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'home', 'no-credentials'),
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      FORCE_COLOR: '0',
    };
    const bin = path.join(ROOT, 'node_modules/osls/bin/serverless.js');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'package', ...args], {
      cwd: dir,
      env,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const out = path.join(dir, '.serverless');
    const template = JSON.parse(
      await readFile(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as CfnTemplate;
    const artifacts = new Map<string, ReadonlyMap<string, Buffer>>();
    const zipBytes = new Map<string, number>();
    for (const f of (await readdir(out)).filter((n) => n.endsWith('.zip'))) {
      const zip = await readFile(path.join(out, f));
      artifacts.set(path.basename(f, '.zip'), readZip(zip));
      zipBytes.set(path.basename(f, '.zip'), zip.length);
    }
    return { template, artifacts, zipBytes, output: `${stdout}\n${stderr}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
