import { describe, expect, it } from 'vitest';
import { quorumState } from './quorum.ts';

describe('quorumState', () => {
  it('is down only when at least k locations are down', () => {
    expect(quorumState('up', ['down', 'up', 'up'], 2)).toBe('up');
    expect(quorumState('up', ['down', 'down', 'up'], 2)).toBe('down');
    expect(quorumState('up', ['down', 'down', 'down'], 3)).toBe('down');
    expect(quorumState('unknown', ['down', 'unknown', 'unknown'], 1)).toBe('down');
  });

  it('recovers when fewer than k fail, and waits for a first up before leaving unknown', () => {
    expect(quorumState('down', ['down', 'up', 'up'], 2)).toBe('up');
    expect(quorumState('down', ['down', 'unknown', 'unknown'], 2)).toBe('up');
    expect(quorumState('unknown', ['unknown', 'down', 'unknown'], 2)).toBe('unknown');
    expect(quorumState('unknown', ['unknown', 'up', 'unknown'], 2)).toBe('up');
  });
});
