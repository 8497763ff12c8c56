import type { NewGeoEvent } from '@geo/pg';
import type { SymbolLookupKey } from './domain/symbol-query';
import type {
  NamespaceRecord,
  NewPackageFile,
  NewSymbol,
  PackageRecord,
  ProjectCredentials,
  ProjectRecord,
  SymbolRecord,
} from './domain/model';

/**
 * The seams between the `nuget` use cases and storage. The use cases own the order of operations
 * and the failure rules; implementations (adapters/) only run statements. Every method may throw a
 * `GeoError` (unique violations arrive as ALREADY_EXISTS, outages as UNAVAILABLE).
 */

/** A package row locked by `lockPackage`. */
export interface LockedPackage extends PackageRecord {
  readonly hasSymbols: boolean;
}

/** Statements that run inside one database transaction (all or nothing). */
export interface PackageWriteTx {
  /**
   * The project's NuGet package `name` + `version` (case-insensitive), row-locked until the
   * transaction ends so pushes and deletes of one package run one at a time, and whether it already
   * has symbol rows (read after the lock is granted).
   */
  lockPackage(projectId: number, name: string, version: string): Promise<LockedPackage | null>;
  /** Inserts a package with an id reserved by `reservePackageId` (package type NuGet, status default). */
  insertPackage(pkg: PackageRecord): Promise<void>;
  insertPackageFile(file: NewPackageFile): Promise<void>;
  /**
   * Inserts the symbol rows and a pending verification state row for each, in one statement;
   * returns the symbols in input order with ids.
   */
  insertSymbolsWithPendingStates(symbols: readonly NewSymbol[]): Promise<SymbolRecord[]>;
  /** Appends Geo events (skipped by the writer when no enabled secondary exists or the flag is off). */
  appendEvents(events: readonly NewGeoEvent[]): Promise<void>;
  listSymbols(packageId: number): Promise<SymbolRecord[]>;
  /** Deletes the symbols (their state rows cascade); returns how many went. */
  deleteSymbols(symbolIds: readonly number[]): Promise<number>;
  /** Deletes the package's file rows; returns their blob keys. */
  deletePackageFiles(packageId: number): Promise<string[]>;
  deletePackage(packageId: number): Promise<void>;
}

export interface PackageStore {
  findProjectCredentials(projectId: number): Promise<ProjectCredentials | null>;
  /** Whether the project has the NuGet package `name` + `version` (case-insensitive). */
  packageExists(projectId: number, name: string, version: string): Promise<boolean>;
  /** Takes the next package id from its sequence, so the blob key is known before the row exists. */
  reservePackageId(): Promise<number>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: PackageWriteTx) => Promise<T>): Promise<T>;
}

export interface SymbolIndex {
  projectExists(projectId: number): Promise<boolean>;
  /**
   * Instance-wide lookup (GitLab's, not scoped to the project in the URL: the checksum is the
   * capability): signature and file case-insensitive, `file_sha256` any of the checksums, and the
   * package still present. The oldest match wins when several rows qualify.
   */
  findSymbol(key: SymbolLookupKey): Promise<SymbolRecord | null>;
}

export interface NewNamespace {
  readonly name: string;
  readonly path: string;
  readonly parentId: number | null;
}

export interface NamespaceRepository {
  /** Inserts the namespace; ALREADY_EXISTS when a sibling has the same path (case-insensitive). */
  create(input: NewNamespace): Promise<NamespaceRecord>;
  get(id: number): Promise<NamespaceRecord | null>;
  list(): Promise<NamespaceRecord[]>;
}

export interface NewProject {
  readonly name: string;
  readonly path: string;
  readonly namespaceId: number;
  readonly repositoryStorage: string;
  readonly nugetApiKeyDigest: string;
}

export interface ProjectRepository {
  /** Inserts the project; ALREADY_EXISTS when the namespace has the path (case-insensitive). */
  create(input: NewProject): Promise<ProjectRecord>;
  get(id: number): Promise<ProjectRecord | null>;
  list(): Promise<ProjectRecord[]>;
}
