import { ErrorCodes, isGeoError } from '@geo/domain';
import { PackageKind, type PushPackageRequest } from '@geo/proto';
import { receivePackageUpload } from './package-upload';

const header = (kind = PackageKind.PACKAGE_KIND_SNUPKG, declaredSize = 0): PushPackageRequest => ({
  part: { $case: 'header', header: { projectId: 5, apiKey: 'key', kind, declaredSize } },
});
const chunk = (text: string): PushPackageRequest => ({ part: { $case: 'chunk', chunk: Buffer.from(text) } });

/** An upload stream that records how many messages were pulled from it. */
function stream(messages: PushPackageRequest[]): { iterable: AsyncIterable<PushPackageRequest>; pulled: () => number } {
  let pulled = 0;
  return {
    iterable: (async function* () {
      for (const m of messages) {
        pulled += 1;
        yield m;
      }
    })(),
    pulled: () => pulled,
  };
}

async function failure(messages: PushPackageRequest[], maxBytes = 10): Promise<[string, string, unknown]> {
  try {
    await receivePackageUpload(stream(messages).iterable, maxBytes);
  } catch (error: unknown) {
    if (isGeoError(error)) return [error.code, error.message, error.details['reason']];
    throw error;
  }
  throw new Error('expected the upload to be refused');
}

describe('receivePackageUpload', () => {
  it('returns the header, the kind and the chunks joined in order', async () => {
    const upload = await receivePackageUpload(stream([header(), chunk('ab'), chunk(''), chunk('cde')]).iterable, 10);
    expect(upload.header).toEqual({ projectId: 5, apiKey: 'key', kind: PackageKind.PACKAGE_KIND_SNUPKG, declaredSize: 0 });
    expect(upload.kind).toBe('snupkg');
    expect(upload.bytes.toString()).toBe('abcde');
  });

  it('accepts exactly the limit and maps NUPKG', async () => {
    const upload = await receivePackageUpload(stream([header(PackageKind.PACKAGE_KIND_NUPKG, 10), chunk('0123456789')]).iterable, 10);
    expect([upload.kind, upload.bytes.byteLength]).toEqual(['nupkg', 10]);
  });

  it('refuses as soon as the received bytes cross the limit, without reading further', async () => {
    const s = stream([header(), chunk('123456'), chunk('789012'), chunk('never read')]);
    await expect(receivePackageUpload(s.iterable, 10)).rejects.toMatchObject({ code: ErrorCodes.TOO_LARGE, message: 'Package is too large: the limit is 10 bytes' });
    expect(s.pulled()).toBe(3);
  });

  it('refuses a declared size over the limit before any chunk', async () => {
    const s = stream([header(PackageKind.PACKAGE_KIND_SNUPKG, 11), chunk('x')]);
    await expect(receivePackageUpload(s.iterable, 10)).rejects.toMatchObject({ code: ErrorCodes.TOO_LARGE });
    expect(s.pulled()).toBe(1);
  });

  it.each([
    ['a chunk before the header', [chunk('x'), header()], 'upload.header_not_first'],
    ['a second header', [header(), header()], 'upload.second_header'],
    ['no header at all', [], 'upload.no_header'],
    ['an empty message', [header(), {}], 'upload.empty_message'],
    ['an unspecified kind', [header(PackageKind.PACKAGE_KIND_UNSPECIFIED)], 'upload.bad_kind'],
  ])('rejects %s as INVALID_ARGUMENT', async (_name, messages, reason) => {
    const [code, , actualReason] = await failure(messages);
    expect([code, actualReason]).toEqual([ErrorCodes.INVALID_ARGUMENT, reason]);
  });
});
