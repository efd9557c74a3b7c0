/** Question banks and helpers for the online SKD exam tests (docs/exam.md). */
import type { ServiceDeps } from '../../api/services/deps';
import { importExamBank } from '../../api/services/exam';
import { EXAM_SUBTESTS, optionPoints, type BankItemInput, type ExamKeyItem, type ExamSubtest } from '../../domain';

/** `n` items of one subtest: TWK/TIU with one right option (which one varies), TKP with points 1–5 rotated. */
export function makeBank(subtest: ExamSubtest, n: number, tag = 'x'): BankItemInput[] {
  return Array.from({ length: n }, (_, i) => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    return {
      id: `${subtest.toUpperCase()}-${tag}-${String(i + 1).padStart(4, '0')}`,
      text: `Soal ${subtest.toUpperCase()} nomor ${i + 1} (${tag})`,
      options: ids.map((id, j) => ({
        id,
        text: `Pilihan ${id.toUpperCase()} soal ${i + 1}`,
        ...(subtest === 'tkp' ? { points: ((i + j) % 5) + 1 } : j === i % 5 ? { points: 5 } : {}),
      })),
    };
  });
}

/** Imports a bank for each subtest (sizes default to 40/45/55: more than a session draws). */
export async function importBanks(
  deps: ServiceDeps,
  bankId: string,
  sizes: Record<ExamSubtest, number> = { twk: 40, tiu: 45, tkp: 55 },
): Promise<Map<string, ExamKeyItem>> {
  const keys = new Map<string, ExamKeyItem>();
  for (const sub of EXAM_SUBTESTS) {
    const items = makeBank(sub, sizes[sub], bankId);
    await importExamBank(deps, { bankId, subtest: sub, items, actor: 'hr.test' });
    for (const it of items) keys.set(it.id, { itemId: it.id, subtest: sub, points: optionPoints(it) });
  }
  return keys;
}

/** A random device id as the page makes one. */
export const deviceId = (tag: string): string => `dev-${tag}-${Math.random().toString(36).slice(2, 12)}-000000`;
export const batchId = (): string => `b-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 14)}`;
