import { agentCommandSchema } from '../../src/contracts/commands.js';
import type { PlannedCommand } from '../../src/core/commands.js';
import type { Entry } from '../../src/core/types.js';
import { FLOOD_KEY, keyOf } from './neutron-fold.js';
import type { VectorMessage } from './vectors.js';

/**
 * The shapes a vector checks, on the commands we send: Neutron's wire shape (our outbound schema
 * wraps Neutron's payloads unchanged), the flooding entry first in its list, and no empty message
 * or list.
 */
export function shapeErrors(host: string, commands: readonly PlannedCommand[]): string[] {
  const errors: string[] = [];
  for (const c of commands) {
    const parsed = agentCommandSchema.safeParse(JSON.parse(JSON.stringify(c)));
    if (!parsed.success) errors.push(`${host}: command does not parse: ${parsed.error.message}`);
    const lists: (readonly Entry[])[] = [];
    if (c.kind === 'snapshot')
      lists.push(...Object.values(c.fdb_entries).flatMap((b) => Object.values(b.ports)));
    if (c.kind === 'delta') {
      // a delta without payloads is the version step every member gets when its own table did
      // not change (docs/data-model.md, "Constant write capacity in hosts"); it must be one
      if (c.payloads.length === 0 && c.base !== c.version - 1)
        errors.push(`${host}: delta without payloads that is not a version step`);
      for (const p of c.payloads) {
        if (p.method === 'update_fdb_entries') {
          for (const perVtep of Object.values(p.fdb_entries.chg_ip))
            for (const chg of Object.values(perVtep)) {
              if (!chg.before && !chg.after) errors.push(`${host}: chg_ip with neither before nor after`);
              lists.push(...[chg.before, chg.after].filter((l): l is Entry[] => l !== undefined));
            }
        } else {
          lists.push(...Object.values(p.fdb_entries).flatMap((b) => Object.values(b.ports)));
        }
      }
    }
    for (const list of lists) {
      if (list.length === 0) errors.push(`${host}: empty entry list`);
      if (list.some((e, i) => i > 0 && keyOf(e) === FLOOD_KEY))
        errors.push(`${host}: flooding entry not first`);
    }
  }
  return errors;
}

/** `before`/`after` sets of the `chg_ip` a host received for one VTEP of one network, or null. */
export function receivedChgIp(
  commands: readonly PlannedCommand[],
  network: string,
  vtep: string,
): { before: string[]; after: string[] } | null {
  for (const c of commands) {
    if (c.kind !== 'delta') continue;
    for (const p of c.payloads) {
      if (p.method !== 'update_fdb_entries') continue;
      const chg = p.fdb_entries.chg_ip[network]?.[vtep];
      if (chg)
        return { before: (chg.before ?? []).map(keyOf).sort(), after: (chg.after ?? []).map(keyOf).sort() };
    }
  }
  return null;
}

/** The `chg_ip` updates of Neutron's fanouts: network, VTEP, before and after. */
export function expectedChgIps(
  messages: readonly VectorMessage[],
): { network: string; vtep: string; before: string[]; after: string[] }[] {
  const out: { network: string; vtep: string; before: string[]; after: string[] }[] = [];
  for (const m of messages) {
    if (m.method !== 'update_fdb_entries' || m.to !== 'fanout') continue;
    for (const [network, perVtep] of Object.entries(m.fdb.chg_ip))
      for (const [vtep, chg] of Object.entries(perVtep))
        out.push({
          network,
          vtep,
          before: (chg.before ?? []).map(keyOf).sort(),
          after: (chg.after ?? []).map(keyOf).sort(),
        });
  }
  return out;
}
