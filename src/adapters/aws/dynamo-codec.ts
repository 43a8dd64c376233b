import { gunzipSync, gzipSync } from 'node:zlib';
import { InvalidInputError } from '../../core/errors.js';

/** DynamoDB's item limit is 400 KB (attribute names included); blobs are cut well below it. */
export const MAX_ITEM_BYTES = 400 * 1024;
export const BLOB_CHUNK_BYTES = 350 * 1024;
/** TransactWriteItems: 100 items and 4 MB in all. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

/** JSON, gzipped: network state bodies and outbox commands are repetitive and compress ~5-20x. */
export function encodeBlob(value: unknown): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
}

export function decodeBlob(bytes: Uint8Array | readonly Uint8Array[]): unknown {
  const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
  return JSON.parse(gunzipSync(Buffer.concat(parts.map((p) => Buffer.from(p)))).toString('utf8'));
}

/** Cuts a blob into chunks of at most `BLOB_CHUNK_BYTES`. */
export function chunkBlob(blob: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < blob.length; i += BLOB_CHUNK_BYTES) out.push(blob.subarray(i, i + BLOB_CHUNK_BYTES));
  return out.length > 0 ? out : [blob];
}

/**
 * Approximate DynamoDB size of an item, as AWS counts it (attribute names + values; numbers as
 * ~1 byte per 2 digits; +3 bytes per list or map element). Used to reject before the service does.
 */
export function estimateItemBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return Math.ceil(String(value).length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + estimateItemBytes(v), 0);
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + estimateItemBytes(v), 0);
  let n = 3;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== undefined) n += Buffer.byteLength(k, 'utf8') + 1 + estimateItemBytes(v);
  }
  return n;
}

/** A hard DynamoDB limit the commit cannot fit in: terminal, rejected with `limit_exceeded`. */
export function limitError(message: string, details: Record<string, unknown>): InvalidInputError {
  return new InvalidInputError('limit_exceeded', message, details);
}
