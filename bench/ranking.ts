/**
 * bench:ranking — the final ranking of 100,000 candidates over 300 formations in PostgreSQL
 * (window functions, every tie-break of Pasal 45(4)) beside an in-memory sort of the same rows in
 * Node with the domain comparator, measured in the same run. Goal: ≤ 1 s and ≤ 3 × the sort.
 */
import { sql } from 'kysely';
import { finalRankQuery, rankFinalInSql, rankSkbSelection } from '../db/ranking';
import { compareFinal, type FinalRankable } from '../domain';
import { syntheticRound } from '../test/helpers/synthetic';
import { arg, benchDb, median, quick, report, round3 } from './lib';

async function main(): Promise<void> {
  const n = arg('candidates', quick ? 10_000 : 100_000);
  const formations = arg('formations', 300);
  const { db, drop } = await benchDb('ranking');
  try {
    const roundId = 'bench-ranking';
    const { config, candidates } = await syntheticRound(db, roundId, formations, n, 7);
    await sql`analyze`.execute(db);

    // The ranking query itself: ranks for every candidate, per formation, in the domain's order.
    const rankQuery = () => finalRankQuery(db, roundId);
    const sqlMs = await median(5, rankQuery);
    const storeMs = await median(3, () => rankFinalInSql(db, roundId));
    const skbCutMs = await median(3, () => rankSkbSelection(db, config));

    // Baseline: the same rows already in Node memory, grouped and sorted with the domain comparator.
    const rows: (FinalRankable & { formationId: string })[] = candidates.map((c) => ({
      registrationNo: c.registrationNo,
      formationId: c.formationId,
      score: { scaled: c.scaled, scale: 10 },
      skd: { twk: c.twk, tiu: c.tiu, tkp: c.tkp },
      ipk: c.ipk,
      birthDate: c.birthDate,
    }));
    const sortMs = await median(5, async () => {
      const groups = new Map<string, FinalRankable[]>();
      for (const r of rows) (groups.get(r.formationId) ?? groups.set(r.formationId, []).get(r.formationId)!).push(r);
      for (const g of groups.values()) g.sort(compareFinal);
    });
    report({
      name: 'ranking',
      value: round3(sqlMs),
      unit: 'ms',
      baseline: round3(sortMs),
      ratio: round3(sqlMs / sortMs),
      goal: '≤ 1000 ms and ≤ 3 × the in-memory sort',
      candidates: n,
      formations,
      store_ms: round3(storeMs),
      skb_cut_ms: round3(skbCutMs),
      met: sqlMs <= 1000 && sqlMs <= 3 * sortMs,
    });
  } finally {
    await drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
