import { defineReplicable } from '../replication/define-replicable';
import {
  formatPercentage,
  percentage,
  primaryCountsFromGroups,
  prometheusGaugeName,
  secondaryCountsFromGroups,
  statusFieldsFor,
  syncedInPercentage,
  verifiedInPercentage,
  type RegistryCountGroup,
  type SecondaryCounts,
} from './status-fields';

const symbol = defineReplicable({
  name: 'packages_nuget_symbol',
  title: { one: 'NuGet Symbol', many: 'NuGet Symbols' },
  gitlab: { modelClass: 'Packages::Nuget::Symbol', uploaderClass: 'Packages::Nuget::SymbolUploader' },
  strategy: { kind: 'blob', immutable: true },
  source: { table: 'packages_nuget_symbols', blobKeyColumn: 'object_storage_key', fileStoreColumn: 'file_store', projectIdColumn: 'project_id', sizeColumn: 'size', attributeColumns: [] },
});

describe('statusFieldsFor', () => {
  it('derives the 10 count fields and 2 percentages from the plural name', () => {
    expect(statusFieldsFor(symbol)).toEqual({
      count: 'packages_nuget_symbols_count',
      checksumTotalCount: 'packages_nuget_symbols_checksum_total_count',
      checksummedCount: 'packages_nuget_symbols_checksummed_count',
      checksumFailedCount: 'packages_nuget_symbols_checksum_failed_count',
      syncedCount: 'packages_nuget_symbols_synced_count',
      failedCount: 'packages_nuget_symbols_failed_count',
      registryCount: 'packages_nuget_symbols_registry_count',
      verificationTotalCount: 'packages_nuget_symbols_verification_total_count',
      verifiedCount: 'packages_nuget_symbols_verified_count',
      verificationFailedCount: 'packages_nuget_symbols_verification_failed_count',
      syncedInPercentage: 'packages_nuget_symbols_synced_in_percentage',
      verifiedInPercentage: 'packages_nuget_symbols_verified_in_percentage',
    });
  });
});

describe('prometheusGaugeName (GitLab gitlab_metrics.md names)', () => {
  it.each([
    ['packages_nuget_symbols_count', 'geo_packages_nuget_symbols'],
    ['packages_nuget_symbols_checksum_total_count', 'geo_packages_nuget_symbols_checksum_total'],
    ['packages_nuget_symbols_checksummed_count', 'geo_packages_nuget_symbols_checksummed'],
    ['packages_nuget_symbols_checksum_failed_count', 'geo_packages_nuget_symbols_checksum_failed'],
    ['packages_nuget_symbols_synced_count', 'geo_packages_nuget_symbols_synced'],
    ['packages_nuget_symbols_failed_count', 'geo_packages_nuget_symbols_failed'],
    ['packages_nuget_symbols_registry_count', 'geo_packages_nuget_symbols_registry'],
    ['packages_nuget_symbols_verification_total_count', 'geo_packages_nuget_symbols_verification_total'],
    ['packages_nuget_symbols_verified_count', 'geo_packages_nuget_symbols_verified'],
    ['packages_nuget_symbols_verification_failed_count', 'geo_packages_nuget_symbols_verification_failed'],
    ['db_replication_lag_seconds', 'geo_db_replication_lag_seconds'],
    ['last_event_id', 'geo_last_event_id'],
    ['status_failed_total', 'geo_status_failed'],
  ])('%s → %s', (field, gauge) => {
    expect(prometheusGaugeName(field)).toBe(gauge);
  });
});

describe('secondaryCountsFromGroups (§8.1)', () => {
  const zero: SecondaryCounts = { registryCount: 0, syncedCount: 0, failedCount: 0, verifiedCount: 0, verificationFailedCount: 0, verificationTotalCount: 0 };
  it.each<[string, RegistryCountGroup[], SecondaryCounts]>([
    ['empty registry', [], zero],
    [
      'mixed',
      [
        { state: 'pending', verificationState: 'verification_disabled', count: 5 },
        { state: 'started', verificationState: 'verification_disabled', count: 1 },
        { state: 'failed', verificationState: 'verification_failed', count: 2 },
        { state: 'failed', verificationState: 'verification_disabled', count: 1 },
        { state: 'synced', verificationState: 'verification_succeeded', count: 10 },
        { state: 'synced', verificationState: 'verification_failed', count: 3 },
        { state: 'synced', verificationState: 'verification_pending', count: 4 },
        { state: 'synced', verificationState: 'verification_started', count: 1 },
        { state: 'synced', verificationState: 'verification_disabled', count: 7 },
      ],
      { registryCount: 34, syncedCount: 25, failedCount: 3, verifiedCount: 10, verificationFailedCount: 3, verificationTotalCount: 18 },
    ],
    [
      'verified/failed verification only count synced rows',
      [
        { state: 'pending', verificationState: 'verification_succeeded', count: 2 },
        { state: 'failed', verificationState: 'verification_failed', count: 4 },
      ],
      { registryCount: 6, syncedCount: 0, failedCount: 4, verifiedCount: 0, verificationFailedCount: 0, verificationTotalCount: 0 },
    ],
    [
      'duplicate groups are summed',
      [
        { state: 'synced', verificationState: 'verification_succeeded', count: 1 },
        { state: 'synced', verificationState: 'verification_succeeded', count: 2 },
      ],
      { registryCount: 3, syncedCount: 3, failedCount: 0, verifiedCount: 3, verificationFailedCount: 0, verificationTotalCount: 3 },
    ],
  ])('%s', (_label, groups, expected) => {
    expect(secondaryCountsFromGroups(groups)).toEqual(expected);
  });
});

describe('primaryCountsFromGroups (§8.1)', () => {
  it('counts state rows by verification state', () => {
    expect(
      primaryCountsFromGroups(12, [
        { verificationState: 'verification_succeeded', count: 6 },
        { verificationState: 'verification_failed', count: 2 },
        { verificationState: 'verification_pending', count: 3 },
      ]),
    ).toEqual({ count: 12, checksumTotalCount: 11, checksummedCount: 6, checksumFailedCount: 2 });
  });

  it('is all zeros for an empty table', () => {
    expect(primaryCountsFromGroups(0, [])).toEqual({ count: 0, checksumTotalCount: 0, checksummedCount: 0, checksumFailedCount: 0 });
  });
});

describe('percentages', () => {
  it.each([
    [0, 0, 0],
    [5, 0, 0],
    [0, 10, 0],
    [1, 4, 25],
    [10, 10, 100],
  ])('percentage(%i, %i) = %p', (count, total, expected) => {
    expect(percentage(count, total)).toBe(expected);
  });

  it('divides by registry_count, not verification_total_count', () => {
    const counts = { registryCount: 40, syncedCount: 30, verifiedCount: 10 };
    expect(syncedInPercentage(counts)).toBe(75);
    expect(verifiedInPercentage(counts)).toBe(25);
    expect(syncedInPercentage({ registryCount: 0, syncedCount: 0 })).toBe(0);
    expect(verifiedInPercentage({ registryCount: 0, verifiedCount: 0 })).toBe(0);
  });

  it.each([
    [0, '0.00%'],
    [100, '100.00%'],
    [25, '25.00%'],
    [(1 / 3) * 100, '33.33%'],
    [(2 / 3) * 100, '66.67%'],
    [1.005, '1.01%'],
    [12.345, '12.35%'],
    [99.999, '100.00%'],
    [0.004, '0.00%'],
  ])('formatPercentage(%p) = %s (number_to_percentage, precision 2)', (value, text) => {
    expect(formatPercentage(value)).toBe(text);
  });
});
