import { ErrorCodes, ValidationError } from '@geo/domain';
import { NO_FILE_MESSAGE, packageFileChunks, TWO_FILES_MESSAGE, type UploadPart } from './package-upload';

const bounds = { minBytes: 4, maxBytes: 8 };

function file(fieldname: string, pieces: readonly string[], truncated = false): UploadPart {
  const stream = (async function* () {
    for (const piece of pieces) yield Buffer.from(piece);
  })();
  return { type: 'file', fieldname, file: Object.assign(stream, { truncated }) };
}

const field = (fieldname: string): UploadPart => ({ type: 'field', fieldname });

async function* parts(...items: Array<UploadPart | Error>): AsyncGenerator<UploadPart> {
  for (const item of items) {
    if (item instanceof Error) throw item;
    yield item;
  }
}

async function run(source: AsyncIterable<UploadPart>, max = 100): Promise<{ bytes: string; error: unknown }> {
  const out: Buffer[] = [];
  try {
    for await (const chunk of packageFileChunks(source, max, bounds)) out.push(Buffer.from(chunk));
    return { bytes: Buffer.concat(out).toString(), error: undefined };
  } catch (error: unknown) {
    return { bytes: Buffer.concat(out).toString(), error };
  }
}

describe('packageFileChunks', () => {
  it('yields the bytes of the one file part, whatever its field name, skipping plain fields', async () => {
    const result = await run(parts(field('note'), file('anything', ['PK', '\x03\x04', 'rest-of-zip']), field('after')));
    expect(result).toEqual({ bytes: 'PK\x03\x04rest-of-zip', error: undefined });
  });

  it('holds the last chunk back until the body has ended cleanly', async () => {
    let bodyEnded = false;
    async function* body(): AsyncGenerator<UploadPart> {
      yield file('package', ['aaaa', 'bbbb', 'cc']);
      yield field('trailing');
      bodyEnded = true;
    }
    const seenBeforeEnd: string[] = [];
    for await (const chunk of packageFileChunks(body(), 100, bounds)) if (!bodyEnded) seenBeforeEnd.push(chunk.toString());
    expect(seenBeforeEnd).toEqual(['aaaa', 'bbbb']);
  });

  it('never yields the last chunk of a body cut off after its file part', async () => {
    const { bytes, error } = await run(parts(file('package', ['aaaa', 'bbbb', 'cc']), new Error('Unexpected end of form')));
    expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    expect(bytes).toBe('aaaabbbb');
  });

  it('accepts a file of exactly the limit', async () => {
    expect((await run(parts(file('package', ['12345', '67890'])), 10)).error).toBeUndefined();
  });

  it.each([
    ['no file part', [field('package')], NO_FILE_MESSAGE, ErrorCodes.INVALID_ARGUMENT],
    ['an empty body', [], NO_FILE_MESSAGE, ErrorCodes.INVALID_ARGUMENT],
    ['two file parts', [file('package', ['abcd']), file('package', ['efgh'])], TWO_FILES_MESSAGE, ErrorCodes.INVALID_ARGUMENT],
    ['a file over the limit', [file('package', ['12345', '678901'])], 'File is too large: the limit is 10 bytes', ErrorCodes.TOO_LARGE],
    ['a file busboy truncated', [file('package', ['12345'], true)], 'File is too large: the limit is 10 bytes', ErrorCodes.TOO_LARGE],
  ])('rejects %s', async (_name, items, message, code) => {
    const { error } = await run(parts(...items), 10);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ message, code });
  });

  it('stops at the limit while streaming: bytes past it are never yielded', async () => {
    const { bytes, error } = await run(parts(file('package', ['aaaa', 'bbbb', 'cccc', 'dddd'])), 10);
    expect(error).toMatchObject({ code: ErrorCodes.TOO_LARGE });
    expect(bytes.length).toBeLessThanOrEqual(10);
  });

  it('fails at the first byte past the limit even if the file stream never ends (busboy waits for the boundary)', async () => {
    const stalled = (async function* () {
      yield Buffer.from('12345678901'); // 11 bytes: one past the limit
      await new Promise(() => undefined);
    })();
    const { error } = await run(parts({ type: 'file', fieldname: 'package', file: stalled }), 10);
    expect(error).toMatchObject({ code: ErrorCodes.TOO_LARGE });
  });

  it.each([
    [Object.assign(new Error('request file too large'), { code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 }), ErrorCodes.TOO_LARGE, /^File is too large/],
    [Object.assign(new Error('reach parts limit'), { code: 'FST_PARTS_LIMIT', statusCode: 413 }), ErrorCodes.TOO_LARGE, /^Malformed upload: reach parts limit/],
    [new Error('Unexpected end of form'), ErrorCodes.INVALID_ARGUMENT, /^Malformed multipart body: Unexpected end of form/],
  ])('maps the multipart layer failure %s', async (failure, code, message) => {
    const { error } = await run(parts(failure));
    expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
  });
});
