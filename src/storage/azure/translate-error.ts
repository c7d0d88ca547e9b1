import { ConflictError, NotFoundError, PreconditionFailedError } from '../../errors.js';

/** The parts of an Azure SDK `RestError` we look at (data-tables leaves `code` empty: use `statusCode`). */
interface AzureErrorShape {
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: { readonly errorCode?: string };
}

function shape(err: unknown): AzureErrorShape | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err
    ? (err as AzureErrorShape)
    : undefined;
}

/** The HTTP status of an Azure SDK error, or undefined for anything else (network errors…). */
export function azureStatus(err: unknown): number | undefined {
  return shape(err)?.statusCode;
}

/** The service error code (`BlobAlreadyExists`, `UpdateConditionNotSatisfied`, …) when known. */
export function azureCode(err: unknown): string | undefined {
  const s = shape(err);
  return s?.code ?? s?.details?.errorCode;
}

/**
 * Translates an SDK error into our typed errors at the adapter edge, so `RestError` never
 * reaches the core: 404 → `NotFoundError`, 409 → `ConflictError`, 412 → `PreconditionFailedError`
 * (or `ConflictError` when the write was create-only: an existing target is a conflict).
 * Anything else is returned unchanged.
 */
export function translateAzureError(err: unknown, what: string, createOnly = false): unknown {
  const status = azureStatus(err);
  const code = azureCode(err);
  const suffix = code ? ` (${code})` : '';
  if (status === 404) return new NotFoundError(`${what} does not exist${suffix}`);
  if (status === 409) return new ConflictError(`${what} already exists${suffix}`);
  if (status === 412) {
    return createOnly
      ? new ConflictError(`${what} already exists${suffix}`)
      : new PreconditionFailedError(`${what} changed since the ETag it was read at${suffix}`);
  }
  return err;
}

/** ETags from blob listings are unquoted, elsewhere quoted: we always quote. */
export function quoteEtag(etag: string | undefined): string {
  if (etag === undefined || etag === '') throw new Error('internal: Azure returned no ETag');
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}
