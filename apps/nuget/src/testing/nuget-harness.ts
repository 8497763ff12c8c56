import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError, type LoggerPort } from '@geo/domain';
import { createPool, EventOutboxRepository, GeoEventWriter, migrate } from '@geo/pg';
import { FsBlobStore, type BlobSource, type BlobStore, type PutOptions, type PutResult } from '@geo/storage';
import type { PackageLimits } from '@geo/nuget-format';
import type { Pool } from 'pg';
import { FileStores } from '../domain/model';
import { PgNamespaceRepository } from '../adapters/pg-namespaces';
import { PgPackageStore } from '../adapters/pg-package-store';
import { PgProjectRepository } from '../adapters/pg-projects';
import { PgSymbolIndex } from '../adapters/pg-symbol-index';
import type { NugetServiceDeps } from '../grpc/nuget-service';
import { createNamespace } from '../use-cases/namespaces';
import { createProject } from '../use-cases/projects';

/**
 * Integration-test wiring of the nuget service: a migrated primary database (the spec creates it),
 * a filesystem blob store in a temp directory (optionally failing on purpose), and the real
 * adapters. Test code only; it never imports `@geo/testing` (the specs pass the database in).
 */

/** A blob store that fails chosen operations, to prove the push/delete failure rules. */
export class FaultyBlobStore implements BlobStore {
  puts = 0;
  /** 1-based number of the `put` that fails (counted over the store's life); 0 = none. */
  failPutNumber = 0;
  /** Keys whose `delete` fails. */
  readonly failDeletes = new Set<string>();
  #held: { through: number; released: Promise<void> } | undefined;

  constructor(private readonly inner: BlobStore) {}

  /**
   * Makes the next `count` puts wait until the returned release function is called, so a test can
   * hold a push inside its transaction while another one runs.
   */
  holdNextPuts(count: number): () => void {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#held = { through: this.puts + count, released };
    return release;
  }

  async put(key: string, source: BlobSource, options?: PutOptions): Promise<PutResult> {
    this.puts += 1;
    const number = this.puts;
    if (number === this.failPutNumber) throw new UnavailableError(`injected failure of put #${number} (${key})`);
    if (this.#held !== undefined && number <= this.#held.through) await this.#held.released;
    return this.inner.put(key, source, options);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  head(key: string) {
    return this.inner.head(key);
  }
  exists(key: string) {
    return this.inner.exists(key);
  }
  async delete(key: string): Promise<void> {
    if (this.failDeletes.has(key)) throw new UnavailableError(`injected failure deleting ${key}`);
    return this.inner.delete(key);
  }
  list(prefix?: string) {
    return this.inner.list(prefix);
  }
}

/** Captures log lines so tests can assert what was reported. */
export class RecordingLogger implements LoggerPort {
  readonly lines: Array<{ level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string }> = [];
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }
}

export interface NugetHarness {
  readonly pool: Pool;
  readonly blobs: FaultyBlobStore;
  readonly logger: RecordingLogger;
  readonly deps: NugetServiceDeps;
  /** Switches the replication flag the event writer reads (GitLab `geo_packages_nuget_symbol_replication`). */
  setReplicationEnabled(enabled: boolean): void;
  /** Creates a group and a project; returns the project id and its NuGet API key. */
  createProject(path: string): Promise<{ projectId: number; apiKey: string }>;
  /** Registers an enabled secondary site, so events are written. */
  addSecondary(name: string): Promise<void>;
  /** Every blob key in the store, sorted. */
  blobKeys(): Promise<string[]>;
  count(table: string): Promise<number>;
  events(): Promise<Array<{ event_name: string; payload: Record<string, unknown> }>>;
  close(): Promise<void>;
}

export const TEST_LIMITS: PackageLimits = {
  maxPackageBytes: 8 * 1024 * 1024,
  maxUncompressedBytes: 32 * 1024 * 1024,
  maxCompressionRatio: 100,
  maxZipEntries: 1000,
  maxSymbolFiles: 100,
};

/** Migrates `databaseUrl` (an empty database) and wires the service against it. */
export async function createNugetHarness(databaseUrl: string, limits: PackageLimits = TEST_LIMITS): Promise<NugetHarness> {
  await migrate({ role: 'primary', databaseUrl });
  const pool = createPool({ databaseUrl, max: 10, applicationName: 'geo-nuget-test' });
  const root = await mkdtemp(join(tmpdir(), 'geo-nuget-blobs-'));
  const blobs = new FaultyBlobStore(new FsBlobStore({ root }));
  const logger = new RecordingLogger();
  const flag = { enabled: true };
  const events = new GeoEventWriter(new EventOutboxRepository(pool), () => flag.enabled);
  const deps: NugetServiceDeps = {
    store: new PgPackageStore(pool, events),
    index: new PgSymbolIndex(pool),
    namespaces: new PgNamespaceRepository(pool),
    projects: new PgProjectRepository(pool),
    blobs,
    limits,
    fileStore: FileStores.local,
    logger,
  };
  return {
    pool,
    blobs,
    logger,
    deps,
    setReplicationEnabled(enabled) {
      flag.enabled = enabled;
    },
    async createProject(path) {
      const namespace = await createNamespace(deps.namespaces, { name: path, path: `${path}-group`, parentId: null });
      const created = await createProject(deps, { name: path, path, namespaceId: namespace.id, repositoryStorage: '' });
      return { projectId: created.project.id, apiKey: created.nugetApiKey };
    },
    async addSecondary(name) {
      await pool.query('INSERT INTO geo_sites (name, url, "primary", enabled) VALUES ($1, $2, false, true)', [name, `http://${name}.test/`]);
    },
    async blobKeys() {
      const keys: string[] = [];
      for await (const key of blobs.list('')) keys.push(key);
      return keys.sort();
    },
    async count(table) {
      const result = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      return Number(result.rows[0]?.n ?? 0);
    },
    async events() {
      const result = await pool.query<{ event_name: string; payload: Record<string, unknown> }>('SELECT event_name, payload FROM geo_events ORDER BY id');
      return result.rows;
    },
    async close() {
      await pool.end();
      await rm(root, { recursive: true, force: true });
    },
  };
}
