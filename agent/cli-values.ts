/**
 * Validators of command-line values shared by the agent and the HA notify sender. Each throws a
 * RangeError naming the option, before anything is started or sent.
 */

export function int(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return n;
}

export function choice<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new RangeError(`--${name} must be one of ${allowed.join('|')}`);
  return raw as T;
}

export function url(name: string, raw: string | undefined): string {
  if (raw === undefined) throw new RangeError(`--${name} is required`);
  const parsed = URL.canParse(raw) ? new URL(raw) : null;
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
    throw new RangeError(`--${name} must be an http(s) URL`);
  return raw;
}

/** An absolute path of plain characters, short enough for a Unix socket (never passed through a shell, but logged). */
export function absolutePath(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // sun_path holds 108 bytes including the NUL.
  if (!/^\/[A-Za-z0-9_./-]{1,106}$/.test(raw) || raw.split('/').includes('..'))
    throw new RangeError(`--${name} must be an absolute path of [A-Za-z0-9_./-], at most 107 characters`);
  return raw;
}

export function parseRegion(raw: string | undefined): string {
  const region = raw ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new RangeError('--region must be an AWS region name');
  return region;
}

export function optionalUrl(name: string, raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : url(name, raw);
}
