import type { ApiClient } from '../../demo/http';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * HR ends the current phase of a simulation round now (POST /rounds/:id/advance, issue 20), once
 * the test's work in it is done. WRONG_PHASE while the round is between two steps: again, for at
 * most `ms`. Then a pause for the API, which reads the phase from PostgreSQL (registrations through
 * a 1 s cache).
 */
export async function advanceRound(
  api: ApiClient,
  roundId: string,
  token: string,
  from: string,
  reason: string,
  ms = 240_000,
): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await api.request<{ phase: string }>('POST', `/rounds/${roundId}/advance`, {
      token,
      body: { from, reason },
      idempotencyKey: `${roundId}-advance-${from}`,
      accept: (st, code) => st === 409 && code === 'WRONG_PHASE',
    });
    if (r.status === 200 && r.body.phase !== from) break;
    if (Date.now() > end) throw new Error(`round ${roundId}: ${from} not advanced in ${ms / 1000} s`);
    await sleep(500);
  }
  await sleep(1_200);
}
