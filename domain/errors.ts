/** A rule violation: a stable code (English), a message for people (Bahasa Indonesia), a field. */
export interface RuleViolation {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T; warnings: RuleViolation[] } | { ok: false; errors: RuleViolation[] };

export function violation(
  code: string,
  message: string,
  field?: string,
  details?: Record<string, unknown>,
): RuleViolation {
  return { code, message, ...(field === undefined ? {} : { field }), ...(details === undefined ? {} : { details }) };
}
