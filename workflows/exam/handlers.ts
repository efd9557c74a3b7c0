import { condition, setHandler } from '@temporalio/workflow';
import {
  EXAM_BATCH_MAX,
  INTEGRITY_KINDS,
  examStateQuery,
  integritySignal,
  openExamUpdate,
  reject,
  saveAnswersUpdate,
  submitExamUpdate,
  type ExamSessionState,
  type IntegritySignal,
  type OpenExamInput,
} from '../../contracts';
import { apply, checkBatch, ended, type ExamRun, iso, pastDeadline, record } from './state';

const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** The open validator: a well-formed device, inside the slot, and a takeover only when confirmed. */
function checkOpen(r: ExamRun, o: OpenExamInput): void {
  const s = r.s;
  if (typeof o?.deviceId !== 'string' || !DEVICE_ID.test(o.deviceId))
    reject('INVALID_ANSWER', 'deviceId: 16–64 huruf, angka, _ atau -');
  if (ended(r) || pastDeadline(r)) reject('EXAM_CLOSED', 'Sesi ujian sudah berakhir');
  const now = Date.now();
  if (s.status === 'waiting' && now < Date.parse(r.input.slot.opensAt))
    reject('EXAM_NOT_OPEN', 'Sesi ujian Anda belum dibuka');
  if (s.status === 'waiting' && now >= Date.parse(r.input.slot.closesAt))
    reject('EXAM_NOT_OPEN', 'Sesi ujian Anda sudah ditutup');
  if (s.device && s.device.deviceId !== o.deviceId && o.takeover !== true)
    reject('DEVICE_CONFLICT', 'Sesi ujian sedang dibuka di perangkat lain; konfirmasi untuk mengambil alih');
}

/** The first open starts the clock; an open from another device takes the session over. */
function open(r: ExamRun, o: OpenExamInput): ExamSessionState {
  const s = r.s;
  const now = Date.now();
  if (s.status === 'waiting') {
    s.status = 'in_progress';
    s.startedAt = iso(now);
    s.deadline = iso(now + r.input.durationMs);
  }
  if (s.device?.deviceId !== o.deviceId) {
    if (s.device) s.takeovers += 1;
    s.device = { deviceId: o.deviceId, since: iso(now) };
  }
  return s;
}

/** Integrity events sent as a signal (no answer to refuse with): malformed ones are dropped, long fields cut. */
function integrity(r: ExamRun, sig: IntegritySignal): void {
  if (typeof sig?.deviceId !== 'string' || !Array.isArray(sig.events)) return;
  const events = sig.events
    .slice(0, EXAM_BATCH_MAX)
    .filter((e) => (INTEGRITY_KINDS as readonly string[]).includes(e?.kind) && typeof e.at === 'string')
    .map((e) => ({
      kind: e.kind,
      at: e.at.slice(0, 40),
      ...(e.detail ? { detail: String(e.detail).slice(0, 200) } : {}),
    }));
  record(r, sig.deviceId.slice(0, 64), events);
}

/** The state query, the open/save/submit updates (validated) and the integrity signal. */
export function installHandlers(r: ExamRun): void {
  setHandler(examStateQuery, () => r.s);
  setHandler(openExamUpdate, (o) => open(r, o), { validator: (o) => checkOpen(r, o) });
  const validator = (b: Parameters<typeof checkBatch>[1]): void => checkBatch(r, b);
  setHandler(saveAnswersUpdate, (b) => apply(r, b), { validator });
  setHandler(
    submitExamUpdate,
    async (b) => {
      apply(r, b);
      r.submitted = true;
      await condition(() => r.s.result !== null);
      return r.s;
    },
    { validator },
  );
  setHandler(integritySignal, (sig) => integrity(r, sig));
}
