import { ValidationError } from '@geo/domain';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * GitLab `sha_attribute`: a checksum's hex string is stored packed (`pack('H*')`) in a bytea column,
 * so a SHA-256 takes 32 bytes. The padded decimal file size used for object-stored files is also
 * packed as nibbles, which is why it is padded to an even length before it gets here.
 */
export function hexToBytea(hex: string): Buffer;
export function hexToBytea(hex: string | null): Buffer | null;
export function hexToBytea(hex: string | null): Buffer | null {
  if (hex === null) return null;
  if (!HEX.test(hex)) {
    throw new ValidationError(`checksum must be an even-length hex string, got ${JSON.stringify(hex.slice(0, 80))}`);
  }
  return Buffer.from(hex, 'hex');
}

/** Reads a packed checksum back as lowercase hex (`unpack1('H*')`). */
export function byteaToHex(value: Buffer | null): string | null {
  return value === null ? null : value.toString('hex');
}
