import { batchCapacityPerType, batchJobsFor } from './capacity';

describe('batchCapacityPerType', () => {
  it.each([
    [100, 1, 100],
    [100, 20, 5],
    [100, 3, 33],
    [10, 20, 1],
    [0, 1, 1],
    [-5, 1, 1],
    [100, 0, 1],
  ])('max capacity %i over %i types → %i batches', (capacity, types, expected) => {
    expect(batchCapacityPerType(capacity, types)).toBe(expected);
  });
});

describe('batchJobsFor', () => {
  it.each([
    [0, 100, 10, 0],
    [1, 100, 10, 1],
    [10, 100, 10, 1],
    [11, 100, 10, 2],
    [995, 100, 10, 100],
    [5000, 100, 10, 100],
    [5000, 3, 10, 3],
    [25, 0, 10, 0],
  ])('%i rows needing work, %i free jobs, batches of %i → %i jobs', (needs, maxJobs, batch, expected) => {
    expect(batchJobsFor(needs, maxJobs, batch)).toBe(expected);
  });
});
