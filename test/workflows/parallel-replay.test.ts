import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { describe, expect, inject, it } from 'vitest';
import { replayInParallel, type ReplayOutcome } from '../../config/parallel-replay';

/**
 * config/parallel-replay.ts on the golden histories: every one replays clean on two threads, a
 * history given to the wrong workflow type is reported (not thrown), and a consumer that stops after
 * the first outcome gets its threads back without the process dying. (Terminating a thread in the
 * middle of a replay aborts the process in the SDK's native code; that stopped an audit job's close.)
 */
const DIR = join(__dirname, '..', 'histories');
const golden = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({
    workflowId: f.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(join(DIR, f), 'utf8'))),
  }));

async function collect(items: typeof golden, stopAfter = Infinity): Promise<ReplayOutcome[]> {
  const out: ReplayOutcome[] = [];
  for await (const r of replayInParallel(items, { bundlePath: inject('bundlePath'), codec: true, threads: 2 })) {
    out.push(r);
    if (out.length >= stopAfter) break;
  }
  return out;
}

describe('replay on worker threads', () => {
  it('the bundle evaluates domain/, contracts/ and workflows/ once per V8 context (preloadModules), not once per workflow', () => {
    const code = readFileSync(inject('bundlePath'), 'utf8');
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
    expect(preload).toContain('"./domain/index.ts"');
    expect(preload).toContain('"./contracts/index.ts"');
    expect(preload).toContain('"./workflows/index.ts"');
  });

  it('replays every golden history clean, and reports a history replayed as another type', async () => {
    const round = golden.find((g) => g.workflowId.startsWith('round-'))!;
    const candidate = golden.find((g) => g.workflowId.startsWith('candidate-'))!;
    // The round's first event started the round workflow; renamed as the candidate's type it cannot replay.
    const started = round.history.events![0]!.workflowExecutionStartedEventAttributes!;
    const wrongType = {
      workflowId: 'wrong-type',
      history: {
        ...round.history,
        events: [
          {
            ...round.history.events![0]!,
            workflowExecutionStartedEventAttributes: {
              ...started,
              workflowType: candidate.history.events![0]!.workflowExecutionStartedEventAttributes!.workflowType,
            },
          },
          ...round.history.events!.slice(1),
        ],
      },
    };
    const out = await collect([...golden, wrongType]);
    expect(out.map((r) => r.workflowId).sort()).toEqual([...golden.map((g) => g.workflowId), 'wrong-type'].sort());
    expect(out.filter((r) => r.error).map((r) => r.workflowId)).toEqual(['wrong-type']);
  }, 120_000);

  it('a consumer that stops after the first outcome releases the threads, and the next replay runs', async () => {
    const many = Array.from({ length: 4 }, (_, i) =>
      golden.map((g) => ({ ...g, workflowId: `${g.workflowId}-${i}` })),
    ).flat();
    for (let i = 0; i < 3; i++) expect(await collect(many, 1)).toHaveLength(1);
    expect(await collect(golden.slice(0, 2))).toHaveLength(2);
  }, 120_000);
});
