import { defineReplicable, ErrorCodes, type GeoError, UnauthenticatedError, UnavailableError, ValidationError } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { EventApplier, MAX_EVENT_BATCH_SIZE } from './event-applier';
import { FakeBlobs, FakeCatalogue, FakeEventStore, record, wireEvent } from './test-fakes';
import { recordingLogger } from '@geo/testing';

const NAME = packagesNugetSymbol.name;
const UPLOADER = packagesNugetSymbol.gitlab.uploaderClass;

function setUp() {
  const store = new FakeEventStore();
  const catalogue = new FakeCatalogue();
  const blobs = new FakeBlobs();
  const logger = recordingLogger();
  let nudges = 0;
  const applier = new EventApplier({ replicables: [packagesNugetSymbol], catalogue, store, blobs, logger, nudge: () => (nudges += 1) });
  return { store, catalogue, blobs, logger, applier, nudges: () => nudges };
}

const created = (id: number, modelRecordId: number) => wireEvent(id, 'created', { model_record_id: modelRecordId, correlation_id: 'c1' });
const checksum = (id: number, modelRecordId: number) => wireEvent(id, 'checksum_succeeded', { model_record_id: modelRecordId, correlation_id: 'c2' });
const deleted = (id: number, modelRecordId: number, blobPath: unknown = `symbols/${modelRecordId}/file.pdb`, uploader: unknown = UPLOADER) =>
  wireEvent(id, 'deleted', { model_record_id: modelRecordId, blob_path: blobPath, uploader_class: uploader });
const SHA = 'ab'.repeat(32);

describe('EventApplier: port calls per event sequence', () => {
  it.each([
    {
      name: 'created, in scope and out of scope: one lookup, pending registry + record for the in-scope one',
      catalogue: [record(1)],
      events: [created(10, 1), created(11, 2)],
      lookups: [[1, 2]],
      calls: [`track ${NAME} 1`, 'cursor 11'],
      nudges: 1,
    },
    {
      name: 'created, all out of scope: no write but the cursor, no nudge',
      catalogue: [],
      events: [created(10, 1)],
      lookups: [[1]],
      calls: ['cursor 10'],
      nudges: 0,
    },
    {
      name: 'deleted: rows removed, no lookup',
      catalogue: [],
      events: [deleted(12, 3)],
      lookups: [],
      calls: [`untrack ${NAME} 3`, 'cursor 12'],
      nudges: 0,
    },
    {
      name: 'checksum_succeeded: pending verification, then the primary checksum refreshed from the same lookup',
      registries: [5],
      records: [5],
      catalogue: [record(5, { primaryVerificationState: 'verification_succeeded', primaryChecksum: SHA })],
      events: [checksum(13, 5)],
      lookups: [[5]],
      calls: [`verificationPending ${NAME} 5`, `refreshChecksums ${NAME} 5=${SHA}`, 'cursor 13'],
      nudges: 0,
    },
    {
      name: 'checksum_succeeded without a registry: nothing to mark, nothing refreshed',
      catalogue: [record(5, { primaryVerificationState: 'verification_succeeded', primaryChecksum: SHA })],
      events: [checksum(13, 5)],
      lookups: [[5]],
      calls: [`verificationPending ${NAME} 5`, 'cursor 13'],
      nudges: 0,
    },
    {
      name: 'a mixed batch: runs keep event order, consecutive events of one kind are written together, one lookup',
      catalogue: [record(1), record(2, { primaryChecksum: SHA, primaryVerificationState: 'verification_succeeded' })],
      events: [created(20, 1), created(21, 2), deleted(22, 1), checksum(23, 2), created(24, 2)],
      lookups: [[1, 2]],
      calls: [`track ${NAME} 1,2`, `untrack ${NAME} 1`, `verificationPending ${NAME} 2`, `refreshChecksums ${NAME} 2=${SHA}`, `track ${NAME} 2`, 'cursor 24'],
      nudges: 1,
    },
    {
      name: 'the cursor takes the highest id even when a late lower id comes last',
      catalogue: [],
      events: [deleted(31, 1), deleted(30, 2)],
      lookups: [],
      calls: [`untrack ${NAME} 1,2`, 'cursor 31'],
      nudges: 0,
    },
  ])('$name', async ({ catalogue: inScope, registries = [], records = [], events, lookups, calls, nudges }) => {
    const t = setUp();
    t.catalogue.add(...inScope);
    for (const id of registries) t.store.seedRegistry(NAME, id);
    for (const id of records) t.store.seedRecord(record(id));
    const result = await t.applier.apply(events);
    expect(t.catalogue.lookups.map((l) => l.ids)).toEqual(lookups);
    expect(t.store.calls).toEqual(calls);
    expect(t.store.transactions).toBe(1);
    expect(t.nudges()).toBe(nudges);
    expect(result.dispositions).toEqual(events.map(() => 'applied'));
  });
});

describe('EventApplier: effects', () => {
  it('created in scope stores a pending registry and the record; replaying the batch changes nothing and nudges no more', async () => {
    const t = setUp();
    t.catalogue.add(record(1), record(2));
    const batch = [created(1, 1), created(2, 2)];
    const first = await t.applier.apply(batch);
    expect(first).toMatchObject({ registriesInserted: 2, outOfScope: 0, cursor: { eventId: 2 } });
    expect(t.store.registry(NAME, 1)).toEqual({ verificationState: 'verification_pending' });
    expect(t.store.record(NAME, 2)).toEqual(record(2));
    const before = structuredClone(t.store.state);

    const replay = await t.applier.apply(batch);
    expect(replay.registriesInserted).toBe(0);
    expect(t.store.state).toEqual(before);
    expect(t.nudges()).toBe(1);
  });

  it('created for an existing registry leaves it as it is (immutable blobs are not resynced)', async () => {
    const t = setUp();
    t.store.seedRegistry(NAME, 1, 'verification_succeeded');
    t.catalogue.add(record(1));
    const result = await t.applier.apply([created(1, 1)]);
    expect(result.registriesInserted).toBe(0);
    expect(t.store.registry(NAME, 1)).toEqual({ verificationState: 'verification_succeeded' });
    expect(t.nudges()).toBe(0);
  });

  it('deleted removes rows and then the blob at the stored record key, even when the payload names another path', async () => {
    const t = setUp();
    t.store.seedRegistry(NAME, 4);
    t.store.seedRecord(record(4, { blobKey: 'stored/key.pdb' }));
    t.blobs.keys.add('stored/key.pdb');
    const result = await t.applier.apply([deleted(40, 4, 'payload/key.pdb')]);
    expect(t.store.registry(NAME, 4)).toBeUndefined();
    expect(t.store.record(NAME, 4)).toBeUndefined();
    expect(t.blobs.deletes).toEqual(['stored/key.pdb']);
    expect(t.blobs.keys.size).toBe(0);
    expect(result).toMatchObject({ recordsDeleted: 1, blobsDeleted: ['stored/key.pdb'] });
  });

  it('deleted of a registry out of scope (no record row) removes the registry and the blob at the payload path', async () => {
    const t = setUp();
    t.store.seedRegistry(NAME, 6);
    await t.applier.apply([deleted(60, 6, 'symbols/6/file.pdb')]);
    expect(t.store.registry(NAME, 6)).toBeUndefined();
    expect(t.blobs.deletes).toEqual(['symbols/6/file.pdb']);
  });

  it.each([
    ['a path escaping the store', '../../etc/passwd', UPLOADER],
    ['an absolute path', '/etc/passwd', UPLOADER],
    ['a reserved temp segment', 'symbols/tmp_abc', UPLOADER],
    ['another uploader', 'symbols/7/file.pdb', 'Packages::PackageFileUploader'],
    ['a non-string path', 42, UPLOADER],
  ])('deleted with %s: rows removed, no blob touched, a warning', async (_label, blobPath, uploader) => {
    const t = setUp();
    t.store.seedRegistry(NAME, 7);
    const result = await t.applier.apply([deleted(70, 7, blobPath, uploader)]);
    expect(result.dispositions).toEqual(['applied']);
    expect(t.store.registry(NAME, 7)).toBeUndefined();
    expect(t.blobs.deletes).toEqual([]);
    expect(t.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'event-log consumer: ignoring the blob_path of a deleted event' }));
  });

  it('a stored record key the store refuses is logged, not retried', async () => {
    const t = setUp();
    t.store.seedRecord(record(8, { blobKey: '../outside' }));
    const result = await t.applier.apply([deleted(80, 8)]);
    expect(result.blobsDeleted).toEqual([]);
    expect(t.logger.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'event-log consumer: blob not deleted (refused by the store)' }));
  });

  it('checksum_succeeded marks an existing registry verification_pending and refreshes its record', async () => {
    const t = setUp();
    t.store.seedRegistry(NAME, 5, 'verification_disabled');
    t.store.seedRecord(record(5));
    t.catalogue.add(record(5, { primaryVerificationState: 'verification_succeeded', primaryChecksum: SHA }));
    const result = await t.applier.apply([checksum(50, 5)]);
    expect(result.verificationPending).toBe(1);
    expect(t.store.registry(NAME, 5)).toEqual({ verificationState: 'verification_pending' });
    expect(t.store.record(NAME, 5)).toMatchObject({ primaryChecksum: SHA, primaryVerificationState: 'verification_succeeded' });
  });

  it('checksum_succeeded of a record out of scope still marks its registry (spec: only the registry must exist)', async () => {
    const t = setUp();
    t.store.seedRegistry(NAME, 5, 'verification_failed');
    const result = await t.applier.apply([checksum(50, 5)]);
    expect(result.verificationPending).toBe(1);
    expect(t.store.calls).toEqual([`verificationPending ${NAME} 5`, 'cursor 50']);
  });
});

describe('EventApplier: messages it cannot use', () => {
  it.each([
    ['an unknown replicable', wireEvent(90, 'created', { model_record_id: 1 }, 'lfs_object'), 'skipped'],
    ['an event blobs do not declare', wireEvent(91, 'updated', { model_record_id: 1 }), 'skipped'],
    ['a payload without model_record_id', wireEvent(92, 'created', { correlation_id: 'x' }), 'rejected'],
    ['a non-integer model_record_id', wireEvent(93, 'deleted', { model_record_id: '5' }), 'rejected'],
  ])('%s: no effect, logged, and the cursor still covers it', async (_label, body, disposition) => {
    const t = setUp();
    t.catalogue.add(record(1));
    const result = await t.applier.apply([body]);
    expect(result.dispositions).toEqual([disposition]);
    expect(t.store.calls).toEqual([`cursor ${result.cursor?.eventId}`]);
    expect(t.catalogue.lookups).toEqual([]);
    expect(t.logger.lines.some((l) => l.level !== 'info')).toBe(true);
  });

  it.each([
    ['not JSON', '{"id": 1,'],
    ['JSON without the envelope', '{"hello": "world"}'],
    ['bytes of nonsense', new Uint8Array([0xff, 0x00, 0x12])],
  ])('%s: rejected without opening a transaction', async (_label, body) => {
    const t = setUp();
    const result = await t.applier.apply([body]);
    expect(result).toMatchObject({ dispositions: ['rejected'], cursor: undefined });
    expect(t.store.transactions).toBe(0);
    expect(t.logger.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'event-log consumer: unreadable event rejected' }));
  });

  it('applies the good events around bad ones', async () => {
    const t = setUp();
    t.catalogue.add(record(1));
    const result = await t.applier.apply(['garbage', created(2, 1), wireEvent(3, 'updated', { model_record_id: 1 })]);
    expect(result.dispositions).toEqual(['rejected', 'applied', 'skipped']);
    expect(t.store.calls).toEqual([`track ${NAME} 1`, 'cursor 3']);
  });

  it(`refuses a batch larger than ${MAX_EVENT_BATCH_SIZE}`, async () => {
    const t = setUp();
    const batch = Array.from({ length: MAX_EVENT_BATCH_SIZE + 1 }, (_, i) => deleted(i + 1, i + 1));
    await expect(t.applier.apply(batch)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    expect(t.store.transactions).toBe(0);
  });
});

describe('EventApplier: failures', () => {
  it('a failing write rolls the whole batch back (cursor included) and nothing happens after it', async () => {
    const t = setUp();
    t.catalogue.add(record(1));
    t.store.seedRegistry(NAME, 2);
    t.store.seedRecord(record(2));
    t.store.failOn = { call: 'advanceCursor', error: new UnavailableError('PostgreSQL unavailable') };
    const before = structuredClone(t.store.state);
    await expect(t.applier.apply([created(1, 1), deleted(2, 2)])).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
    expect(t.store.state).toEqual(before);
    expect(t.blobs.deletes).toEqual([]);
    expect(t.nudges()).toBe(0);
  });

  it('the primary being unavailable fails the batch retryably before any write', async () => {
    const t = setUp();
    t.catalogue.failWith = new UnavailableError('primary down');
    await expect(t.applier.apply([created(1, 1)])).rejects.toMatchObject({ retryable: true });
    expect(t.store.transactions).toBe(0);
  });

  it('a refusal about this site (credentials) is retried, never a reason to drop events', async () => {
    const t = setUp();
    t.catalogue.failWith = new UnauthenticatedError('bad secret');
    await expect(t.applier.apply([created(1, 1)])).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
  });

  it('a malformed catalogue answer is not retryable (the consumer isolates the event)', async () => {
    const t = setUp();
    t.catalogue.failWith = new ValidationError('replicable 1 has no blob key');
    await expect(t.applier.apply([created(1, 1)])).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, retryable: false });
  });

  it('a blob store outage after the commit keeps the rows deleted and asks for a replay, which finishes the job', async () => {
    const t = setUp();
    t.store.seedRegistry(NAME, 9);
    t.store.seedRecord(record(9));
    t.blobs.keys.add('symbols/9/file.pdb');
    t.blobs.unavailable = true;
    const error = await t.applier.apply([deleted(1, 9)]).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, details: { committed: true, keys: ['symbols/9/file.pdb'] } });
    expect(t.store.registry(NAME, 9)).toBeUndefined();

    t.blobs.unavailable = false;
    await t.applier.apply([deleted(1, 9)]); // the replay: no record row any more, the payload path is used
    expect(t.blobs.keys.size).toBe(0);
  });

  it('a failing nudge is logged; the batch still counts as applied', async () => {
    const store = new FakeEventStore();
    const logger = recordingLogger();
    const applier = new EventApplier({
      replicables: [packagesNugetSymbol],
      catalogue: new FakeCatalogue().add(record(1)),
      store,
      blobs: new FakeBlobs(),
      logger,
      nudge: () => {
        throw new Error('NATS down');
      },
    });
    const result = await applier.apply([created(1, 1)]);
    expect(result.registriesInserted).toBe(1);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'event-log consumer: nudging the sync scheduler failed' }));
  });

  it('refuses mutable replicable types (their created events would need a registry reset)', () => {
    const mutable = defineReplicable({ ...packagesNugetSymbol, name: 'mutable_thing', strategy: { kind: 'blob', immutable: false } });
    expect(
      () => new EventApplier({ replicables: [mutable], catalogue: new FakeCatalogue(), store: new FakeEventStore(), blobs: new FakeBlobs(), logger: recordingLogger(), nudge: () => undefined }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }) as GeoError);
  });
});

describe('EventApplier: trace contexts for sync jobs (ADR 0009)', () => {
  const tp = (n: number) => ({ traceparent: `00-${String(n).repeat(32)}-${String(n).repeat(16)}-01` });

  it('keeps the trace of the created event that made a NEW registry row, the first one per id, and none for other events', async () => {
    const t = setUp();
    t.catalogue.add(record(1), record(2), record(3));
    t.store.seedRegistry(NAME, 3); // exists already: its trace is not stored
    await t.applier.apply([created(10, 1), created(11, 1), checksum(12, 2), created(13, 2), created(14, 3)], undefined, [tp(1), tp(2), tp(3), null, tp(5)]);
    expect(t.store.registry(NAME, 1)?.traceparent).toBe(tp(1).traceparent);
    expect(t.store.registry(NAME, 2)).toEqual({ verificationState: 'verification_pending' });
    expect(t.store.registry(NAME, 3)?.traceparent).toBeUndefined();
  });

  it('stores nothing without trace contexts', async () => {
    const t = setUp();
    t.catalogue.add(record(1));
    await t.applier.apply([created(10, 1)]);
    expect(t.store.registry(NAME, 1)).toEqual({ verificationState: 'verification_pending' });
  });
});
