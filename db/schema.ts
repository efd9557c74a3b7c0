import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** The typed PostgreSQL schema (kept in step with db/migrations). */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface RoundsTable {
  round_id: string;
  name: string;
  agency: string;
  budget_year: number;
  config: Json<unknown>;
  phase: string;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FormationsTable {
  round_id: string;
  formation_id: string;
  unit: string;
  jabatan: string;
  education_level: string;
  education_key: string;
  quota: number;
  category: string;
  skb_max: number;
}

export interface AuditLogTable {
  id: Generated<string>;
  chain: string;
  seq: number;
  idempotency_key: string;
  actor: string;
  action: string;
  subject: string;
  reason: string | null;
  payload: Json<unknown>;
  occurred_at: Timestamp;
  prev_hash: string;
  hash: string;
}

export interface UsersTable {
  user_id: Generated<string>;
  username: string;
  display_name: string;
  role: string;
  token_hash: string;
  registration_no: string | null;
  created_at: Timestamp;
  disabled: Generated<boolean>;
}

export interface Database {
  rounds: RoundsTable;
  formations: FormationsTable;
  audit_log: AuditLogTable;
  users: UsersTable;
}

export type RoundRow = Selectable<RoundsTable>;
export type NewFormation = Insertable<FormationsTable>;
