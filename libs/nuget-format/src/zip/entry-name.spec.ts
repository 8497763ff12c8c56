import { rejectReasonOf } from '../reject';
import { checkEntryName, decodeEntryName } from './entry-name';

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return rejectReasonOf(error) ?? `unexpected: ${String(error)}`;
  }
  return undefined;
}

describe('checkEntryName', () => {
  it.each([
    ['lib/net5.0/TestData.pdb', false, 'lib/net5.0/testdata.pdb'],
    ['TestData.nuspec', false, 'testdata.nuspec'],
    ['[Content_Types].xml', false, '[content_types].xml'],
    ['lib/', true, 'lib'],
    ['lib/net5.0/Café.pdb', false, 'lib/net5.0/café.pdb'],
    ['lib/net5.0/Cafe\u0301.pdb', false, 'lib/net5.0/café.pdb'], // NFD → NFC for duplicate detection
    ['lib/My%20Lib.pdb', false, 'lib/my%20lib.pdb'],
  ])('accepts %j', (name, isDirectory, duplicateKey) => {
    expect(checkEntryName(name)).toEqual({ name, isDirectory, duplicateKey });
  });

  it.each([
    ['', 'zip.empty_name'],
    ['lib/a\u0000.pdb', 'zip.control_char'],
    ['lib/a\n.pdb', 'zip.control_char'],
    ['lib/a\u007f.pdb', 'zip.control_char'],
    ['lib\\a.pdb', 'zip.backslash'],
    ['/etc/passwd', 'zip.absolute_path'],
    ['C:/Windows/a.pdb', 'zip.absolute_path'],
    ['c:a.pdb', 'zip.absolute_path'],
    ['../a.pdb', 'zip.path_traversal'],
    ['lib/../../a.pdb', 'zip.path_traversal'],
    ['lib/..', 'zip.path_traversal'],
    ['lib/../', 'zip.path_traversal'],
    ['lib//a.pdb', 'zip.invalid_name'],
    ['./a.pdb', 'zip.invalid_name'],
    ['lib/./a.pdb', 'zip.invalid_name'],
    ['/', 'zip.absolute_path'],
    [`lib/${'a'.repeat(1100)}`, 'zip.name_too_long'],
  ])('rejects %j with %s', (name, reason) => {
    expect(reasonOf(() => checkEntryName(name))).toBe(reason);
  });

  it('allows ".." inside a segment name', () => {
    expect(checkEntryName('lib/a..b.pdb').name).toBe('lib/a..b.pdb');
  });
});

describe('decodeEntryName', () => {
  it('decodes UTF-8 when the flag is set', () => {
    expect(decodeEntryName(Buffer.from('lib/Café.pdb', 'utf8'), 0x800)).toBe('lib/Café.pdb');
  });

  it('decodes ASCII without the flag', () => {
    expect(decodeEntryName(Buffer.from('lib/a.pdb', 'latin1'), 0)).toBe('lib/a.pdb');
  });

  it('rejects high bytes without the UTF-8 flag', () => {
    expect(reasonOf(() => decodeEntryName(Buffer.from('lib/Caf\xe9.pdb', 'latin1'), 0))).toBe('zip.invalid_name');
  });

  it('rejects invalid UTF-8 with the flag', () => {
    expect(reasonOf(() => decodeEntryName(Buffer.from([0x61, 0xc3, 0x28]), 0x800))).toBe('zip.invalid_name');
  });
});
