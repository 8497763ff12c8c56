import { attachmentDisposition, pushCreatedJson } from './nuget-json';

describe('pushCreatedJson', () => {
  it('renders the push answer with GitLab column names', () => {
    const json = pushCreatedJson({
      packageId: 12,
      name: 'TestData',
      version: '1.2.3',
      symbolFiles: [
        {
          id: 3,
          projectId: 1,
          packageId: 12,
          file: 'testdata.pdb',
          filePath: 'lib/net5.0/TestData.pdb',
          signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF',
          size: 7132,
          fileSha256: 'd81ef71657dda22aed4a22d29e9c981bede9411ab2722b8c480067ab2180fbd7',
          objectStorageKey: 'aa/bb/key',
          createdAt: new Date(0),
        },
      ],
    });
    expect(json).toEqual({
      message: 'Created',
      package_id: 12,
      name: 'TestData',
      version: '1.2.3',
      symbol_files: [
        {
          id: 3,
          file: 'testdata.pdb',
          file_path: 'lib/net5.0/TestData.pdb',
          signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF',
          size: 7132,
          file_sha256: 'd81ef71657dda22aed4a22d29e9c981bede9411ab2722b8c480067ab2180fbd7',
        },
      ],
    });
  });
});

describe('attachmentDisposition', () => {
  it.each([
    ['testdata.pdb', 'attachment; filename="testdata.pdb"'],
    ['we"ird\\name.pdb', 'attachment; filename="we_ird_name.pdb"; filename*=UTF-8\'\'we%22ird%5Cname.pdb'],
    ['line\r\nbreak.pdb', 'attachment; filename="line__break.pdb"; filename*=UTF-8\'\'line%0D%0Abreak.pdb'],
    ['über.pdb', 'attachment; filename="_ber.pdb"; filename*=UTF-8\'\'%C3%BCber.pdb'],
  ])('%j → %s', (file, expected) => {
    expect(attachmentDisposition(file)).toBe(expected);
  });
});
