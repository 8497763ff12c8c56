import { observeSyncProgress, syncActivity, type SyncObservation, type SyncProgress } from './sync-progress';

const t = (minute: number): Date => new Date(Date.UTC(2026, 10, 25, 12, minute));

describe('observeSyncProgress', () => {
  it.each<[string, SyncProgress | undefined, SyncObservation, Date]>([
    ['first observation counts as progress', undefined, { at: t(5), syncedCount: 10, hasWork: true }, t(5)],
    ['synced count grew', { syncedCount: 10, hasWork: true, lastProgressAt: t(0) }, { at: t(5), syncedCount: 11, hasWork: true }, t(5)],
    ['synced count unchanged with work: no progress', { syncedCount: 10, hasWork: true, lastProgressAt: t(0) }, { at: t(5), syncedCount: 10, hasWork: true }, t(0)],
    ['synced count dropped with work: no progress', { syncedCount: 10, hasWork: true, lastProgressAt: t(0) }, { at: t(5), syncedCount: 4, hasWork: true }, t(0)],
    ['no work: idle is never stalled', { syncedCount: 10, hasWork: true, lastProgressAt: t(0) }, { at: t(5), syncedCount: 10, hasWork: false }, t(5)],
  ])('%s', (_label, previous, observation, lastProgressAt) => {
    const next = observeSyncProgress(previous, observation);
    expect(next).toEqual({ syncedCount: observation.syncedCount, hasWork: observation.hasWork, lastProgressAt });
  });

  it('counts a sync after a drop against the lowered baseline', () => {
    let p = observeSyncProgress(undefined, { at: t(0), syncedCount: 10, hasWork: true });
    p = observeSyncProgress(p, { at: t(1), syncedCount: 4, hasWork: true });
    p = observeSyncProgress(p, { at: t(2), syncedCount: 5, hasWork: true });
    expect(p.lastProgressAt).toEqual(t(2));
  });

  it('maps to the health rule input', () => {
    expect(syncActivity({ syncedCount: 3, hasWork: true, lastProgressAt: t(1) })).toEqual({ hasWork: true, lastProgressAt: t(1) });
  });
});
