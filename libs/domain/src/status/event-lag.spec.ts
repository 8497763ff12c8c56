import { eventLagSeconds } from './event-lag';

const NOW = new Date('2026-11-25T12:00:00.000Z');

describe('eventLagSeconds (age of the oldest unapplied event)', () => {
  it.each<[string, number, Date | null, number | null]>([
    ['caught up', 0, null, 0],
    ['caught up, oldest known anyway', 0, new Date('2026-11-25T11:00:00Z'), 0],
    ['behind by 90.9 s', 3, new Date('2026-11-25T11:58:29.100Z'), 90],
    ['behind, oldest unknown', 5, null, null],
    ['clock skew never gives a negative lag', 1, new Date('2026-11-25T12:00:05Z'), 0],
  ])('%s', (_label, count, oldestCreatedAt, expected) => {
    expect(eventLagSeconds({ count, oldestCreatedAt }, NOW)).toBe(expected);
  });
});
