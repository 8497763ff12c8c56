import { ErrorCodes, GeoError, ValidationError } from '@geo/domain';

/** What the caller knows the bytes of a `put` must be (e.g. the primary's size and checksum). */
export interface PutExpectation {
  /** Exact size in bytes. */
  readonly size?: number;
  /** SHA-256 as hex (any case). */
  readonly sha256?: string;
}

/** Which property of the bytes disagreed with the expectation. */
export type ChecksumMismatchReason = 'size' | 'sha256';

/**
 * A `put` received bytes that differ from `PutOptions.expect`. Nothing was installed: the key keeps
 * its previous blob (or stays absent) and the temporary data is gone. Not retryable as such: the same
 * bytes would fail again; the caller decides whether fetching them again is worth it.
 */
export class ChecksumMismatchError extends GeoError {
  override readonly name = 'ChecksumMismatchError';

  constructor(
    readonly key: string,
    readonly reason: ChecksumMismatchReason,
    readonly expected: PutExpectation,
    /** `sha256` is absent when the size check failed first (the stream was cut short). */
    readonly actual: { readonly size: number; readonly sha256?: string },
  ) {
    const text =
      reason === 'size'
        ? `expected ${expected.size ?? '?'} bytes, got ${actual.sha256 === undefined ? 'more than that' : actual.size}`
        : `expected sha256 ${expected.sha256 ?? '?'}, got ${actual.sha256 ?? '?'}`;
    super(ErrorCodes.CHECKSUM_MISMATCH, `blob ${key}: ${reason} mismatch: ${text}`, {
      details: {
        key,
        reason,
        expectedSize: expected.size ?? null,
        actualSize: actual.size,
        expectedSha256: expected.sha256 ?? null,
        actualSha256: actual.sha256 ?? null,
      },
    });
  }
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Checks a `put` against its expectation while the bytes stream through. Built (and the expectation
 * validated) before any I/O, so a malformed expectation never leaves anything behind.
 */
export class ExpectationCheck {
  private constructor(
    private readonly key: string,
    private readonly expected: PutExpectation,
  ) {}

  /** Undefined when there is nothing to check. Throws `ValidationError` for a malformed expectation. */
  static of(key: string, expect: PutExpectation | undefined): ExpectationCheck | undefined {
    if (expect === undefined || (expect.size === undefined && expect.sha256 === undefined)) return undefined;
    const { size, sha256 } = expect;
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
      throw new ValidationError(`expected blob size must be a non-negative integer, got ${size}`, { details: { key } });
    }
    if (sha256 !== undefined && !SHA256_HEX.test(sha256)) {
      throw new ValidationError(`expected blob sha256 must be 64 hex digits, got ${JSON.stringify(sha256)}`, { details: { key } });
    }
    return new ExpectationCheck(key, {
      ...(size === undefined ? {} : { size }),
      ...(sha256 === undefined ? {} : { sha256: sha256.toLowerCase() }),
    });
  }

  /** Call after each chunk: fails as soon as more bytes arrived than expected (no need to read the rest). */
  sizeSoFar(size: number): void {
    const limit = this.expected.size;
    if (limit !== undefined && size > limit) throw new ChecksumMismatchError(this.key, 'size', this.expected, { size });
  }

  /** Call once the source ended, before the blob is made visible. */
  final(size: number, sha256: string): void {
    if (this.expected.size !== undefined && size !== this.expected.size) {
      throw new ChecksumMismatchError(this.key, 'size', this.expected, { size, sha256 });
    }
    if (this.expected.sha256 !== undefined && sha256 !== this.expected.sha256) {
      throw new ChecksumMismatchError(this.key, 'sha256', this.expected, { size, sha256 });
    }
  }
}
