/** Reasons an input is rejected for good (never retried). Stable strings: they reach logs and the DLQ. */
export const REJECTION_CODES = [
  'malformed_json',
  'invalid_message',
  'unknown_event_type',
  'unsupported_version',
  'oversized',
  'invalid_mac',
  'invalid_ip',
  'invalid_segment',
  'duplicate_ip',
  'tunnel_ip_in_use',
  'tunnel_ip_version',
  'unknown_device_owner',
  'mac_change_on_active_port',
  'network_change',
  'duplicate_mac',
  'segment_mismatch',
  'unknown_network',
  'limit_exceeded',
  'invalid_aap',
  'aap_overlaps_fixed_ip',
  'vip_unknown_port',
  'vip_network_mismatch',
  'vip_port_not_on_host',
  'vip_no_matching_aap',
  'vip_mac_mismatch',
  'vip_claim_from_the_future',
  'vip_own_fixed_ip',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/**
 * A terminal error: the input is invalid and retrying cannot help. The runtime logs it with its
 * context, records it as rejected and acknowledges the message (style.md §8).
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  readonly code: RejectionCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: RejectionCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

export function isInvalidInputError(err: unknown): err is InvalidInputError {
  return err instanceof InvalidInputError;
}
