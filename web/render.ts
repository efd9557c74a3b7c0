import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ROOT } from '../config';
import type { User } from '../db/users';

/**
 * Server-rendered pages: Eta templates in web/views (autoescaping on: `<%= %>` escapes, `<%~ %>`
 * is raw and only for HTML the code built itself, e.g. a rendered partial), one layout.
 * Resolved from the repository root, so the same files serve from source and from dist/.
 */
export const WEB_ROOT = join(ROOT, 'web');
export const STATIC_DIR = join(WEB_ROOT, 'static');

export const eta = new Eta({
  views: join(WEB_ROOT, 'views'),
  autoEscape: true,
  autoTrim: false,
  cache: process.env.NODE_ENV === 'production',
  defaultExtension: '.eta',
});

/** Static files with a content hash, so the layout links `?v=<hash>` and browsers cache them for a year. */
export const ASSETS: ReadonlyMap<string, string> = new Map(
  readdirSync(STATIC_DIR).map((f) => [
    f,
    createHash('sha256')
      .update(readFileSync(join(STATIC_DIR, f)))
      .digest('hex')
      .slice(0, 12),
  ]),
);

export interface SiteConfig {
  /** The agency's name in the header and titles (configuration: ASN_AGENCY_NAME). */
  agencyName: string;
  /** Where users reach the portal, for links in e-mails (ASN_PUBLIC_URL). */
  publicUrl: string;
  /** The URL prefix of every page (`/portal`). */
  prefix: string;
  /** Secure cookies (production). */
  secureCookies: boolean;
  sessionTtlMs: number;
}

export interface PageLocals {
  /** The page's <title> and <h1>. */
  title: string;
  /** Breadcrumb trail above the heading: [label, href] pairs; the page itself is not listed. */
  crumbs?: [string, string][];
  [key: string]: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on portal routes by web/plugin.ts. */
    site: SiteConfig;
  }
}

/** Fixed notices shown by a page from `?info=<code>` after a redirect (no reflected text). */
export const NOTICES: Record<string, string> = {
  'akun-dibuat': 'Akun dibuat. Kami mengirim tautan konfirmasi ke e-mail Anda; buka tautan itu sebelum masuk.',
  terkonfirmasi: 'E-mail Anda sudah dikonfirmasi. Silakan masuk.',
  keluar: 'Anda sudah keluar.',
  'tautan-terkirim':
    'Jika e-mail itu terdaftar, kami sudah mengirim tautan untuk mengatur ulang kata sandi. Tautan berlaku 1 jam.',
  'sandi-diubah': 'Kata sandi sudah diganti. Silakan masuk dengan kata sandi baru.',
  masuk: 'Anda sudah masuk.',
  'tautan-konfirmasi':
    'Jika akun dengan e-mail itu belum dikonfirmasi, kami sudah mengirim tautan konfirmasi yang baru.',
  'komentar-terkirim': 'Terima kasih, tanggapan Anda sudah diterima.',
  'ganti-sandi-awal': 'Ganti kata sandi awal yang diberikan SDM sebelum memakai konsol.',
  'sandi-diganti': 'Kata sandi Anda sudah diganti.',
  'pengguna-dibuat': 'Pengguna dibuat dengan kata sandi awal; petugas wajib menggantinya saat pertama masuk.',
  'pengguna-nonaktif': 'Pengguna dinonaktifkan; semua token dan sesinya dicabut.',
  'pengguna-aktif': 'Pengguna diaktifkan kembali.',
  'sandi-awal-diatur': 'Kata sandi awal baru diatur; sesi pengguna itu berakhir dan ia wajib menggantinya saat masuk.',
  'keputusan-tersimpan': 'Keputusan tersimpan. Ini tugas Anda berikutnya.',
  'seleksi-dibuat': 'Seleksi dibuat; alur kerjanya berjalan dan setiap fase dimulai tepat pada waktunya.',
  'tenggat-diperpanjang': 'Tenggat diperpanjang dan tercatat di log audit.',
  'keputusan-tersimpan-habis': 'Keputusan tersimpan. Tidak ada tugas terbuka lagi.',
  'komentar-disembunyikan': 'Komentar disembunyikan dari halaman publik; tetap tersimpan dan tercatat di log audit.',
  'komentar-ditampilkan': 'Komentar ditampilkan kembali di halaman publik; tercatat di log audit.',
  'tanggapan-tersimpan': 'Tanggapan resmi tersimpan dan tampil di bawah komentar pada halaman publik.',
  'kriteria-ditetapkan': 'Kriteria ditetapkan bersama tanggapan atas konsultasi publik; tercatat di log audit.',
};

/** Renders a page inside the layout. Every page gets `site`, `user`, `csrf` (a token for its forms), `asset()` and `url()`. */
export function renderPage(
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  locals: PageLocals,
  status = 200,
): FastifyReply {
  const site = req.site;
  const info =
    typeof (req.query as Record<string, unknown> | undefined)?.info === 'string'
      ? NOTICES[(req.query as Record<string, string>).info!]
      : undefined;
  const data = {
    ...locals,
    site,
    user: req.user as User | null,
    csrf: reply.generateCsrf(),
    info,
    path: req.url.split('?')[0],
    url: (p: string): string => `${site.prefix}${p}`,
    asset: (f: string): string => `${site.prefix}/static/${f}?v=${ASSETS.get(f) ?? '0'}`,
  };
  const html = eta.render(view, data);
  return reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}
