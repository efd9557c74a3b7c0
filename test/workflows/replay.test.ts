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
        'round-1.0-full.json',
        'round-1.0-held-announcement.json',
        'candidate-1.0-appointed.json',
        'candidate-1.0-close-confirmed.json',
        'candidate-1.0-decision-in-flight.json',
        'candidate-1.0-sanggah-late-announcement.json',
        'career-1.0-probation-pns.json',
        'career-1.0-late-evaluation.json',
      ]),
    );
    // The career's 1.0 baseline: no patch markers (the pre-release patches are retired).
    expect(markers('career-1.0-probation-pns.json')).toEqual([]);
    expect(markers('career-1.0-late-evaluation.json')).toEqual([]);
    // The round's 1.0 baseline: no patch at all (the pre-release ones retired, issue 16).
    expect(markers('round-1.0-full.json')).toEqual([]);
    expect(markers('round-1.0-held-announcement.json')).toEqual([]);
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
});

/**
 * How a running workflow is changed after 1.0: behind `patched()`. The controls take the 1.0
 * history of a late evaluation and one change to the path it took (an extra reminder after the
 * first): made straight, the history no longer replays; made behind `patched(id)`, it does.
 */
describe('changing the career after 1.0', () => {
  const golden = 'career-1.0-late-evaluation.json';
  const reminder = "await note(st, 'pengingat: penilaian kinerja belum diisi', 'sistem', `tenggat ${iso(deadline)}`);";
  const extra = "await note(st, 'pengingat tambahan: penilaian kinerja belum diisi', 'sistem');";

  /** The workflows bundled from a copy of workflows/ beside the real one (its relative imports resolve), career/steps.ts edited. */
  async function variant(edit: (src: string) => string): Promise<string> {
    const dir = mkdtempSync(join(ROOT, '.replay-variant-'));
    try {
      cpSync(join(ROOT, 'workflows'), dir, { recursive: true });
      const steps = join(dir, 'career', 'steps.ts');
      const src = readFileSync(steps, 'utf8');
      expect(src).toContain(reminder);
      writeFileSync(steps, edit(src));
      const code = await bundleWorkflows(join(dir, 'index.ts'));
      expect(code).toContain('pengingat tambahan'); // the change is in the bundle replayed
      return code;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const replay = (code: string) =>
    Worker.runReplayHistory({ workflowBundle: { code } }, load(golden).history, 'career-1.0');

  it('negative control: the change made without patched() fails replay of the 1.0 history', async () => {
    const code = await variant((src) => src.replace(reminder, `${reminder} ${extra}`));
    await expect(replay(code)).rejects.toThrow(/[Nn]ondetermin|DeterminismViolation/);
  }, 120_000);

  it('positive control: the same change behind patched() replays the 1.0 history', async () => {
    const code = await variant(
      (src) =>
        `import { patched } from '@temporalio/workflow';\n${src.replace(
          reminder,
          `${reminder} if (patched('career-extra-reminder')) ${extra}`,
        )}`,
    );
    await replay(code);
  }, 120_000);
});
