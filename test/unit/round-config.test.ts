import { describe, expect, it } from 'vitest';
import { validateRoundConfig, withDefaults, type RoundConfig } from '../../domain';
import { sampleRound, wib } from '../fixtures';

const valid = (): RoundConfig => withDefaults(sampleRound('medan-2025'));

describe('validateRoundConfig', () => {
  it('accepts the sample round with the 2024 defaults', () => {
    expect(validateRoundConfig(valid())).toEqual([]);
    expect(valid().passingGrades.umum).toEqual({ twk: 65, tiu: 80, tkp: 166 });
    expect(valid().schedule.sanggahDays).toBe(3);
  });

  it('returns every error at once', () => {
    const c = valid();
    c.schedule.skdAt = c.schedule.consultationOpens; // before the announcement
    c.schedule.drhDeadline = 'tomorrow';
    c.formations[0]!.quota = 0;
    c.formations[1]!.formationId = c.formations[0]!.formationId;
    c.weights = { skdWeight: 40, skbWeight: 50 };
    c.passingGrades = { ...c.passingGrades, umum: { twk: 200, tiu: 80, tkp: 166 } };
    c.skbTieBreak = ['tkp', 'tkp', 'twk'];
    const fields = validateRoundConfig(c).map((e) => `${e.code}@${e.field}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'SCHEDULE_ORDER@schedule.skdAt',
        'DATETIME@schedule.drhDeadline',
        'QUOTA@formations[0].quota',
        'FORMATION_DUPLICATE@formations[1].formationId',
        'WEIGHTS_SUM@weights',
        'PASSING_GRADE_RANGE@passingGrades.umum.twk',
        'TIE_BREAK@skbTieBreak',
      ]),
    );
    expect(fields.length).toBeGreaterThanOrEqual(7);
  });

  it('sanggah and jawab sanggah must end before SKD', () => {
    const c = valid();
    c.schedule.skdAt = wib(Date.parse(c.schedule.announcementAt) + 5 * 86_400_000); // 3 + 3 days needed
    expect(validateRoundConfig(c).map((e) => e.code)).toEqual(['SCHEDULE_SANGGAH']);
  });

  it('performance-based criteria weights must make 100 with SKD and SKB', () => {
    const c = valid();
    c.formations[0]!.scoring = {
      skdWeight: 30,
      skbWeight: 40,
      criteria: [
        { kind: 'experience', weight: 10, maxYears: 5 },
        { kind: 'interview', weight: 10, max: 100 },
      ],
    };
    expect(validateRoundConfig(c).map((e) => `${e.code}@${e.field}`)).toEqual(['WEIGHTS_SUM@formations[0].scoring']);
    c.formations[0]!.scoring.criteria.push({
      kind: 'priorPerformance',
      weight: 10,
      points: { 'Sangat Baik': 4, Baik: 3, 'Butuh Perbaikan': 2, Kurang: 1, 'Sangat Kurang': 0 },
    });
    expect(validateRoundConfig(c)).toEqual([]);
    c.formations[0]!.scoring.criteria[0] = { kind: 'experience', weight: 10, maxYears: 0 };
    expect(validateRoundConfig(c).map((e) => e.code)).toEqual(['CRITERION_MAX']);
  });

  it('passing grades within subtest maxima; quotas > 0; at least one formation', () => {
    const c = valid();
    c.passingGrades = { ...c.passingGrades, afirmasi: { total: 551 } };
    c.formations = [];
    expect(validateRoundConfig(c).map((e) => e.code)).toEqual(['PASSING_GRADE_RANGE', 'FORMATIONS_EMPTY']);
  });
});
