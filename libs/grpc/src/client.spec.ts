import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, type ServerReadableStream } from '@grpc/grpc-js';
import {
  NugetServiceClient,
  NugetServiceService,
  type NugetServiceServer,
  type PushPackageRequest,
  type PushPackageResponse,
  type DownloadSymbolFileResponse,
} from '@geo/proto';
import { ErrorCodes, GeoError, NotFoundError, ValidationError } from '@geo/domain';
import { clientStream, createChannelClient, DEFAULT_CHANNEL_OPTIONS, parseGrpcTarget, serverStream, unary } from './client';
import { wrapServerStream, wrapUnary } from './handlers';
import { startGrpcServer, type GrpcServerHandle } from './server';
import { toGrpcStatus } from './status-mapping';

const CHUNK = Buffer.alloc(64 * 1024, 7);
const BIG_MESSAGE_BYTES = 5 * 1024 * 1024;

/** What the toy server saw, per test. */
const seen = { cancelled: 0, pushedBytes: 0, pushEnded: 0 };
/** Resolves when the next call is cancelled by its client. */
let onCancelled: () => void = () => undefined;
const nextCancel = (): Promise<void> => new Promise((resolve) => (onCancelled = resolve));

function watchCancel(call: { on(event: 'cancelled', listener: () => void): unknown }): void {
  call.on('cancelled', () => {
    seen.cancelled += 1;
    onCancelled();
  });
}

const project = { id: 1, name: 'p', path: 'p', namespaceId: 1, pathWithNamespace: 'g/p', repositoryStorage: 'default' };

/**
 * A toy NugetService: getProject answers id 1, raises NOT_FOUND otherwise and never answers id 999;
 * downloadSymbolFile streams by file name; pushPackage behaves by the header's api key.
 */
const nuget: NugetServiceServer = {
  getProject: (call, callback) => {
    watchCancel(call);
    if (call.request.id === 999) return; // hangs until the deadline or a cancel
    if (call.request.id !== 1) callback(toGrpcStatus(new NotFoundError(`project ${call.request.id} not found`)));
    else callback(null, { project });
  },
  downloadSymbolFile: (call) => {
    watchCancel(call);
    wrapServerStream<unknown, DownloadSymbolFileResponse>(async function* () {
      const file = call.request.fileName;
      yield { part: { $case: 'header', header: { id: 1, projectId: 1, packageId: 1, file, filePath: file, signature: 's', size: 3, fileSha256: '', objectStorageKey: 'k', createdAt: undefined } } };
      if (file === 'big.pdb') yield { part: { $case: 'chunk', chunk: Buffer.alloc(BIG_MESSAGE_BYTES, 1) } };
      for (let i = 0; i < 3; i++) yield { part: { $case: 'chunk', chunk: Buffer.from([i]) } };
      if (file === 'fail.pdb') throw new NotFoundError('blob vanished', {}, ErrorCodes.FILE_NOT_FOUND);
      if (file === 'endless.pdb') for (;;) yield { part: { $case: 'chunk', chunk: CHUNK } };
    })(call);
  },
  pushPackage: (call: ServerReadableStream<PushPackageRequest, PushPackageResponse>, callback) => {
    watchCancel(call);
    let mode: string | undefined;
    call.on('data', (message: PushPackageRequest) => {
      if (message.part?.$case === 'header') {
        mode = message.part.header.apiKey;
        if (mode === 'stall') call.pause(); // never reads again: the client must stop writing
        if (mode === 'reject-early') callback(toGrpcStatus(new ValidationError('File is too large', {}, ErrorCodes.TOO_LARGE)));
      } else if (message.part?.$case === 'chunk') {
        seen.pushedBytes += message.part.chunk.length;
      }
    });
    call.on('end', () => {
      // grpc-js also ends the request stream of a CANCELLED call, and flags `cancelled` only some
      // event-loop turns later: a real handler re-checks after its (async) work, before it commits.
      setTimeout(() => {
        if (call.cancelled) return;
        seen.pushEnded += 1;
        if (mode !== 'reject-early') callback(null, { packageId: 5, name: 'TestData', version: '1.2.3', symbolFiles: [] });
      }, 20);
    });
    call.on('error', () => undefined);
  },
  findSymbolFile: wrapUnary(async () => ({ symbolFile: undefined })),
  deletePackage: wrapUnary(async () => ({ packageId: 0, deletedSymbolCount: 0 })),
  createNamespace: wrapUnary(async () => ({ namespace: undefined })),
  listNamespaces: wrapUnary(async () => ({ namespaces: [] })),
  createProject: wrapUnary(async () => ({ project: undefined, nugetApiKey: '' })),
  listProjects: wrapUnary(async () => ({ projects: [] })),
};

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

function header(apiKey: string): PushPackageRequest {
  return { part: { $case: 'header', header: { projectId: 1, apiKey, kind: 2, declaredSize: 0 } } };
}

const chunk = (): PushPackageRequest => ({ part: { $case: 'chunk', chunk: CHUNK } });

describe('gRPC client helpers (in-process server)', () => {
  let server: GrpcServerHandle;
  let client: NugetServiceClient;

  beforeAll(async () => {
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: NugetServiceService, implementation: nuget }] });
    client = createChannelClient(NugetServiceClient, `127.0.0.1:${server.port}`);
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
  });
  beforeEach(() => {
    seen.cancelled = 0;
    seen.pushedBytes = 0;
    seen.pushEnded = 0;
  });

  describe('unary', () => {
    it('resolves with the response', async () => {
      await expect(unary(client.getProject.bind(client), { id: 1 })).resolves.toEqual({ project });
    });

    it("rejects with the server's GeoError: same code and message", async () => {
      const error = await failure(unary(client.getProject.bind(client), { id: 2 }));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: ErrorCodes.NOT_FOUND, message: 'project 2 not found' });
    });

    it('rejects with TIMEOUT when the deadline passes', async () => {
      const error = await failure(unary(client.getProject.bind(client), { id: 999 }, { deadlineMs: 50 }));
      expect(error).toMatchObject({ code: ErrorCodes.TIMEOUT });
    });

    it('cancels the call on the server when the signal aborts', async () => {
      const controller = new AbortController();
      const cancelled = nextCancel();
      const outcome = failure(unary(client.getProject.bind(client), { id: 999 }, { signal: controller.signal }));
      await sleep(20);
      controller.abort();
      await cancelled;
      expect(await outcome).toBeInstanceOf(GeoError);
    });
  });

  describe('serverStream', () => {
    const download = (fileName: string, signal?: AbortSignal) =>
      serverStream(client.downloadSymbolFile.bind(client), { projectId: 1, fileName, signature: 's', sameFileName: fileName, symbolChecksum: 'x' }, { signal });

    it('yields every message in order', async () => {
      const parts: string[] = [];
      for await (const message of download('ok.pdb')) parts.push(message.part?.$case === 'chunk' ? message.part.chunk.toString('hex') : 'header');
      expect(parts).toEqual(['header', '00', '01', '02']);
    });

    it('throws the mapped error after the messages sent before it', async () => {
      const parts: unknown[] = [];
      const error = await failure(
        (async () => {
          for await (const message of download('fail.pdb')) parts.push(message);
        })(),
      );
      expect(parts).toHaveLength(4);
      expect(error).toMatchObject({ name: 'NotFoundError', code: ErrorCodes.FILE_NOT_FOUND, message: 'blob vanished' });
    });

    it('cancels the call when the consumer stops early', async () => {
      const cancelled = nextCancel();
      let read = 0;
      for await (const _message of download('endless.pdb')) if (++read === 10) break;
      await cancelled;
      expect(seen.cancelled).toBe(1);
    });

    it('cancels the call when the signal aborts', async () => {
      const controller = new AbortController();
      const cancelled = nextCancel();
      const error = await failure(
        (async () => {
          for await (const _message of download('endless.pdb', controller.signal)) controller.abort();
        })(),
      );
      await cancelled;
      expect(error).toBeInstanceOf(GeoError);
    });
  });

  describe('clientStream', () => {
    const push = (messages: AsyncIterable<PushPackageRequest> | Iterable<PushPackageRequest>, signal?: AbortSignal) =>
      clientStream(client.pushPackage.bind(client), messages, { signal });

    it('writes every message, half-closes, and resolves with the response', async () => {
      const messages = [header('ok'), ...Array.from({ length: 100 }, chunk)];
      await expect(push(messages)).resolves.toMatchObject({ packageId: 5, name: 'TestData' });
      expect(seen.pushedBytes).toBe(100 * CHUNK.length);
      expect(seen.pushEnded).toBe(1);
    });

    it('pulls from the source only as fast as the server reads (back-pressure)', async () => {
      let pulled = 0;
      const controller = new AbortController();
      async function* endless(): AsyncGenerator<PushPackageRequest> {
        yield header('stall');
        for (;;) {
          pulled += 1;
          yield chunk();
        }
      }
      const outcome = failure(push(endless(), controller.signal));
      await sleep(300);
      // Without back-pressure an endless source yields thousands of 64 KiB chunks in 300 ms; with it
      // the source stops once the server's buffer and the HTTP/2 window (a few MiB at most) are full.
      expect(pulled).toBeGreaterThan(0);
      expect(pulled).toBeLessThan(100);
      controller.abort();
      expect(await outcome).toBeInstanceOf(GeoError);
    });

    it("stops reading the source as soon as the server answers early, and returns the server's error", async () => {
      let finallyRan = false;
      async function* slow(): AsyncGenerator<PushPackageRequest> {
        try {
          yield header('reject-early');
          for (;;) {
            await sleep(5);
            yield chunk();
          }
        } finally {
          finallyRan = true;
        }
      }
      const error = await failure(push(slow()));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: ErrorCodes.TOO_LARGE, message: 'File is too large' });
      await sleep(20);
      expect(finallyRan).toBe(true);
      expect(seen.pushEnded).toBe(0);
    });

    it("cancels the call when the source throws, and rethrows the source's error", async () => {
      const boom = new ValidationError('the multipart body has two files');
      const cancelled = nextCancel();
      async function* failing(): AsyncGenerator<PushPackageRequest> {
        yield header('ok');
        yield chunk();
        throw boom;
      }
      await expect(push(failing())).rejects.toBe(boom);
      await cancelled;
      expect(seen.pushEnded).toBe(0);
    });

    it('cancels the call when the signal aborts, even while the source is stalled', async () => {
      const controller = new AbortController();
      const cancelled = nextCancel();
      async function* stalled(): AsyncGenerator<PushPackageRequest> {
        yield header('ok');
        await new Promise(() => undefined);
      }
      const outcome = failure(push(stalled(), controller.signal));
      await sleep(20);
      controller.abort();
      await cancelled;
      expect(await outcome).toBeInstanceOf(GeoError);
      expect(seen.pushEnded).toBe(0);
    });
  });

  describe('createChannelClient', () => {
    it('receives messages above grpc-js\'s 4 MiB default limit', async () => {
      const request = { projectId: 1, fileName: 'big.pdb', signature: 's', sameFileName: 'big.pdb', symbolChecksum: 'x' };
      let bytes = 0;
      for await (const message of serverStream(client.downloadSymbolFile.bind(client), request)) {
        if (message.part?.$case === 'chunk') bytes += message.part.chunk.length;
      }
      expect(bytes).toBe(BIG_MESSAGE_BYTES + 3);

      // The same call on a channel with grpc-js defaults fails: the options above are what make it work.
      const plain = new NugetServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
      try {
        const error = await failure(
          (async () => {
            for await (const _message of serverStream(plain.downloadSymbolFile.bind(plain), request));
          })(),
        );
        expect(error).toBeInstanceOf(GeoError);
      } finally {
        plain.close();
      }
    });

    it('sets keepalive and message size options', () => {
      expect(DEFAULT_CHANNEL_OPTIONS['grpc.max_receive_message_length']).toBeGreaterThanOrEqual(4 * 1024 * 1024);
      expect(DEFAULT_CHANNEL_OPTIONS['grpc.keepalive_time_ms']).toBeGreaterThan(0);
    });

    it.each([
      ['127.0.0.1:50052', { address: '127.0.0.1:50052', tls: false }],
      ['http://nuget.internal:50052', { address: 'nuget.internal:50052', tls: false }],
      ['https://primary.example.com:443/', { address: 'primary.example.com:443', tls: true }],
    ])('parses the target %s', (target, expected) => {
      expect(parseGrpcTarget(target)).toEqual(expected);
    });

    it.each(['', 'ftp://host:1', 'http://host:1/path'])('rejects the target %j', (target) => {
      expect(() => parseGrpcTarget(target)).toThrow(ValidationError);
    });
  });
});
