import { setHandler } from '@temporalio/workflow';
import { checkSanggahReason, instantMs, wording } from '../../domain';
import {
  answerSanggahUpdate,
  candidateStatusQuery,
  fileSanggahUpdate,
  finalResultSignal,
  reject,
  roundAnnouncedSignal,
  scheduleChangedSignal,
  skbScoreSignal,
  skbSelectionSignal,
  skdResultSignal,
  submitDocumentsUpdate,
  submitDrhUpdate,
  verifyDocumentsUpdate,
  type DocumentDecision,
  type DocumentRef,
  type FinalResultSignal,
  type RoundAnnouncedSignal,
  type ScheduleChangedSignal,
  type SkbScoreSignal,
  type SkbSelectionSignal,
  type SkdResultSignal,
} from '../../contracts';
import { type CandidateState, db, decide, iso, now, sanggahWindowEnd } from './state';

/** Runs `f` for a round message the first time its phase key is seen (`again`: a correction is applied anyway). */
const once =
  <T extends { phaseKey: string }>(st: CandidateState, f: (sig: T) => void, again?: (sig: T) => boolean) =>
  (sig: T): void => {
    if (st.seen.has(sig.phaseKey) && !again?.(sig)) return;
    st.seen.add(sig.phaseKey);
    f(sig);
  };

/** The status query and the round's signals: each only records what arrived; the steps act on it. */
function roundMessages(st: CandidateState): void {
  setHandler(candidateStatusQuery, () => st.s);
  setHandler(
    scheduleChangedSignal,
    once<ScheduleChangedSignal>(st, (sig) => void (st.schedule[sig.key] = sig.to as never)),
  );
  setHandler(
    skdResultSignal,
    once<SkdResultSignal>(
      st,
      (sig) => void ((st.skd = sig), (st.skdAt = now())),
      (sig) => !!sig.correction,
    ),
  );
  setHandler(
    skbSelectionSignal,
    once<SkbSelectionSignal>(st, (sig) => void (st.selection = sig)),
  );
  setHandler(
    skbScoreSignal,
    once<SkbScoreSignal>(st, (sig) => void (st.skbScore = sig)),
  );
  setHandler(
    finalResultSignal,
    once<FinalResultSignal>(st, (sig) => void ((st.final = sig), (st.finalAt = now()))),
  );
  setHandler(
    roundAnnouncedSignal,
    once<RoundAnnouncedSignal>(st, (sig) => void (st.announced[sig.announcement] ??= instantMs(sig.at))),
  );
}

/**
 * The candidate's and the reviewers' updates. Each handler changes the state before its first
 * `await` (so the next validator, and a deadline met in the same task, see the decision), then
 * writes it; the main routine waits `allHandlersFinished` before it acts on a decision.
 */
function applicantUpdates(st: CandidateState): void {
  const { s, ctx, input } = st;
  setHandler(
    submitDocumentsUpdate,
    async ({ documents }) => {
      s.documents = documents;
      decide(st, wording.documentsSubmitted(documents.map((d) => d.kind)), 'pelamar');
      await db.recordDocumentsSubmitted({ ...ctx, documents, at: iso() });
      return s;
    },
    {
      validator: ({ documents }: { documents: DocumentRef[] }) => {
        if (s.stage !== 'documents') reject('WRONG_STAGE', 'Pengiriman dokumen sudah ditutup untuk pendaftaran ini');
        if (now() >= instantMs(st.schedule.registrationCloses))
          reject('WINDOW_CLOSED', 'Masa pendaftaran telah berakhir');
        const kinds = documents.map((d) => d.kind);
        const missing = input.requiredDocuments.filter((k) => !kinds.includes(k));
        if (missing.length) reject('DOCUMENTS_INCOMPLETE', `Dokumen wajib belum lengkap: ${missing.join(', ')}`);
        if (new Set(kinds).size !== kinds.length)
          reject('DOCUMENTS_INCOMPLETE', 'Setiap jenis dokumen hanya boleh satu');
      },
    },
  );
  setHandler(
    fileSanggahUpdate,
    async ({ reason }) => {
      const filedAt = iso();
      const stage = st.window.stage;
      s.sanggah = { stage, reason, filedAt, accepted: null, answer: null };
      decide(st, wording.sanggahFiled(stage, reason), 'pelamar');
      await db.recordSanggahFiled({ ...ctx, stage, reason, at: filedAt });
      return s;
    },
    {
      validator: ({ reason }) => {
        if (s.sanggah?.filedAt) reject('ALREADY_APPEALED', 'Sanggah hanya dapat diajukan satu kali');
        if (st.window.stage === 'administrasi' && st.announced.skd_participants !== undefined)
          reject('ANNOUNCED', 'Peserta SKD sudah diumumkan; masa sanggah administrasi telah berakhir');
        if (s.stage !== 'sanggah')
          reject('NOT_ELIGIBLE_FOR_SANGGAH', 'Tidak ada keputusan yang dapat disanggah pada tahap ini');
        const opens = st.window.opens();
        if (opens === undefined || now() < opens)
          reject('WINDOW_CLOSED', 'Masa sanggah belum dibuka (menunggu pengumuman)');
        if (now() >= sanggahWindowEnd(st)) reject('WINDOW_CLOSED', 'Masa sanggah telah berakhir');
        // The limits live in domain/sanggah.ts (the API schema and the portal use the same numbers).
        const invalid = checkSanggahReason(reason)[0];
        if (invalid) reject('INVALID_SANGGAH', invalid.message);
      },
    },
  );
  setHandler(
    submitDrhUpdate,
    async ({ drh }) => {
      st.drh = drh;
      decide(st, wording.drhSubmitted(), 'pelamar');
      await db.recordDrh({ ...ctx, drh, at: iso() });
      return s;
    },
    {
      validator: ({ drh }) => {
        if (s.stage !== 'appointment' || st.drh) reject('WRONG_STAGE', 'DRH tidak sedang dibuka untuk pendaftaran ini');
        if (now() >= instantMs(st.schedule.drhDeadline))
          reject('WINDOW_CLOSED', 'Batas waktu pengisian DRH telah lewat');
        if (!drh || typeof drh !== 'object' || Object.keys(drh).length === 0)
          reject('INVALID_DRH', 'DRH tidak boleh kosong');
      },
    },
  );
}

function reviewerUpdates(st: CandidateState): void {
  const { s, ctx } = st;
  setHandler(
    verifyDocumentsUpdate,
    async ({ reviewer, decisions }) => {
      const result = decisions.every((d) => d.result === 'MS') ? 'MS' : 'TMS';
      s.administrasi = result;
      decide(st, wording.verification(result, decisions), reviewer);
      await db.recordVerification({ ...ctx, stage: 'administrasi', result, reviewer, decisions, at: iso() });
      return s;
    },
    {
      validator: ({ reviewer, decisions }: { reviewer: string; decisions: DocumentDecision[] }) => {
        if (s.stage !== 'verification' || s.administrasi !== null)
          reject('WRONG_STAGE', 'Pendaftaran ini tidak sedang dalam verifikasi administrasi');
        if (st.announced.administrasi !== undefined)
          reject('ANNOUNCED', 'Hasil seleksi administrasi sudah diumumkan; keputusan verifikasi tidak dapat diubah');
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
    answerSanggahUpdate,
    async ({ reviewer, accepted, answer }) => {
      const sg = s.sanggah!;
      sg.accepted = accepted;
      sg.answer = answer;
      decide(st, wording.sanggahAnswered(sg.stage, accepted, answer), reviewer);
      await db.recordSanggahAnswer({ ...ctx, stage: sg.stage, reviewer, accepted, answer, at: iso() });
      return s;
    },
    {
      validator: ({ reviewer, answer }) => {
        if (s.stage !== 'sanggah' || !s.sanggah?.filedAt)
          reject('WRONG_STAGE', 'Tidak ada sanggah yang menunggu jawaban');
        if (s.sanggah.accepted !== null) reject('ALREADY_DECIDED', 'Sanggah ini sudah dijawab');
        if (s.sanggah.stage === 'administrasi' && st.announced.skd_participants !== undefined)
          reject('ANNOUNCED', 'Peserta SKD sudah diumumkan; sanggah administrasi tidak dapat dijawab lagi');
        if (reviewer !== s.reviewer) reject('NOT_ASSIGNED', 'Tugas jawab sanggah ini tidak ditugaskan kepada Anda');
        if (!answer?.trim()) reject('INVALID_DECISION', 'Jawaban sanggah wajib disertai alasan');
      },
    },
  );
}

export function installHandlers(st: CandidateState): void {
  roundMessages(st);
  applicantUpdates(st);
  reviewerUpdates(st);
}
