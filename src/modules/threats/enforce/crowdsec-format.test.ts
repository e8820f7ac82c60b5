import { describe, expect, it } from 'vitest';
import { DecisionJsonWriter, type FeedRow, feedFilter, goDuration, streamBody } from './crowdsec-format.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const row = (over: Partial<FeedRow> = {}): FeedRow => ({
  seq: 42,
  id: '0b9f4f8e-2d7c-4c1e-9a51-0c2f1d3e4a5b',
  value: '203.0.113.7',
  scope: 'ip',
  origin: 'skjold',
  scenario: 'skjold/ssh-bruteforce',
  until: NOW + 4 * 3_600_000,
  ...over,
});

describe('goDuration writes what Go’s time.ParseDuration reads back', () => {
  it.each([
    [0, '0s'],
    [7, '7s'],
    [60, '1m0s'],
    [240, '4m0s'],
    [3600, '1h0m0s'],
    [14_398, '3h59m58s'],
    [90_061, '25h1m1s'],
    [-12, '-12s'],
    [-3661, '-1h1m1s'],
  ])('%d s → %s', (s, text) => expect(goDuration(s)).toBe(text));
});

describe('decision JSON', () => {
  it('has CrowdSec’s field names and types, the seq as integer id', () => {
    expect(JSON.parse(new DecisionJsonWriter(NOW).write(row(), false))).toEqual({
      duration: '4h0m0s',
      id: 42,
      origin: 'skjold',
      scenario: 'skjold/ssh-bruteforce',
      scope: 'Ip',
      simulated: false,
      type: 'ban',
      uuid: '0b9f4f8e-2d7c-4c1e-9a51-0c2f1d3e4a5b',
      value: '203.0.113.7',
    });
  });

  it('gives an active decision at least one second, and a deleted one its real (negative) time left', () => {
    const w = new DecisionJsonWriter(NOW);
    expect(JSON.parse(w.write(row({ until: NOW + 200 }), false))).toMatchObject({ duration: '1s' });
    expect(JSON.parse(w.write(row({ until: NOW - 5000 }), true))).toMatchObject({ duration: '-5s' });
  });

  it('escapes whatever text a scenario or value holds', () => {
    const nasty = row({ scenario: 'a"b\\c\n\u0001', value: 'x"}' });
    expect(JSON.parse(new DecisionJsonWriter(NOW).write(nasty, false))).toMatchObject({
      scenario: 'a"b\\c\n\u0001',
      value: 'x"}',
    });
  });

  it('writes empty lists as null, as CrowdSec does', () => {
    expect(streamBody(NOW, [], [])).toBe('{"new":null,"deleted":null}');
    expect(JSON.parse(streamBody(NOW, [row()], [row({ seq: 43, scope: 'range', value: '10.0.0.0/8' })]))).toMatchObject({
      new: [{ id: 42, scope: 'Ip' }],
      deleted: [{ id: 43, scope: 'Range' }],
    });
  });
});

describe('feedFilter', () => {
  it('matches scopes case-insensitively (ip and range by default), origins exactly, scenarios by substring', () => {
    const rows = [
      row(),
      row({ scope: 'range', value: '10.0.0.0/8', scenario: 'skjold/http-probing' }),
      row({ origin: 'manual', scenario: 'manual:alice' }),
    ];
    const pick = (f: Parameters<typeof feedFilter>[0]) => rows.filter(feedFilter(f)).map((r) => `${r.scope}:${r.scenario}`);
    expect(pick({})).toHaveLength(3);
    expect(pick({ scopes: 'Range' })).toEqual(['range:skjold/http-probing']);
    expect(pick({ scopes: 'country' })).toEqual([]);
    expect(pick({ origins: 'manual,feed' })).toEqual(['ip:manual:alice']);
    expect(pick({ scenarios_containing: 'http,alice' })).toEqual(['range:skjold/http-probing', 'ip:manual:alice']);
    expect(pick({ scenarios_not_containing: 'skjold/' })).toEqual(['ip:manual:alice']);
  });
});
