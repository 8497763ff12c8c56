/**
 * Formats 16 GUID bytes stored in Windows memory order (Data1 u32 LE, Data2 u16 LE, Data3 u16 LE,
 * Data4 as-is) as 32 lower-case hex digits in the canonical order used by SSQP keys.
 */
export function formatWindowsGuid(bytes: Uint8Array, offset = 0): string {
  if (offset < 0 || offset + 16 > bytes.length) throw new RangeError(`a GUID needs 16 bytes at offset ${offset}`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 16);
  const data1 = view.readUInt32LE(0).toString(16).padStart(8, '0');
  const data2 = view.readUInt16LE(4).toString(16).padStart(4, '0');
  const data3 = view.readUInt16LE(6).toString(16).padStart(4, '0');
  return `${data1}${data2}${data3}${view.subarray(8, 16).toString('hex')}`;
}
