import { ErrorCodes, GeoError, isGeoError, NotFoundError } from '@geo/domain';
import type { NamespaceRecord } from '../domain/model';
import { validateId, validateName, validatePath } from '../domain/names';
import type { NamespaceRepository } from '../ports';

export interface CreateNamespaceInput {
  readonly name: string;
  readonly path: string;
  /** Absent (or null) for a top-level group. */
  readonly parentId: number | null;
}

/**
 * Creates a group: name and path validated (400), the parent must exist (404), and the path must be
 * free among its siblings, case-insensitively (409, enforced by a unique index).
 */
export async function createNamespace(namespaces: NamespaceRepository, input: CreateNamespaceInput): Promise<NamespaceRecord> {
  const name = validateName(input.name);
  const path = validatePath(input.path);
  const parentId = input.parentId === null ? null : validateId(input.parentId, 'parent_id');
  if (parentId !== null && (await namespaces.get(parentId)) === null) {
    throw new NotFoundError(`Parent group ${parentId} not found`, { details: { parentId } });
  }
  try {
    return await namespaces.create({ name, path, parentId });
  } catch (error: unknown) {
    if (isGeoError(error) && error.code === ErrorCodes.ALREADY_EXISTS) {
      throw new GeoError(ErrorCodes.ALREADY_EXISTS, `Path ${path} has already been taken${parentId === null ? '' : ` in group ${parentId}`}`, {
        cause: error,
        details: { path, parentId },
      });
    }
    throw error;
  }
}

export async function listNamespaces(namespaces: NamespaceRepository): Promise<NamespaceRecord[]> {
  return namespaces.list();
}
