import { ValidationError } from '@geo/domain';

/** Rejects anything but positive safe integers before SQL sees them (`what` names them in the message). */
export function assertPositiveIds(ids: readonly number[], what = 'model ids'): void {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new ValidationError(`${what} must be positive integers, got ${id}`);
  }
}
