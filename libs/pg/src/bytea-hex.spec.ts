import { ValidationError } from '@geo/domain';
import { byteaToHex, hexToBytea } from './bytea-hex';

describe('bytea hex packing (GitLab sha_attribute)', () => {
  it('packs a SHA-256 hex into 32 bytes and reads it back as lowercase hex', () => {
    const hex = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855';
    const packed = hexToBytea(hex);
    expect(packed).toHaveLength(32);
    expect(byteaToHex(packed)).toBe(hex.toLowerCase());
  });

  it('packs the padded object-storage size as nibbles ("012345" → 3 bytes)', () => {
    expect([...hexToBytea('012345')]).toEqual([0x01, 0x23, 0x45]);
    expect(byteaToHex(Buffer.from([0x01, 0x23, 0x45]))).toBe('012345');
  });

  it('keeps NULL as NULL', () => {
    expect(hexToBytea(null)).toBeNull();
    expect(byteaToHex(null)).toBeNull();
  });

  it.each(['abc', 'zz', '12 34', '0x12'])('rejects %j (odd length or not hex)', (bad) => {
    expect(() => hexToBytea(bad)).toThrow(ValidationError);
  });
});
