import { hexToBytea, mappingPgErrors } from '@geo/pg';
import type { Pool } from 'pg';
import type { SymbolRecord } from '../domain/model';
import type { SymbolLookupKey } from '../domain/symbol-query';
import type { SymbolIndex } from '../ports';
import { fromSymbolDbRow, SYMBOL_COLUMNS, type SymbolDbRow } from './symbol-rows';

/** The symbol server's reads on the primary database. */
export class PgSymbolIndex implements SymbolIndex {
  constructor(private readonly pool: Pool) {}

  projectExists(projectId: number): Promise<boolean> {
    return mappingPgErrors('read projects', async () => {
      const result = await this.pool.query<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1) AS exists', [projectId]);
      return result.rows[0]?.exists === true;
    });
  }

  findSymbol(key: SymbolLookupKey): Promise<SymbolRecord | null> {
    return mappingPgErrors('find packages_nuget_symbols', async () => {
      // GitLab's query (spec nuget-symbols §6.4), served by the (lower(signature), lower(file)) index.
      const result = await this.pool.query<SymbolDbRow>(
        `SELECT ${SYMBOL_COLUMNS} FROM packages_nuget_symbols
         WHERE lower(signature) = lower($1) AND lower(file) = lower($2) AND file_sha256 = ANY($3::bytea[]) AND package_id IS NOT NULL
         ORDER BY id LIMIT 1`,
        [key.signature, key.fileName, key.checksums.map((hex) => hexToBytea(hex))],
      );
      const row = result.rows[0];
      return row === undefined ? null : fromSymbolDbRow(row);
    });
  }
}
