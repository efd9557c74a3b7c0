import { describe, expect, it } from 'vitest';
import {
  buildNip,
  compareScores,
  displayScore,
  integratedScore,
  NipSequenceExhausted,
  parseNip,
  type ScoringConfig,
} from '../../domain';

const base: ScoringConfig = { skdWeight: 40, skbWeight: 60, skbMax: 500, criteria: [] };

describe('integratedScore', () => {
  it('SKD 420 → 30,54 (the regulation example, truncated)', () => {
    const s = integratedScore({ ...base, skbWeight: 60 }, { skdTotal: 420, skb: 0 });
    expect(s.terms[0]!.display).toBe('30,54');
  });
  it.each([
    [550, 500, '100,00'],
    [0, 0, '0,00'],
    [420, 400, '78,54'], // 30.5454… + 48
    [311, 333, '62,57'], // 22.618… + 39.96 = 62.578… (truncated, never rounded up)
  ])('SKD %i + SKB %i/500 → %s', (skd, skb, display) => {
    expect(integratedScore(base, { skdTotal: skd, skb }).display).toBe(display);
  });
  it('equal points from different subtests compare equal, exactly', () => {
    const a = integratedScore(base, { skdTotal: 330, skb: 0 }); // 330/550 × 40 = 24
    const b = integratedScore(base, { skdTotal: 0, skb: 200 }); // 200/500 × 60 = 24
    expect(a.scaled).toBe(b.scaled);
    expect(compareScores(a, b)).toBe(0);
    expect(compareScores(integratedScore(base, { skdTotal: 331, skb: 0 }), b)).toBe(1);
  });
  it('returns the full breakdown with performance-based criteria', () => {
    const cfg: ScoringConfig = {
      skdWeight: 30,
      skbWeight: 40,
      skbMax: 500,
      criteria: [
        { kind: 'experience', weight: 10, maxYears: 5 },
        { kind: 'interview', weight: 10, max: 100 },
        {
          kind: 'priorPerformance',
          weight: 10,
          points: { 'Sangat Baik': 4, Baik: 3, 'Butuh Perbaikan': 2, Kurang: 1, 'Sangat Kurang': 0 },
        },
      ],
    };
    const s = integratedScore(cfg, {
      skdTotal: 440,
      skb: 400,
      experienceYears: 8,
      interview: 75,
      priorPredikat: 'Baik',
    });
    expect(s.terms.map((t) => [t.key, t.value, t.max, t.weight, t.display])).toEqual([
      ['skd', 440, 550, 30, '24,00'],
      ['skb', 400, 500, 40, '32,00'],
      ['experience', 5, 5, 10, '10,00'], // capped at maxYears
      ['interview', 75, 100, 10, '7,50'],
      ['priorPerformance', 3, 4, 10, '7,50'],
    ]);
    expect(s.display).toBe('81,00');
    expect(s.scaled).toBe(s.terms.reduce((a, t) => a + t.scaled, 0));
  });
  it('rejects out-of-range inputs', () => {
    expect(() => integratedScore(base, { skdTotal: 551, skb: 0 })).toThrow(RangeError);
    expect(() => integratedScore(base, { skdTotal: 10, skb: 501 })).toThrow(RangeError);
  });
  it('compares across scales exactly', () => {
    expect(compareScores({ scaled: 1, scale: 3 }, { scaled: 2, scale: 6 })).toBe(0);
    expect(compareScores({ scaled: 1, scale: 3 }, { scaled: 333333, scale: 1000000 })).toBe(1);
    expect(displayScore(2, 3)).toBe('0,66');
  });
});

describe('NIP', () => {
  it('builds the 18 digits', () => {
    expect(buildNip({ birthDate: '1995-05-15', tmt: '2025-03-01', sex: 'P', sequence: 1 })).toBe('199505152025032001');
    expect(buildNip({ birthDate: '2000-02-29', tmt: '2025-01-01', sex: 'L', sequence: 999 })).toBe(
      '200002292025011999',
    );
  });
  it('999 is the last sequence of a prefix', () => {
    expect(() => buildNip({ birthDate: '1995-05-15', tmt: '2025-03-01', sex: 'L', sequence: 1000 })).toThrow(
      NipSequenceExhausted,
    );
  });
  it('TMT must be the 1st of a month', () => {
    expect(() => buildNip({ birthDate: '1995-05-15', tmt: '2025-03-02', sex: 'L', sequence: 1 })).toThrow(RangeError);
  });
  it('parses back', () => {
    const r = parseNip('199505152025032001');
    expect(r).toEqual({
      ok: true,
      warnings: [],
      value: { birthDate: '1995-05-15', tmt: '2025-03-01', sex: 'P', sequence: 1 },
    });
  });
  it.each([
    ['19950515202503200', 'NIP_FORMAT'],
    ['199505152025033001', 'NIP_SEX'],
    ['199502302025031001', 'NIP_BIRTH_DATE'],
    ['199505152025131001', 'NIP_TMT'],
    ['199505152025031000', 'NIP_SEQUENCE'],
  ])('%s → %s', (nip, code) => {
    const r = parseNip(nip);
    expect(r.ok ? [] : r.errors.map((e) => e.code)).toEqual([code]);
  });
});
