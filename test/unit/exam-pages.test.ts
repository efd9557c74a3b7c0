import { describe, expect, it } from 'vitest';
import { AppError } from '../../api/errors';
import { EXAM_BATCH_MAX } from '../../contracts';
import { displayState, jsonBatch, remainingText } from '../../web/routes/exam';

const batchId = 'b-0123456789abcdef';

describe('the exam page helpers (web/routes/exam.ts)', () => {
  it('writes the remaining time as CAT shows it, never negative', () => {
    expect(remainingText(100 * 60_000)).toBe('1:40:00');
    expect(remainingText(59_400)).toBe('00:59');
    expect(remainingText(61_000)).toBe('01:01');
    expect(remainingText(-5_000)).toBe('00:00');
  });

  it('tells a submitted session from one the timer or the slot ended', () => {
    expect(displayState('finished', 'submit')).toBe('submitted');
    expect(displayState('finished', 'timer')).toBe('expired');
    expect(displayState('finished', 'slot_closed')).toBe('expired');
    expect(displayState('in_progress', null)).toBe('in_progress');
    expect(displayState('absent', 'slot_closed')).toBe('absent');
  });

  it("takes the page's batch as it is sent", () => {
    expect(
      jsonBatch({
        batchId,
        answers: [
          { itemId: 'TWK-1', option: 'c' },
          { itemId: 'TIU-2', option: null },
        ],
        flags: [{ itemId: 'TWK-1', flagged: true }],
        events: [{ kind: 'copy', at: '2026-09-01T01:00:00.000Z' }],
      }),
    ).toEqual({
      batchId,
      answers: [
        { itemId: 'TWK-1', option: 'c' },
        { itemId: 'TIU-2', option: null },
      ],
      flags: [{ itemId: 'TWK-1', flagged: true }],
      events: [{ kind: 'copy', at: '2026-09-01T01:00:00.000Z' }],
    });
    expect(jsonBatch({ batchId })).toEqual({ batchId, answers: [], flags: [], events: [] });
  });

  it.each([
    ['no batch id', { answers: [] }],
    ['a short batch id', { batchId: 'short' }],
    ['answers not a list', { batchId, answers: {} }],
    ['an answer without an item', { batchId, answers: [{ option: 'a' }] }],
    ['an option that is a number', { batchId, answers: [{ itemId: 'X', option: 1 }] }],
    ['a flag that is not a boolean', { batchId, flags: [{ itemId: 'X', flagged: 'ya' }] }],
    ['an unknown event', { batchId, events: [{ kind: 'screenshot', at: '2026-09-01T01:00:00Z' }] }],
    ['an event without a time', { batchId, events: [{ kind: 'copy', at: 'kemarin' }] }],
    [
      'too many answers',
      { batchId, answers: Array.from({ length: EXAM_BATCH_MAX + 1 }, () => ({ itemId: 'X', option: 'a' })) },
    ],
  ])('refuses %s with INVALID_BATCH (400)', (_what, body) => {
    let err: unknown;
    try {
      jsonBatch(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).statusCode).toBe(400);
    expect((err as AppError).code).toBe('INVALID_BATCH');
  });
});
