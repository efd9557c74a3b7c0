import { type RuleViolation, violation } from './errors';

/**
 * The one place the sanggah reason's length is decided: the API schema, the candidate workflow's
 * validator and the portal's form all read these numbers. The minimum counts the text without
 * its surrounding spaces; the maximum counts UTF-16 code units, as the workflow always has.
 */
export const SANGGAH_REASON_LIMITS = { min: 20, max: 2000 } as const;

export function checkSanggahReason(reason: unknown): RuleViolation[] {
  const { min, max } = SANGGAH_REASON_LIMITS;
  if (typeof reason !== 'string' || reason.trim().length < min || reason.length > max) {
    const length = typeof reason === 'string' ? reason.trim().length : 0;
    return [
      violation('INVALID_SANGGAH', `Alasan sanggah ${min}–${max} karakter (sekarang ${length})`, 'reason', {
        min,
        max,
        length,
      }),
    ];
  }
  return [];
}
