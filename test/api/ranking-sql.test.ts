import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connection';
import { rankFinalInSql, rankSkbSelection } from '../../db/ranking';
import { compareFinal, skbCut } from '../../domain';
import { syntheticRound } from '../helpers/synthetic';
import { testDb } from '../helpers/temporal';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await db?.destroy();
});

const groupBy = <T>(xs: T[], key: (x: T) => string): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};

describe('rankings in SQL equal the domain comparators, bit for bit', () => {
  it.each([[1], [2], [3]])(
    'seed %i: 3,000 random candidates over 40 formations',
    async (seed) => {
      const roundId = `rank-${seed}-${Date.now().toString(36)}`;
      const { config, candidates } = await syntheticRound(db, roundId, 40, 3000, seed);

      // SKB cut: rank and selection per formation.
      const sqlCut = await rankSkbSelection(db, config);
      const domainCut = [...groupBy(candidates, (c) => c.formationId)].flatMap(([formationId, list]) => {
        const quota = config.formations.find((f) => f.formationId === formationId)!.quota;
        return skbCut(
          list.map((c) => ({ registrationNo: c.registrationNo, skd: { twk: c.twk, tiu: c.tiu, tkp: c.tkp } })),
          quota,
          config.skbCutMultiplier,
          config.skbTieBreak,
        ).ranked.map((r) => ({
          registrationNo: r.candidate.registrationNo,
          formationId,
          rank: r.rank,
          selected: r.selected,
        }));
      });
      const key = (r: { registrationNo: string; formationId: string; rank: number; selected: boolean }): string =>
        `${r.formationId}|${r.rank}|${r.registrationNo}|${r.selected}`;
      expect(sqlCut.map(key).sort()).toEqual(domainCut.map(key).sort());
      expect(sqlCut.filter((r) => r.selected).length).toBeGreaterThan(3 * 40); // ties at the cut admitted beyond 3 × quota somewhere

      // Final order (Pasal 45(4)).
      await rankFinalInSql(db, roundId);
      const rows = await db
        .selectFrom('rankings')
        .select(['registration_no', 'formation_id', 'rank'])
        .where('round_id', '=', roundId)
        .where('kind', '=', 'final')
        .execute();
      const sqlOrder = [...groupBy(rows, (r) => r.formation_id)].map(
        ([f, list]) => [f, list.sort((a, b) => a.rank - b.rank).map((r) => r.registration_no)] as const,
      );
      const domainOrder = new Map(
        [...groupBy(candidates, (c) => c.formationId)].map(([f, list]) => [
          f,
          list
            .map((c) => ({
              registrationNo: c.registrationNo,
              score: { scaled: c.scaled, scale: 10 },
              skd: { twk: c.twk, tiu: c.tiu, tkp: c.tkp },
              ipk: c.ipk,
              birthDate: c.birthDate,
            }))
            .sort(compareFinal)
            .map((c) => c.registrationNo),
        ]),
      );
      for (const [f, order] of sqlOrder) expect(order).toEqual(domainOrder.get(f));
      expect(rows.every((r) => r.rank >= 1)).toBe(true);
    },
    60_000,
  );
});
