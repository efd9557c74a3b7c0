import { condition, patched, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { CONFIRM_PATCH, DEADLINE_PATCH, IN_FLIGHT_PATCH, SANGGAH_WINDOW_PATCH, waitForDeadline } from './deadline';
import { checkSanggahReason, instantMs, type SanggahStage, skdOutcome, skdTotal } from '../domain';
import type { CandidateActivities } from '../activities/candidate';
import {
  answerSanggahUpdate,
  candidateStatusQuery,
  fileSanggahUpdate,
  finalResultSignal,
  scheduleChangedSignal,
  skbScoreSignal,
  skbSelectionSignal,
  skdResultSignal,
  stageAttr,
  submitDocumentsUpdate,
  submitDrhUpdate,
  verifyDocumentsUpdate,
  type CandidateInput,
  type CandidateOutcome,
  type CandidateStage,
  type CandidateStatus,
  type DocumentDecision,
  type DocumentRef,
  type FinalResultSignal,
  type SkbScoreSignal,
  type SkbSelectionSignal,
  type SkdResultSignal,
} from '../contracts';
import { reject } from '../contracts';

// Short, idempotent PostgreSQL writes: local activities keep the history small (one marker each).
const db = proxyLocalActivities<CandidateActivities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['NIP_SEQUENCE_EXHAUSTED'],
  },
});

const now = (): number => Date.now();
const iso = (ms: number = now()): string => new Date(ms).toISOString();

/**
 * One application, id `candidate/<registrationNo>`: documents → administrative check (with
 * escalation, never auto-rejection) → announcement and sanggah → SKD → SKB → final result →
 * DRH, NIP and SK. Reviewer decisions and appeals are validated updates; exam outcomes are
 * signals from the round. Every decision is kept with who, when and why.
 */
export async function candidate(input: CandidateInput): Promise<CandidateStatus> {
  // A day of the day-counted windows: 24 h, or shorter in a simulation round (absent in histories before it existed).
  const DAY = input.dayMs ?? 86_400_000;
  const schedule = { ...input.schedule };
  const seen = new Set<string>();
  const s: CandidateStatus = {
    registrationNo: input.registrationNo,
    roundId: input.roundId,
    formationId: input.formationId,
    stage: 'documents',
    outcome: null,
    deadlines: { documents: schedule.registrationCloses },
    documents: [],
    reviewer: null,
    administrasi: null,
    sanggah: null,
    skd: null,
    skb: null,
    final: null,
    nip: null,
    warnings: input.warnings,
    decisions: [],
  };
  let skdSignal: SkdResultSignal | undefined;
  let selection: SkbSelectionSignal | undefined;
  let skbScore: SkbScoreSignal | undefined;
  let finalSignal: FinalResultSignal | undefined;
  let verified = false;
  let sanggahAnswered = false;
  let drh: Record<string, unknown> | undefined;
  let scheduleVersion = 0;
  /** Where the open sanggah window begins: a fixed instant, or (administrasi, patched) the announcement as HR last set it. */
  let sanggahOpens: () => number = () => 0;
  const sanggahWindowEnd = (): number => sanggahOpens() + input.schedule.sanggahDays * DAY;
  let sanggahFiling = false;
  let answering = false;
  let verifying = false;
  let drhSubmitting = false;
  let documentsWriting = 0;

  const ctx = { registrationNo: input.registrationNo, roundId: input.roundId };
  const decide = (what: string, who: string, why?: string): void =>
    void s.decisions.push({ what, who, when: iso(), ...(why ? { why } : {}) });
  const setStage = (stage: CandidateStage): void => {
    s.stage = stage;
    upsertSearchAttributes([{ key: stageAttr, value: stage }]);
  };
  const end = async (outcome: CandidateOutcome, why: string): Promise<CandidateStatus> => {
    s.outcome = outcome;
    decide(`selesai: ${outcome}`, 'sistem', why);
    setStage('ended');
    await db.recordStage({ ...ctx, stage: 'ended', outcome, reason: why, at: iso() });
    return s;
  };
  /**
   * When a deadline's timer fires, the round's record is asked whether HR moved it: the round
   * writes an extension before anything else and its notice reaches the candidates after the jobs
   * queued before it (a whole round's results, minutes at full size), so an extension made near
   * the deadline must not depend on the notice. The answer updates this candidate's copy.
   */
  const confirmWith =
    (key: 'registrationCloses' | 'announcementAt' | 'drhDeadline', instant: () => number) =>
    async (): Promise<number | undefined> => {
      if (!patched(CONFIRM_PATCH)) return undefined;
      const recorded = await db.roundDeadline({ roundId: input.roundId, key });
      if (recorded && instantMs(recorded) > instantMs(schedule[key] as string)) schedule[key] = recorded as never;
      return instant();
    };
  /** Sleeps until a schedule instant; wakes early when the round moves that deadline. */
  const until = async (
    key: 'registrationCloses' | 'drhDeadline',
    done: () => boolean = () => false,
  ): Promise<boolean> => {
    const instant = (): number => instantMs(schedule[key] as string);
    if (patched(DEADLINE_PATCH)) return waitForDeadline(instant, done, confirmWith(key, instant));
    // Before DEADLINE_PATCH (kept for the candidates already running): decided on the clock.
    for (;;) {
      const wait = instantMs(schedule[key] as string) - now();
      if (done()) return true;
      if (wait <= 0) return false;
      const v = scheduleVersion;
      await condition(() => done() || scheduleVersion !== v, wait);
    }
  };
  /**
   * A deadline that passed while a message accepted before it was still being written (both
   * handled in one task after a worker restart) waits for that write instead of deciding without
   * it: the reviewer's decision, the sanggah, the documents or the DRH counts. Rare, so the patch
   * marker is written only when it happens.
   */
  const settled = async (writing: boolean, done: () => boolean): Promise<boolean> => {
    if (!writing || !patched(IN_FLIGHT_PATCH)) return false;
    await condition(done);
    return true;
  };
  /** Assigns a reviewer task; a silent reviewer is replaced by another at the deadline, never an automatic decision. */
  const review = async (
    kind: 'verification' | 'sanggah',
    stage: string,
    firstDue: number,
    decided: () => boolean,
    inFlight: () => boolean,
  ): Promise<void> => {
    const tried: string[] = [];
    let due = firstDue;
    for (let attempt = 1; ; attempt++) {
      const task = await db.assignTask({ ...ctx, kind, stage, attempt, exclude: tried, dueAt: iso(due), at: iso() });
      s.reviewer = task.reviewer;
      s.deadlines[`${kind}Reviewer`] = iso(due);
      tried.push(task.reviewer);
      if (attempt > 1)
        decide(`eskalasi ${kind} ke ${task.reviewer}`, 'sistem', `peninjau sebelumnya tidak memutus sebelum tenggat`);
      if (await condition(decided, Math.max(due - now(), 1))) return;
      if (await settled(inFlight(), decided)) return;
      due = now() + input.reviewerSlaDays * DAY;
    }
  };

  setHandler(candidateStatusQuery, () => s);
  setHandler(scheduleChangedSignal, (sig) => {
    if (seen.has(sig.phaseKey)) return;
    seen.add(sig.phaseKey);
    schedule[sig.key] = sig.to as never;
    scheduleVersion += 1;
    if (s.stage === 'sanggah' && s.deadlines.sanggah) s.deadlines.sanggah = iso(sanggahWindowEnd());
  });
  setHandler(skdResultSignal, (sig) => {
    if (seen.has(sig.phaseKey) && !sig.correction) return;
    seen.add(sig.phaseKey);
    skdSignal = sig;
  });
  setHandler(skbSelectionSignal, (sig) => {
    if (seen.has(sig.phaseKey)) return;
    seen.add(sig.phaseKey);
    selection = sig;
  });
  setHandler(skbScoreSignal, (sig) => {
    if (seen.has(sig.phaseKey)) return;
    seen.add(sig.phaseKey);
    skbScore = sig;
  });
  setHandler(finalResultSignal, (sig) => {
    if (seen.has(sig.phaseKey)) return;
    seen.add(sig.phaseKey);
    finalSignal = sig;
  });

  setHandler(
    submitDocumentsUpdate,
    async ({ documents }) => {
      documentsWriting += 1;
      await db.recordDocumentsSubmitted({ ...ctx, documents, at: iso() });
      documentsWriting -= 1;
      s.documents = documents;
      decide('unggah dokumen', 'pelamar', documents.map((d) => d.kind).join(', '));
      return s;
    },
    {
      validator: ({ documents }: { documents: DocumentRef[] }) => {
        if (s.stage !== 'documents') reject('WRONG_STAGE', 'Pengiriman dokumen sudah ditutup untuk pendaftaran ini');
        if (now() >= instantMs(schedule.registrationCloses)) reject('WINDOW_CLOSED', 'Masa pendaftaran telah berakhir');
        const kinds = documents.map((d) => d.kind);
        const missing = input.requiredDocuments.filter((k) => !kinds.includes(k));
        if (missing.length) reject('DOCUMENTS_INCOMPLETE', `Dokumen wajib belum lengkap: ${missing.join(', ')}`);
        if (new Set(kinds).size !== kinds.length)
          reject('DOCUMENTS_INCOMPLETE', 'Setiap jenis dokumen hanya boleh satu');
      },
    },
  );

  setHandler(
    verifyDocumentsUpdate,
    async ({ reviewer, decisions }) => {
      const result = decisions.every((d) => d.result === 'MS') ? 'MS' : 'TMS';
      verifying = true;
      await db.recordVerification({ ...ctx, stage: 'administrasi', result, reviewer, decisions, at: iso() });
      s.administrasi = result;
      const reasons = decisions
        .filter((d) => d.result === 'TMS')
        .map((d) => `${d.kind}: ${d.reason}`)
        .join('; ');
      decide(`verifikasi administrasi: ${result}`, reviewer, reasons || undefined);
      verified = true;
      return s;
    },
    {
      validator: ({ reviewer, decisions }: { reviewer: string; decisions: DocumentDecision[] }) => {
        if (s.stage !== 'verification' || verified || verifying)
          reject('WRONG_STAGE', 'Pendaftaran ini tidak sedang dalam verifikasi administrasi');
        if (reviewer !== s.reviewer) reject('NOT_ASSIGNED', 'Tugas verifikasi ini tidak ditugaskan kepada Anda');
        const submitted = s.documents.map((d) => d.kind).sort();
        const decided = decisions.map((d) => d.kind).sort();
        if (submitted.join() !== decided.join())
          reject('INVALID_DECISION', `Setiap dokumen harus diputus tepat satu kali: ${submitted.join(', ')}`);
        for (const d of decisions)
          if (d.result === 'TMS' && !d.reason?.trim()) reject('INVALID_DECISION', `Alasan TMS wajib untuk ${d.kind}`);
      },
    },
  );

  setHandler(
    fileSanggahUpdate,
    async ({ reason }) => {
      // The main routine waits on s.sanggah: set it only after the write, so replay sees the same order.
      const filedAt = iso();
      sanggahFiling = true;
      await db.recordSanggahFiled({ ...ctx, stage: currentSanggahStage, reason, at: filedAt });
      s.sanggah = { stage: currentSanggahStage, reason, filedAt, accepted: null, answer: null };
      decide(`sanggah ${s.sanggah.stage} diajukan`, 'pelamar', reason);
      return s;
    },
    {
      validator: ({ reason }) => {
        if (s.sanggah?.filedAt || sanggahFiling) reject('ALREADY_APPEALED', 'Sanggah hanya dapat diajukan satu kali');
        if (s.stage !== 'sanggah')
          reject('NOT_ELIGIBLE_FOR_SANGGAH', 'Tidak ada keputusan yang dapat disanggah pada tahap ini');
        if (now() < sanggahOpens()) reject('WINDOW_CLOSED', 'Masa sanggah belum dibuka (menunggu pengumuman)');
        if (now() >= sanggahWindowEnd()) reject('WINDOW_CLOSED', 'Masa sanggah telah berakhir');
        // The limits live in domain/sanggah.ts (the API schema and the portal use the same numbers).
        const invalid = checkSanggahReason(reason)[0];
        if (invalid) reject('INVALID_SANGGAH', invalid.message);
      },
    },
  );

  setHandler(
    answerSanggahUpdate,
    async ({ reviewer, accepted, answer }) => {
      const sg = s.sanggah!;
      answering = true;
      await db.recordSanggahAnswer({ ...ctx, stage: sg.stage, reviewer, accepted, answer, at: iso() });
      sg.accepted = accepted;
      sg.answer = answer;
      decide(`jawab sanggah ${sg.stage}: ${accepted ? 'diterima' : 'ditolak'}`, reviewer, answer);
      sanggahAnswered = true;
      return s;
    },
    {
      validator: ({ reviewer, answer }) => {
        if (s.stage !== 'sanggah' || !s.sanggah?.filedAt)
          reject('WRONG_STAGE', 'Tidak ada sanggah yang menunggu jawaban');
        if (s.sanggah.accepted !== null || sanggahAnswered || answering)
          reject('ALREADY_DECIDED', 'Sanggah ini sudah dijawab');
        if (reviewer !== s.reviewer) reject('NOT_ASSIGNED', 'Tugas jawab sanggah ini tidak ditugaskan kepada Anda');
        if (!answer?.trim()) reject('INVALID_DECISION', 'Jawaban sanggah wajib disertai alasan');
      },
    },
  );

  setHandler(
    submitDrhUpdate,
    async ({ drh: data }) => {
      drhSubmitting = true;
      await db.recordDrh({ ...ctx, drh: data, at: iso() });
      decide('DRH diisi', 'pelamar');
      drh = data;
      return s;
    },
    {
      validator: ({ drh: data }) => {
        if (s.stage !== 'appointment' || drh || drhSubmitting)
          reject('WRONG_STAGE', 'DRH tidak sedang dibuka untuk pendaftaran ini');
        if (now() >= instantMs(schedule.drhDeadline)) reject('WINDOW_CLOSED', 'Batas waktu pengisian DRH telah lewat');
        if (!data || typeof data !== 'object' || Object.keys(data).length === 0)
          reject('INVALID_DRH', 'DRH tidak boleh kosong');
      },
    },
  );

  let currentSanggahStage: SanggahStage = 'administrasi';
  /** Opens a sanggah window; returns true when an appeal was filed and accepted. */
  const sanggah = async (stage: SanggahStage, opensAt: number): Promise<boolean> => {
    currentSanggahStage = stage;
    // The administrasi window opens with the announcement: when HR postpones the announcement
    // (before it is made) the window moves with it, so no one's window ends before they are told.
    const follows = stage === 'administrasi' && patched(SANGGAH_WINDOW_PATCH);
    sanggahOpens = follows ? () => instantMs(schedule.announcementAt) : () => opensAt;
    s.sanggah = null;
    sanggahFiling = false;
    answering = false;
    sanggahAnswered = false;
    s.deadlines.sanggah = iso(sanggahWindowEnd());
    setStage('sanggah');
    await db.recordStage({ ...ctx, stage: 'sanggah', at: iso() });
    const inTime = follows
      ? await waitForDeadline(
          sanggahWindowEnd,
          () => s.sanggah !== null,
          confirmWith('announcementAt', sanggahWindowEnd),
        )
      : await condition(() => s.sanggah !== null, Math.max(sanggahWindowEnd() - now(), 1));
    const filed = inTime || (await settled(sanggahFiling, () => s.sanggah !== null));
    if (!filed) return false;
    await review(
      'sanggah',
      stage,
      Math.max(sanggahWindowEnd(), now()) + input.schedule.jawabSanggahDays * DAY,
      () => sanggahAnswered,
      () => answering,
    );
    return s.sanggah!.accepted === true;
  };

  // 1. Documents, until registration closes (resubmission allowed until then).
  await until('registrationCloses');
  if (s.documents.length === 0) await settled(documentsWriting > 0, () => s.documents.length > 0);
  if (s.documents.length === 0) return end('documents_missing', 'dokumen tidak dikirim sampai pendaftaran ditutup');

  // 2. Administrative check by an assigned reviewer, escalated when silent.
  setStage('verification');
  await review(
    'verification',
    'administrasi',
    Math.max(instantMs(schedule.verificationDeadline), now() + DAY),
    () => verified,
    () => verifying,
  );

  // 3. Announcement and sanggah.
  if (s.administrasi === 'TMS') {
    const accepted =
      input.sanggahStages.includes('administrasi') &&
      (await sanggah('administrasi', instantMs(schedule.announcementAt)));
    if (!accepted) return end('tms', 'tidak memenuhi syarat administrasi');
    s.administrasi = 'MS';
  }

  // 4. SKD (last year's score reused when flagged).
  setStage('awaiting_skd');
  for (;;) {
    const reused = input.reusedSkd;
    if (!reused) await condition(() => skdSignal !== undefined);
    if (!reused && skdSignal!.absent) return end('skd_failed', 'tidak hadir pada SKD');
    const scores = reused ?? skdSignal!.scores;
    const outcome = skdOutcome(scores, input.category, input.passingGrades);
    s.skd = { ...scores, total: skdTotal(scores), passed: outcome.passed, reusedFromYear: reused?.fromYear ?? null };
    decide(
      `SKD ${outcome.passed ? 'memenuhi' : 'tidak memenuhi'} nilai ambang batas`,
      'sistem',
      outcome.checks.map((c) => `${c.rule.toUpperCase()} ${c.value}/${c.minimum}`).join(', '),
    );
    await db.recordSkd({
      ...ctx,
      scores,
      passed: outcome.passed,
      passingGroup: outcome.group,
      reusedFromYear: reused?.fromYear ?? null,
      at: iso(),
    });
    if (outcome.passed) break;
    if (!input.sanggahStages.includes('skd') || reused) return end('skd_failed', 'nilai SKD di bawah ambang batas');
    skdSignal = undefined;
    if (!(await sanggah('skd', now()))) return end('skd_failed', 'nilai SKD di bawah ambang batas');
    setStage('awaiting_skd'); // an accepted SKD appeal waits for the corrected score
  }

  // 5. SKB selection (from the round's ranking) and score.
  setStage('awaiting_skb_selection');
  await condition(() => selection !== undefined);
  s.skb = { selected: selection!.selected, skdRank: selection!.skdRank, score: null };
  decide(
    selection!.selected ? 'lolos ke SKB' : 'tidak lolos ke SKB',
    'sistem',
    selection!.skdRank ? `peringkat SKD ${selection!.skdRank}` : undefined,
  );
  await db.recordSkbSelection({ ...ctx, selected: selection!.selected, skdRank: selection!.skdRank, at: iso() });
  if (!selection!.selected) return end('not_selected_for_skb', 'di luar 3 × kuota formasi');

  setStage('awaiting_skb_score');
  await condition(() => skbScore !== undefined);
  if (skbScore!.absent) return end('tidak_lulus', 'tidak hadir pada SKB');
  s.skb.score = skbScore!.score;
  await db.recordSkbScore({ ...ctx, score: skbScore!.score, at: iso() });

  // 6. Final result (with a sanggah when the round opens one).
  setStage('awaiting_final');
  for (;;) {
    await condition(() => finalSignal !== undefined);
    const f = finalSignal!;
    s.final = { result: f.result, score: f.display, rank: f.rank, placementFormationId: f.placementFormationId };
    decide(`hasil akhir: ${f.result}`, 'sistem', `nilai integrasi ${f.display}, peringkat ${f.rank}`);
    await db.recordFinal({ ...ctx, result: f, at: iso() });
    if (f.result !== 'tidak_lulus') break;
    if (!input.sanggahStages.includes('final')) return end('tidak_lulus', `peringkat ${f.rank}`);
    finalSignal = undefined;
    if (!(await sanggah('final', now()))) return end('tidak_lulus', `peringkat ${f.rank}`);
    setStage('awaiting_final'); // accepted: marked for re-announcement, waits for the corrected result
  }

  // 7. Appointment: DRH before its deadline, then NIP and SK.
  setStage('appointment');
  s.deadlines.drh = schedule.drhDeadline;
  const drhIn =
    (await until('drhDeadline', () => drh !== undefined)) || (await settled(drhSubmitting, () => drh !== undefined));
  if (!drhIn) return end('drh_missed', 'DRH tidak diisi sampai batas waktu (gugur)');
  const appointment = await db.appoint({
    ...ctx,
    formationId: s.final!.placementFormationId ?? input.formationId,
    usulDate: iso().slice(0, 10),
    at: iso(),
  });
  s.nip = appointment.nip;
  decide(`NIP ditetapkan ${appointment.nip}, SK CPNS ${appointment.skNumber}`, 'sistem', `TMT ${appointment.tmt}`);
  s.outcome = 'appointed';
  setStage('appointed');
  return s;
}
