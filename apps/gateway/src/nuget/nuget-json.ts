import type { PushPackageResponse, SymbolFile } from '@geo/proto';

/** A stored symbol file as the push answer lists it (GitLab column names). */
export interface SymbolFileJson {
  readonly id: number;
  readonly file: string;
  readonly file_path: string;
  readonly signature: string;
  readonly size: number;
  readonly file_sha256: string;
}

/** The 201 body of a push: nuget.org's "Created" plus what was registered. */
export interface PushCreatedJson {
  readonly message: 'Created';
  readonly package_id: number;
  readonly name: string;
  readonly version: string;
  readonly symbol_files: readonly SymbolFileJson[];
}

export function symbolFileJson(file: SymbolFile): SymbolFileJson {
  return { id: file.id, file: file.file, file_path: file.filePath, signature: file.signature, size: file.size, file_sha256: file.fileSha256 };
}

export function pushCreatedJson(response: PushPackageResponse): PushCreatedJson {
  return {
    message: 'Created',
    package_id: response.packageId,
    name: response.name,
    version: response.version,
    symbol_files: response.symbolFiles.map(symbolFileJson),
  };
}

/**
 * `Content-Disposition: attachment; filename="<file>"`. Stored names are PDB base names, but the
 * value is still made header-safe: quotes, backslashes and control or non-ASCII characters become
 * `_` in `filename`, and the exact name is given as RFC 5987 `filename*` when they differ.
 */
export function attachmentDisposition(file: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a header
  const ascii = file.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, '_');
  const disposition = `attachment; filename="${ascii}"`;
  return ascii === file ? disposition : `${disposition}; filename*=UTF-8''${encodeURIComponent(file)}`;
}
