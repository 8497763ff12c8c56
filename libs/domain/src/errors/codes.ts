/**
 * Stable error codes. A code never changes meaning once released; operators grep for them in
 * logs and clients switch on them. Format: `GEO_` + a letter for the area + 4 digits
 * (checked by codes.spec.ts). Areas: C config, V validation/input, A auth, N not found,
 * S state/conflict, I infrastructure (db, nats, storage), X internal.
 */
export const ErrorCodes = {
  /** Configuration is missing or invalid; the process refuses to start. */
  CONFIG_INVALID: 'GEO_C0001',
  /** The database schema is behind this code (migrations not applied); run `geo db migrate`. */
  SCHEMA_OUT_OF_DATE: 'GEO_C0002',
  /** A request or input failed validation (bad id, malformed package, hostile path). */
  INVALID_ARGUMENT: 'GEO_V0001',
  /** A blob key is not a safe relative key (absolute, `..`, empty segment, control chars). */
  INVALID_BLOB_KEY: 'GEO_V0002',
  /** An input exceeds a configured size limit. */
  TOO_LARGE: 'GEO_V0003',
  /** Credentials are missing, malformed, expired or do not match the request. */
  UNAUTHENTICATED: 'GEO_A0001',
  /** Credentials are valid but lack the permission needed. */
  PERMISSION_DENIED: 'GEO_A0002',
  /** The addressed record does not exist. */
  NOT_FOUND: 'GEO_N0001',
  /** The record exists but its blob is missing (GitLab's geo_code FILE_NOT_FOUND). */
  FILE_NOT_FOUND: 'GEO_N0002',
  /** A state machine rejected the event from the current state. */
  INVALID_TRANSITION: 'GEO_S0001',
  /** The record already exists (duplicate push, unique key). */
  ALREADY_EXISTS: 'GEO_S0002',
  /** A compare-and-set lost the race: the row was no longer in the expected state. */
  CONFLICT: 'GEO_S0003',
  /**
   * Bytes received do not match the size or SHA-256 they were expected to have (a download from the
   * primary, GitLab's "Downloaded file checksum mismatch"); nothing was installed.
   */
  CHECKSUM_MISMATCH: 'GEO_S0004',
  /** A dependency (PostgreSQL, NATS, object storage, a peer site) is unreachable; retry later. */
  UNAVAILABLE: 'GEO_I0001',
  /** A deadline passed before the operation finished. */
  TIMEOUT: 'GEO_I0002',
  /** The caller cancelled the request (e.g. the client went away mid-upload); nothing was committed. */
  CANCELLED: 'GEO_I0003',
  /** An invariant broke; a bug. */
  INTERNAL: 'GEO_X0001',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
