import { ErrorCodes, ValidationError } from '@geo/domain';
import { PackageKind, type PushPackageHeader, type PushPackageRequest } from '@geo/proto';

/** A fully received push: its header and the package bytes in one buffer. */
export interface ReceivedUpload {
  readonly header: PushPackageHeader;
  readonly kind: 'nupkg' | 'snupkg';
  readonly bytes: Buffer;
}

function tooLarge(maxBytes: number, details: Record<string, unknown>): ValidationError {
  return new ValidationError(`Package is too large: the limit is ${maxBytes} bytes`, { details: { reason: 'upload.too_large', maxBytes, ...details } }, ErrorCodes.TOO_LARGE);
}

function kindOf(kind: PackageKind): 'nupkg' | 'snupkg' {
  switch (kind) {
    case PackageKind.PACKAGE_KIND_NUPKG:
      return 'nupkg';
    case PackageKind.PACKAGE_KIND_SNUPKG:
      return 'snupkg';
    case PackageKind.PACKAGE_KIND_UNSPECIFIED:
    case PackageKind.UNRECOGNIZED:
      throw new ValidationError('push header: kind must be PACKAGE_KIND_NUPKG or PACKAGE_KIND_SNUPKG', { details: { reason: 'upload.bad_kind', kind } });
  }
}

/**
 * Reads a PushPackage stream: exactly one `header` first, then `chunk`s. The size limit is enforced
 * while receiving (and up front from `declared_size`), so an oversized upload is refused (TOO_LARGE)
 * as soon as it crosses the limit, without buffering more than `maxBytes`.
 */
export async function receivePackageUpload(messages: AsyncIterable<PushPackageRequest>, maxBytes: number): Promise<ReceivedUpload> {
  let header: PushPackageHeader | undefined;
  let kind: 'nupkg' | 'snupkg' = 'nupkg';
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const message of messages) {
    const part = message.part;
    if (part === undefined) throw new ValidationError('push message has neither header nor chunk', { details: { reason: 'upload.empty_message' } });
    if (part.$case === 'header') {
      if (header !== undefined) throw new ValidationError('push stream has a second header', { details: { reason: 'upload.second_header' } });
      header = part.header;
      kind = kindOf(header.kind);
      if (header.declaredSize > maxBytes) throw tooLarge(maxBytes, { declaredSize: header.declaredSize });
      continue;
    }
    if (header === undefined) throw new ValidationError('push stream must start with the header', { details: { reason: 'upload.header_not_first' } });
    total += part.chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes, { receivedBytes: total });
    chunks.push(part.chunk);
  }
  if (header === undefined) throw new ValidationError('push stream ended without a header', { details: { reason: 'upload.no_header' } });
  return { header, kind, bytes: Buffer.concat(chunks, total) };
}
