import type { MiddlewareStack } from '@smithy/types';
import { CommandFailedError } from './cli-support.js';

/**
 * A service could not be reached, or no credentials were found for it: exit code 1, with the
 * endpoint that failed and the flag that sets it, so the operator knows what to fix.
 */
export class ConnectionError extends CommandFailedError {
  readonly endpointFailed = true;
}

/** Where a client goes, for the message: the service, its endpoint (undefined: AWS's own) and the flag. */
export interface EndpointLabel {
  readonly service: string;
  readonly endpoint: string | undefined;
  readonly flag: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

interface WireError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: { code?: string };
}

/** Whether the error means no answer came back (as opposed to an answer that is an error). */
function isUnreachable(e: WireError): boolean {
  if (e.$metadata?.httpStatusCode !== undefined) return false;
  return (
    NETWORK_CODES.has(e.code ?? '') ||
    NETWORK_CODES.has(e.cause?.code ?? '') ||
    e.name === 'TimeoutError' ||
    /ECONNREFUSED|ENOTFOUND|socket hang up/.test(e.message ?? '')
  );
}

/** Turns a failed call into a ConnectionError naming the endpoint and its flag; other errors pass. */
export function explainFailure(err: unknown, label: EndpointLabel, url: string | undefined): unknown {
  const e = (err ?? {}) as WireError;
  const where = label.endpoint ?? url ?? `${label.service}'s AWS endpoint`;
  if (e.name === 'CredentialsProviderError')
    return new ConnectionError(
      `no AWS credentials for ${label.service} (${where}): ${e.message}. Set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a shared credentials file`,
    );
  if (isUnreachable(e))
    return new ConnectionError(
      `cannot reach ${label.service} at ${where}: ${e.code ?? e.cause?.code ?? e.name}: ${e.message} (set it with ${label.flag})`,
    );
  return err;
}

interface ClientWithStack {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK clients' stacks differ only in their input and output types
  readonly middlewareStack: MiddlewareStack<any, any>;
}

/**
 * Adds, around every call of the client, the translation of an unreachable endpoint or missing
 * credentials into a ConnectionError. The build step records the URL the request went to.
 */
export function labelEndpoint(client: ClientWithStack, label: EndpointLabel): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        throw explainFailure(err, label, (context as { l2popUrl?: string }).l2popUrl);
      }
    },
    { step: 'initialize', name: 'l2popEndpointLabel', priority: 'high' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const r = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
      if (r?.hostname)
        (context as { l2popUrl?: string }).l2popUrl =
          `${r.protocol ?? 'https:'}//${r.hostname}${r.port ? `:${r.port}` : ''}`;
      return next(args);
    },
    { step: 'build', name: 'l2popEndpointUrl', priority: 'low' },
  );
}
