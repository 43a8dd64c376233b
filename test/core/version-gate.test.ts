import { describe, expect, it } from 'vitest';
import type { HeldNetwork } from '../../agent/create-agent.js';
import { decideDelta, decideLeave, decideSnapshot } from '../../src/core/version-gate.js';

const held = (version: number, extra: Partial<HeldNetwork> = {}): HeldNetwork => ({
  version,
  vni: 100,
  left: false,
  dirty: false,
  ...extra,
});

describe('decideDelta', () => {
  it.each([
    ['applies on top of the held version', held(4), 5, 4, 'apply'],
    ['ignores a duplicate of the held version', held(4), 4, 3, 'stale'],
    ['ignores an older version', held(4), 2, 1, 'stale'],
    ['calls a missing version a gap', held(4), 7, 6, 'gap'],
    ['calls a base it does not hold a gap even when the version is next', held(4), 5, 3, 'gap'],
    ['applies the first delta of a never-held network at base 0', undefined, 1, 0, 'apply'],
    ['calls any other first delta a gap', undefined, 3, 2, 'gap'],
    ['calls anything on a dirty network a gap', held(4, { dirty: true }), 5, 4, 'gap'],
  ] as const)('%s', (_name, h, version, base, expected) => {
    expect(decideDelta(h, version, base)).toBe(expected);
  });
});

describe('decideSnapshot', () => {
  it('applies a newer snapshot whatever the gap', () => expect(decideSnapshot(held(4), 9)).toBe('apply'));
  it('ignores the held version and older', () => {
    expect(decideSnapshot(held(4), 4)).toBe('stale');
    expect(decideSnapshot(held(4), 3)).toBe('stale');
  });
  it('re-applies the held version on a dirty network (the repair after a kernel failure)', () =>
    expect(decideSnapshot(held(4, { dirty: true }), 4)).toBe('apply'));
  it('applies to a network that was left earlier', () =>
    expect(decideSnapshot(held(4, { left: true }), 5)).toBe('apply'));
});

describe('decideLeave', () => {
  it('applies a newer leave and ignores a late one', () => {
    expect(decideLeave(held(4), 5)).toBe('apply');
    expect(decideLeave(held(4), 4)).toBe('stale');
  });
  it('leaves a network it never held (tombstone for late deltas)', () =>
    expect(decideLeave(undefined, 1)).toBe('apply'));
});
