import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/worker';
import { describe, expect, inject, it } from 'vitest';
import { ROOT } from '../../config';

const DIR = join(__dirname, '..', 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (f: string) => ({
  workflowId: f.replace(/\.json$/, ''),
  history: historyFromJSON(JSON.parse(readFileSync(join(DIR, f), 'utf8'))),
});
const markers = (f: string): string[] =>
  (load(f).history.events ?? []).flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return [];
    const data = (
      m.details as Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null | undefined
    )?.['patch-data']?.payloads?.[0]?.data;
    return data ? [JSON.parse(Buffer.from(data).toString()).id as string] : [];
  });

describe('golden histories replay on the current code', () => {
  it('there is a golden history of each workflow type and each patched version', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'round-full.json',
        'round-v2-deadline-waits.json',
        'candidate-1.0-appointed.json',
        'candidate-1.0-close-confirmed.json',
        'candidate-1.0-decision-in-flight.json',
        'career-v1-late-evaluation.json',
        'career-v2-late-evaluation.json',
      ]),
    );
    expect(markers('career-v1-late-evaluation.json')).toEqual([]);
    expect(markers('career-v2-late-evaluation.json')).toContain('skp-evaluation-grace');
    // Deadline waits decided by timers and messages (workflows/deadline.ts): before and after.
    expect(markers('round-full.json')).toEqual([]);
    expect(markers('round-v2-deadline-waits.json')).toEqual(['deadline-waits-from-history']);
    // The candidate's 1.0 baseline calls no patch; its old goldens (candidate-appointed, -v2 … -v5) were removed.
    for (const f of files.filter((x) => x.startsWith('candidate-'))) {
      expect(f).toMatch(/^candidate-1\.0-/);
      expect(markers(f)).toEqual([]);
    }
  });

  it.each(files)(
    '%s replays without a determinism violation',
    async (file) => {
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('bundlePath') } },
        load(file).history,
        load(file).workflowId,
      );
    },
    60_000,
  );

  it('the replay check has teeth: the v1 history fails on a change to the same path made without patched()', async () => {
    // A copy of workflows/ beside the real one (so its relative imports resolve), where the second
    // reminder is added straight after the first, unguarded.
    const dir = mkdtempSync(join(ROOT, '.replay-variant-'));
    try {
      cpSync(join(ROOT, 'workflows'), dir, { recursive: true });
      const career = join(dir, 'career.ts');
      const src = readFileSync(career, 'utf8');
      const reminder = "await note('pengingat: penilaian kinerja belum diisi', 'sistem', `tenggat ${iso(deadline)}`);";
      expect(src).toContain(reminder);
      writeFileSync(
        career,
        src.replace(reminder, `${reminder} await note('pengingat kedua: penilaian kinerja belum diisi', 'sistem');`),
      );
      const code = await bundleWorkflows(join(dir, 'index.ts'));
      await expect(
        Worker.runReplayHistory({ workflowBundle: { code } }, load('career-v1-late-evaluation.json').history, 'v1'),
      ).rejects.toThrow(/[Nn]ondetermin|DeterminismViolation/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
