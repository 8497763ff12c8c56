import { Metadata } from '@grpc/grpc-js';
import { correlationIdOf } from './correlation';

function metadata(entries: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

describe('correlationIdOf', () => {
  it('prefers x-correlation-id, then x-request-id', () => {
    expect(correlationIdOf(metadata({ 'x-request-id': 'req-2', 'x-correlation-id': '01HZX-abc' }))).toBe('01HZX-abc');
    expect(correlationIdOf(metadata({ 'x-request-id': 'req-2' }))).toBe('req-2');
  });

  it('ignores unsafe or oversized values and falls back to a fresh random id (no active span here)', () => {
    const ids = [
      correlationIdOf(metadata({ 'x-correlation-id': 'has space', 'x-request-id': 'x'.repeat(129) })),
      correlationIdOf(new Metadata()),
    ];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
