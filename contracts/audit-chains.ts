/**
 * The names of the audit chains (db/audit.ts): one hash chain per round, per career and per
 * unit. Written by the activities and the API, read by verify, the report and the announcements.
 */
export const roundChain = (roundId: string): string => `round:${roundId}`;
export const careerChain = (nip: string): string => `career:${nip}`;
export const unitChain = (unit: string): string => `unit:${unit}`;

/** The local activity that records a chain's signed head in a workflow history (verify finds its markers by this name). */
export const ANCHOR_ACTIVITY = 'anchorAuditHead';
