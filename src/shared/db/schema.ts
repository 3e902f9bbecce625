import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as the code sees it. Each module's tables are declared here too, so that one typed
 * Kysely instance serves every module; the tables themselves are created by migrations only.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp column with a database default. */
type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string | T, string | T>;
/** A JSON column with a database default. */
type JsonDefault<T = unknown> = ColumnType<T, string | T | undefined, string | T>;

export type Role = 'admin' | 'marketing' | 'sales' | 'dpo' | 'viewer';

/** A single-use export download: the SHA-256 of the token, the selection and columns it exports. */
export interface ContactExportTokensTable {
  token_hash: string;
  workspace_id: string;
  user_id: string;
  selection: Json;
  columns: string | null;
  created_at: TimestampDefault;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  /** What the token downloads: a contact export, or the error report of the import target_id. */
  kind: Generated<'contacts' | 'import_report'>;
  target_id: string | null;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  slug: string;
  default_locale: 'de' | 'en';
  /** Days after which a field or consent confirmation counts as stale (30–3650, default 365). */
  stale_after_days: Generated<number>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  locale: 'de' | 'en' | null;
  is_superadmin: Generated<boolean>;
  disabled_at: Timestamp | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface MembershipsTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  created_at: TimestampDefault;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: TimestampDefault;
  last_seen_at: TimestampDefault;
  expires_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: Json<string[]>;
  created_by: string | null;
  created_at: TimestampDefault;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  workspace_id: string | null;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  actor_label: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Json<Record<string, unknown>>;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: TimestampDefault;
}

export type JobState = 'queued' | 'running' | 'dead';

export interface JobsTable {
  id: Generated<string>;
  workspace_id: string | null;
  name: string;
  lane: string;
  priority: Generated<number>;
  payload: Json<Record<string, unknown>>;
  state: Generated<JobState>;
  run_at: Timestamp;
  attempts: Generated<number>;
  max_attempts: number;
  idempotency_key: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
  last_error: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface RateLimitsTable {
  bucket: string;
  window_start: Timestamp;
  hits: number;
  expires_at: Timestamp;
}

export interface ContactsTable {
  id: string;
  workspace_id: string;
  email: string;
  email_normalized: string;
  first_name: string | null;
  last_name: string | null;
  company_name: string | null;
  job_title: string | null;
  phone: string | null;
  country: string | null;
  locale: 'de' | 'en' | null;
  lifecycle_stage: ColumnType<string, string | undefined, string>;
  owner_user_id: string | null;
  custom_fields: JsonDefault<Record<string, unknown>>;
  source_channel: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
  company_id: ColumnType<string | null, string | null | undefined, string | null>;
  city: ColumnType<string | null, string | null | undefined, string | null>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  email_match_key: ColumnType<string | null, string | null | undefined, string | null>;
  merged_into_contact_id: ColumnType<string | null, string | null | undefined, string | null>;
  merged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  quality_score: ColumnType<number | null, number | null | undefined, number | null>;
  quality_reasons: JsonDefault<QualityReason[]>;
  quality_checked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  field_meta: JsonDefault<Record<string, FieldMeta>>;
  reconfirm_requested_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** One reason in a contact's data-quality score. */
export interface QualityReason {
  code: string;
  /** Points taken off (negative) or the weight of a finding. */
  impact: number;
  field?: string;
}

/** Freshness of one contact field: when it was last confirmed, and by which source. */
export interface FieldMeta {
  at: string;
  source: string;
}

export type ConsentStatus = 'pending' | 'confirmed' | 'withdrawn' | 'expired';
export type LegalBasis = 'consent' | 'existing_customer';

export interface ConsentsTable {
  workspace_id: string;
  contact_id: string;
  purpose: string;
  status: ConsentStatus;
  legal_basis: ColumnType<LegalBasis, LegalBasis | undefined, LegalBasis>;
  requested_at: Date | null;
  confirmed_at: Date | null;
  withdrawn_at: Date | null;
  updated_at: TimestampDefault;
}

export type ConsentEventType =
  | 'requested'
  | 'confirmation_sent'
  | 'confirmed'
  | 'withdrawn'
  | 'reconfirmed'
  | 'expired'
  | 'changed_by_admin'
  | 'objected'
  | 'imported';

export interface ConsentEventsTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string | null;
  purpose: string;
  event: ConsentEventType;
  occurred_at: Timestamp;
  email: string;
  form_id: string | null;
  form_version: number | null;
  page_url: string | null;
  consent_text: string | null;
  consent_text_version: string | null;
  privacy_notice_version: string | null;
  checked_boxes: Json<string[]> | null;
  ip: string | null;
  user_agent: string | null;
  message_id: string | null;
  template_id: string | null;
  token_ref: string | null;
  actor_user_id: string | null;
  details: JsonDefault<Record<string, unknown>>;
  prev_hash: string | null;
  hash: string;
}

export interface ConsentSettingsTable {
  workspace_id: string;
  opt_in_token_ttl_hours: ColumnType<number, number | undefined, number>;
  unconfirmed_retention_days: ColumnType<number, number | undefined, number>;
  proof_retention_days: ColumnType<number, number | undefined, number>;
  updated_at: TimestampDefault;
}

export type ConsentTokenKind = 'opt_in' | 'preferences';

export interface ConsentTokensTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  kind: ConsentTokenKind;
  selector: string | null;
  verifier_hash: string | null;
  purposes: Json<string[]>;
  locale: 'de' | 'en';
  form_id: string | null;
  form_version: number | null;
  asset: Json<{ id: string; title: string; url?: string }> | null;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  used_at: Timestamp | null;
  message_id: string | null;
  mail_queued_at: Timestamp | null;
}

export interface ConsentNoticesTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  locale: 'de' | 'en';
  created_at: Timestamp;
  message_id: string | null;
}

export interface ConsentMailLogTable {
  workspace_id: string;
  address_hash: string;
  kind: 'opt_in' | 'notice';
  created_at: Timestamp;
}

export type SuppressionReason =
  | 'unsubscribed'
  | 'hard_bounce'
  | 'soft_bounce_limit'
  | 'complaint'
  | 'objection'
  | 'erasure'
  | 'manual';

export interface SuppressionsTable {
  workspace_id: string;
  email_hash: string;
  reason: SuppressionReason;
  source: string | null;
  note: string | null;
  created_by: string | null;
  created_at: TimestampDefault;
}

/** Scoring (src/modules/scoring): settings, rules, contributions, scores, history, BANT. */
export interface ScoringSettingsTable {
  workspace_id: string;
  settings: JsonDefault<Record<string, unknown>>;
  rules_version: ColumnType<number, number | undefined, number>;
  updated_at: TimestampDefault;
}
export interface ScoringRulesTable {
  id: string;
  workspace_id: string;
  kind: 'fit' | 'engagement';
  name: string;
  definition: ColumnType<Record<string, unknown>, string, string>;
  points: number;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}
export interface ScoreEventsTable {
  workspace_id: string;
  contact_id: string;
  rule_id: string;
  activity_id: string;
  occurred_at: Timestamp;
  points: number;
}
export interface ContactScoresTable {
  workspace_id: string;
  contact_id: string;
  fit: number;
  engagement_static: number;
  engagement_decaying: number;
  computed_at: Timestamp;
  temperature: 'cold' | 'warm' | 'hot';
  temperature_reason: ColumnType<Record<string, unknown>, string, string>;
  explanation: ColumnType<Record<string, unknown>, string, string>;
  rules_version: number;
}
export interface ScoreHistoryTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  at: Timestamp;
  fit: number;
  engagement: number;
  /** The parts of `engagement` as of `at` (NULL: written before they were kept). */
  engagement_static: Generated<number | null>;
  engagement_decaying: Generated<number | null>;
}
export interface StageHistoryTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  from_stage: string | null;
  to_stage: string;
  changed_at: Timestamp;
  cause: string;
  note: string | null;
  activity_id: string | null;
}
export interface BantAnswersTable {
  workspace_id: string;
  contact_id: string;
  field: 'need' | 'budget' | 'authority' | 'timeline';
  value: ColumnType<Record<string, unknown>, string, string>;
  source: 'form' | 'journey' | 'sales_call' | 'import' | 'api';
  source_ref: string | null;
  answered_at: Timestamp;
  answered_by: string | null;
}
export interface ScoringRecomputesTable {
  id: string;
  workspace_id: string;
  state: 'running' | 'done' | 'failed';
  total: number;
  done: ColumnType<number, number | undefined, number>;
  parts: ColumnType<number, number | undefined, number>;
  parts_done: ColumnType<number, number | undefined, number>;
  rules_version: number;
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface ActivitiesTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  /** `module.past-tense`, e.g. `mail.clicked`. */
  type: string;
  occurred_at: Timestamp;
  data: JsonDefault<Record<string, unknown>>;
  source: string | null;
  /** What the activity is about (`asset:<id>`, `form:<id>`, `message:<id>`), for segment conditions. */
  ref: string | null;
  /** The contact it was recorded for; differs from contact_id after a merge (undo moves it back). */
  origin_contact_id: string;
  created_at: TimestampDefault;
}

export interface CompaniesTable {
  id: string;
  workspace_id: string;
  name: string;
  website: string | null;
  industry: string | null;
  size: string | null;
  country: string | null;
  city: string | null;
  phone: string | null;
  description: string | null;
  custom_fields: JsonDefault<Record<string, unknown>>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface CompanyDomainsTable {
  workspace_id: string;
  domain: string;
  company_id: string;
  created_at: TimestampDefault;
}

export type CustomFieldType = 'text' | 'number' | 'date' | 'choice' | 'multi_choice' | 'boolean';

export interface CustomFieldDefinitionsTable {
  workspace_id: string;
  entity: ColumnType<'contact' | 'company', 'contact' | 'company' | undefined, 'contact' | 'company'>;
  key: string;
  label: string;
  type: CustomFieldType;
  options: JsonDefault<{ value: string; label: string }[]>;
  required: ColumnType<boolean, boolean | undefined, boolean>;
  qualification: ColumnType<boolean, boolean | undefined, boolean>;
  position: ColumnType<number, number | undefined, number>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface ContactMergesTable {
  id: string;
  workspace_id: string;
  winner_id: string;
  loser_id: string;
  merged_at: Timestamp;
  merged_by: string | null;
  winner_before: Json<Record<string, unknown>>;
  loser_before: Json<Record<string, unknown>>;
  winner_after: Json<Record<string, unknown>>;
  consents_before: JsonDefault<Record<string, unknown>[]>;
  carried_consents: JsonDefault<Record<string, unknown>[]>;
  moved_activities: ColumnType<number, number | undefined, number>;
  undo_until: Timestamp;
  undone_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  undone_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** Per field, whose value the survivor took (`winner`, `loser`, `both` for tags). */
  choices: JsonDefault<Record<string, string>>;
  /** Segments the loser was a hand-added member of that the survivor joined by the merge. */
  added_memberships: JsonDefault<string[]>;
}

export interface DuplicateDismissalsTable {
  workspace_id: string;
  contact_a: string;
  contact_b: string;
  dismissed_by: string | null;
  created_at: TimestampDefault;
}

export type EmailDomainStatus = 'ok' | 'no_mx' | 'null_mx' | 'not_found' | 'unknown';

export interface EmailDomainsTable {
  domain: string;
  status: EmailDomainStatus;
  mx: JsonDefault<string[]>;
  checked_at: Timestamp;
  expires_at: Timestamp;
}

export interface SegmentsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  definition: Json<unknown>;
  created_by: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface SegmentMembersTable {
  workspace_id: string;
  segment_id: string;
  contact_id: string;
  added_at: TimestampDefault;
}

export type ImportStatus = 'uploaded' | 'staging' | 'staged' | 'applying' | 'done' | 'failed' | 'cancelled';

export interface ImportsTable {
  id: string;
  workspace_id: string;
  created_by: string | null;
  file_name: string;
  file_size: ColumnType<string, number | string | undefined, number | string>;
  status: ImportStatus;
  encoding: ColumnType<string, string | undefined, string>;
  delimiter: ColumnType<string, string | undefined, string>;
  header: JsonDefault<string[]>;
  preview: JsonDefault<string[][]>;
  settings: JsonDefault<Record<string, unknown>>;
  staged_bytes: ColumnType<string, number | string | undefined, number | string>;
  total_rows: ColumnType<number, number | undefined, number>;
  error_rows: ColumnType<number, number | undefined, number>;
  applied_rows: ColumnType<number, number | undefined, number>;
  created_count: ColumnType<number, number | undefined, number>;
  updated_count: ColumnType<number, number | undefined, number>;
  skipped_count: ColumnType<number, number | undefined, number>;
  suppressed_count: ColumnType<number, number | undefined, number>;
  consent_count: ColumnType<number, number | undefined, number>;
  chunk_count: ColumnType<number, number | undefined, number>;
  failure: string | null;
  cancel_requested: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
  finished_at: Timestamp | null;
  /** The dry run the user confirms before the apply (migration 2026-11-24-0300). */
  review: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

export interface ImportFilePartsTable {
  import_id: string;
  seq: number;
  data: Uint8Array;
}

export interface ImportRowsTable {
  import_id: string;
  row_no: number;
  email: string | null;
  email_normalized: string | null;
  email_hash: string | null;
  company_domain: string | null;
  data: JsonDefault<Record<string, unknown>>;
  error: string | null;
  outcome: string | null;
}

export interface ImportChunksTable {
  import_id: string;
  seq: number;
  first_row: number;
  last_row: number;
  applied_at: Timestamp | null;
}

export type FormKind = 'newsletter' | 'gated_content' | 'event' | 'contest' | 'coupon' | 'contact_request';

export interface FormsTable {
  id: string;
  workspace_id: string;
  slug: string;
  name: string;
  kind: FormKind;
  /** The definition being edited (capture's FormDefinition); published copies live in form_versions. */
  draft: Json<Record<string, unknown>>;
  allowed_origins: JsonDefault<string[]>;
  published_version: number | null;
  archived_at: Timestamp | null;
  created_by: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface FormVersionsTable {
  workspace_id: string;
  form_id: string;
  version: number;
  definition: Json<Record<string, unknown>>;
  published_at: Timestamp;
  published_by: string | null;
}

/** What a piece of gated content is (capture_assets.kind; the list is ASSET_KINDS in capture). */
export type AssetKind =
  | 'white-paper'
  | 'checklist'
  | 'guide'
  | 'case-study'
  | 'e-book'
  | 'webinar-recording'
  | 'other';

export interface CaptureAssetsTable {
  id: string;
  workspace_id: string;
  title: string;
  kind: ColumnType<AssetKind, AssetKind | undefined, AssetKind>;
  source: 'file' | 'url';
  url: string | null;
  file_name: string | null;
  content_type: string | null;
  size_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  sha256: string | null;
  created_by: string | null;
  created_at: TimestampDefault;
}

export interface ShortLinksTable {
  id: string;
  workspace_id: string;
  code: string;
  name: string;
  form_id: string | null;
  target_url: string | null;
  channel: string;
  utm: JsonDefault<Record<string, string>>;
  clicks: ColumnType<string, number | undefined, number>;
  disabled_at: Timestamp | null;
  created_by: string | null;
  created_at: TimestampDefault;
}

export interface FormSubmissionsTable {
  id: string;
  workspace_id: string;
  form_id: string;
  form_version: number;
  contact_id: string | null;
  submitted_at: Timestamp;
  via: 'hosted' | 'embed' | 'html' | 'api';
  answers: JsonDefault<Record<string, unknown>>;
  purposes: JsonDefault<string[]>;
  channel: string;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  referrer: string | null;
  landing_url: string | null;
  coupon_code: string | null;
  contest_code: string | null;
  short_link_id: string | null;
  locale: 'de' | 'en';
  ip: string | null;
  user_agent: string | null;
  outcome: string;
  held_at: Timestamp | null;
  released_at: Timestamp | null;
}

export interface FormDailyStatsTable {
  workspace_id: string;
  form_id: string;
  day: ColumnType<string, string, string>;
  views: ColumnType<number, number | undefined, number>;
  submissions: ColumnType<number, number | undefined, number>;
}

export interface CapturePowUsedTable {
  signature: string;
  expires_at: Timestamp;
}

export interface CaptureCircuitBreakersTable {
  scope: string;
  workspace_id: string | null;
  opened_at: Timestamp;
  closes_at: Timestamp;
  reason: string;
  trips: ColumnType<number, number | undefined, number>;
}

export type MailKind = 'transactional' | 'marketing';
export type MessageStatus =
  | 'queued'
  | 'sending'
  | 'deferred'
  | 'sent'
  | 'delivered'
  | 'skipped'
  | 'failed'
  | 'bounced'
  | 'complained';

export interface MailSettingsTable {
  workspace_id: string;
  from_name: ColumnType<string, string | undefined, string>;
  from_email: string | null;
  reply_to: string | null;
  imprint: ColumnType<string, string | undefined, string>;
  logo_url: string | null;
  accent_color: ColumnType<string, string | undefined, string>;
  tracking_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  rate_per_minute: number | null;
  domain_rate_per_minute: number | null;
  domain_rates: JsonDefault<Record<string, number>>;
  soft_bounce_limit: ColumnType<number, number | undefined, number>;
  version: ColumnType<number, number | undefined, number>;
  updated_at: TimestampDefault;
}

export interface MailTemplatesTable {
  id: string;
  workspace_id: string;
  name: string;
  kind: MailKind;
  purpose: string | null;
  version: ColumnType<number, number | undefined, number>;
  created_by: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
  archived_at: Timestamp | null;
}

export interface MailTemplateVariantsTable {
  workspace_id: string;
  template_id: string;
  locale: 'de' | 'en';
  subject: string;
  preheader: ColumnType<string, string | undefined, string>;
  body_mjml: string;
  updated_at: TimestampDefault;
}

export interface MailSendsTable {
  id: string;
  workspace_id: string;
  template_id: string;
  purpose: string;
  status: ColumnType<
    'queued' | 'enqueuing' | 'enqueued' | 'cancelled',
    'queued' | 'enqueuing' | 'enqueued' | 'cancelled' | undefined
  >;
  recipients: ColumnType<number, number | undefined, number>;
  cursor_contact_id: string | null;
  created_by: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface MessagesTable {
  id: string;
  workspace_id: string;
  kind: MailKind;
  purpose: string | null;
  contact_id: string | null;
  to_email: string;
  locale: 'de' | 'en';
  template_id: string | null;
  template_version: number | null;
  variables: Json<Record<string, unknown>> | null;
  content: Json<{ subject: string; html: string; text: string }> | null;
  headers: JsonDefault<Record<string, string>>;
  lane: ColumnType<'critical' | 'default' | 'bulk', 'critical' | 'default' | 'bulk' | undefined>;
  idempotency_key: string | null;
  send_id: ColumnType<string | null, string | null | undefined, string | null>;
  is_test: ColumnType<boolean, boolean | undefined, boolean>;
  status: ColumnType<MessageStatus, MessageStatus | undefined, MessageStatus>;
  status_reason: string | null;
  bounce_type: 'hard' | 'soft' | null;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp | null;
  subject: string | null;
  message_id_header: string | null;
  sending_domain: string | null;
  tracking: ColumnType<boolean, boolean | undefined, boolean>;
  queued_at: TimestampDefault;
  sent_at: Timestamp | null;
  bounced_at: Timestamp | null;
  complained_at: Timestamp | null;
  opened_at: Timestamp | null;
  clicked_at: Timestamp | null;
  open_count: ColumnType<number, number | undefined, number>;
  click_count: ColumnType<number, number | undefined, number>;
  /** When the links in `content` and `variables` were cut to their origin (the message was final). */
  content_redacted_at: Timestamp | null;
  /** How many `message_attachments` rows the message has (0: the send path does not look). */
  attachment_count: ColumnType<number, number | undefined, number>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface MessageEventsTable {
  id: Generated<string>;
  workspace_id: string;
  message_id: string;
  type: string;
  occurred_at: Timestamp;
  data: JsonDefault<Record<string, unknown>>;
}

export interface OutboxMessagesTable {
  id: string;
  workspace_id: string;
  message_id: string | null;
  envelope_from: string;
  envelope_to: string;
  subject: string;
  raw: string;
  created_at: TimestampDefault;
}

export interface SendingDomainsTable {
  id: string;
  workspace_id: string;
  domain: string;
  dkim_selector: string;
  dkim_private_key: string;
  dkim_public_key: string;
  return_path_domain: string;
  created_by: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
  last_checked_at: Timestamp | null;
  last_check: Json<unknown> | null;
}

export interface UnsubscribeTokensTable {
  token_hash: string;
  workspace_id: string;
  contact_id: string;
  purpose: string;
  message_id: string | null;
  created_at: TimestampDefault;
}

export interface MailReportsTable {
  id: string;
  workspace_id: string | null;
  message_id: string | null;
  kind: 'bounce' | 'complaint' | 'delay' | 'unmatched';
  bounce_type: 'hard' | 'soft' | null;
  recipient_hash: string | null;
  status_code: string | null;
  diagnostic: string | null;
  feedback_type: string | null;
  source: 'smtp' | 'upload';
  dedupe_key: string;
  received_at: Timestamp;
}

export type JourneyStatus = 'draft' | 'active' | 'paused' | 'archived';
export type EnrollmentStatus = 'active' | 'waiting' | 'completed' | 'exited' | 'goal';

export interface JourneysTable {
  id: string;
  workspace_id: string;
  name: string;
  status: ColumnType<JourneyStatus, JourneyStatus | undefined, JourneyStatus>;
  draft: Json<Record<string, unknown>>;
  live_version: number | null;
  /** The live version's trigger type, to find the journeys an activity can start. */
  trigger_type: string | null;
  created_by: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface JourneyVersionsTable {
  workspace_id: string;
  journey_id: string;
  version: number;
  definition: Json<Record<string, unknown>>;
  published_at: Timestamp;
  published_by: string | null;
}

export interface JourneyEnrollmentsTable {
  id: string;
  workspace_id: string;
  journey_id: string;
  contact_id: string;
  version: number;
  status: EnrollmentStatus;
  step_id: string | null;
  /** Bumped at every step a contact reaches: a step execution is (enrollment, seq), once. */
  seq: ColumnType<number, number | undefined, number>;
  entered_at: Timestamp;
  step_entered_at: Timestamp;
  wait_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  goals_reached: JsonDefault<string[]>;
  exit_reason: string | null;
  ended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  source: string | null;
  updated_at: Timestamp;
}

export interface JourneyStepRunsTable {
  enrollment_id: string;
  seq: number;
  workspace_id: string;
  journey_id: string;
  step_id: string;
  entered_at: Timestamp;
  completed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  outcome: 'completed' | 'exited' | 'goal' | 'skipped' | null;
  path: string | null;
  detail: JsonDefault<Record<string, unknown>>;
}

// --- sales hand-off (src/modules/sales) ---

/** Weekly working hours: weekday (1 = Monday … 7 = Sunday) → intervals of local "HH:MM" times. */
export type WorkingHours = Partial<Record<'1' | '2' | '3' | '4' | '5' | '6' | '7', [string, string][]>>;

export interface SalesSettingsTable {
  workspace_id: string;
  sla_minutes: ColumnType<number, number | undefined, number>;
  reminder_minutes: ColumnType<number, number | undefined, number>;
  escalation: ColumnType<'reassign' | 'notify_manager', 'reassign' | 'notify_manager' | undefined>;
  timezone: ColumnType<string, string | undefined, string>;
  working_hours: JsonDefault<WorkingHours>;
  webhook_url: ColumnType<string | null, string | null | undefined, string | null>;
  webhook_secret: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: TimestampDefault;
}

export interface SalesRepsTable {
  workspace_id: string;
  user_id: string;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  is_manager: ColumnType<boolean, boolean | undefined, boolean>;
  weight: ColumnType<number, number | undefined, number>;
  capacity: ColumnType<number | null, number | null | undefined, number | null>;
  timezone: ColumnType<string, string | undefined, string>;
  working_hours: JsonDefault<WorkingHours>;
  /** Smooth weighted round robin: the rep's current credit (bigint, read as a string). */
  rr_current: ColumnType<string, string | number | undefined, string | number>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface SalesRepAbsencesTable {
  id: string;
  workspace_id: string;
  user_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  note: string | null;
  created_at: TimestampDefault;
}

export interface SalesTerritoriesTable {
  id: string;
  workspace_id: string;
  name: string;
  priority: ColumnType<number, number | undefined, number>;
  countries: JsonDefault<string[]>;
  postcode_ranges: JsonDefault<{ from: string; to: string }[]>;
  industries: JsonDefault<string[]>;
  company_sizes: JsonDefault<string[]>;
  user_ids: JsonDefault<string[]>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export type SalesLeadStatus = 'unassigned' | 'assigned' | 'accepted' | 'rejected' | 'converted';
export type RejectReason =
  | 'not_a_fit'
  | 'no_budget'
  | 'no_project'
  | 'bad_data'
  | 'already_customer'
  | 'competitor'
  | 'other';

export interface SalesLeadsTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  status: SalesLeadStatus;
  assigned_user_id: string | null;
  assignment_seq: ColumnType<number, number | undefined, number>;
  routed_by: string | null;
  territory_id: string | null;
  cause: string;
  summary: JsonDefault<Record<string, unknown>>;
  assigned_at: Timestamp | null;
  sla_due_at: Timestamp | null;
  reminded_at: Timestamp | null;
  escalated_at: Timestamp | null;
  accepted_at: Timestamp | null;
  rejected_at: Timestamp | null;
  reject_reason: RejectReason | null;
  reject_note: string | null;
  reject_outcome: 'recycled' | 'disqualified' | null;
  converted_at: Timestamp | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface SalesLeadEventsTable {
  id: Generated<string>;
  workspace_id: string;
  lead_id: string;
  kind: string;
  from_user_id: string | null;
  to_user_id: string | null;
  actor_label: string;
  data: JsonDefault<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  workspace_id: string;
  user_id: string;
  kind: string;
  data: JsonDefault<Record<string, unknown>>;
  read_at: Timestamp | null;
  created_at: Timestamp;
}

export interface SalesEventsTable {
  id: Generated<string>;
  workspace_id: string;
  type: string;
  lead_id: string | null;
  contact_id: string | null;
  payload: Json<Record<string, unknown>>;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
  attempts: Generated<number>;
  last_status: number | null;
  last_error: string | null;
}

export interface EventsTable {
  id: string;
  workspace_id: string;
  title: string;
  description: ColumnType<string, string | undefined, string>;
  starts_at: Timestamp;
  ends_at: Timestamp;
  time_zone: string;
  location: string | null;
  online_url: string | null;
  capacity: number | null;
  form_id: string | null;
  /** RFC 5545 SEQUENCE of the calendar entry: raised by every change people should see. */
  sequence: ColumnType<number, number | undefined, number>;
  /** Reminder schedule: minutes before the start. */
  reminder_minutes: JsonDefault<number[]>;
  status: ColumnType<
    'scheduled' | 'cancelled',
    'scheduled' | 'cancelled' | undefined,
    'scheduled' | 'cancelled'
  >;
  created_by: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface EventRegistrationsTable {
  id: string;
  workspace_id: string;
  event_id: string;
  contact_id: string;
  status: 'registered' | 'waitlisted' | 'cancelled';
  registered_at: Timestamp;
  attended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  attended_via: 'manual' | 'csv' | 'check-in' | null;
  source: string | null;
  updated_at: Timestamp;
}

export interface MessageAttachmentsTable {
  message_id: string;
  workspace_id: string;
  position: number;
  filename: string;
  content_type: string;
  content_base64: string;
}

export interface Database {
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
  journey_enrollments: JourneyEnrollmentsTable;
  journey_step_runs: JourneyStepRunsTable;
  events: EventsTable;
  event_registrations: EventRegistrationsTable;
  message_attachments: MessageAttachmentsTable;
  workspaces: WorkspacesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  jobs: JobsTable;
  rate_limits: RateLimitsTable;
  contacts: ContactsTable;
  consents: ConsentsTable;
  consent_events: ConsentEventsTable;
  consent_settings: ConsentSettingsTable;
  consent_tokens: ConsentTokensTable;
  consent_notices: ConsentNoticesTable;
  consent_mail_log: ConsentMailLogTable;
  suppressions: SuppressionsTable;
  activities: ActivitiesTable;
  scoring_settings: ScoringSettingsTable;
  scoring_rules: ScoringRulesTable;
  score_events: ScoreEventsTable;
  contact_scores: ContactScoresTable;
  score_history: ScoreHistoryTable;
  stage_history: StageHistoryTable;
  bant_answers: BantAnswersTable;
  scoring_recomputes: ScoringRecomputesTable;
  companies: CompaniesTable;
  company_domains: CompanyDomainsTable;
  custom_field_definitions: CustomFieldDefinitionsTable;
  contact_merges: ContactMergesTable;
  duplicate_dismissals: DuplicateDismissalsTable;
  email_domains: EmailDomainsTable;
  contact_export_tokens: ContactExportTokensTable;
  segments: SegmentsTable;
  segment_members: SegmentMembersTable;
  imports: ImportsTable;
  import_file_parts: ImportFilePartsTable;
  import_rows: ImportRowsTable;
  import_chunks: ImportChunksTable;
  forms: FormsTable;
  form_versions: FormVersionsTable;
  capture_assets: CaptureAssetsTable;
  short_links: ShortLinksTable;
  form_submissions: FormSubmissionsTable;
  form_daily_stats: FormDailyStatsTable;
  capture_pow_used: CapturePowUsedTable;
  capture_circuit_breakers: CaptureCircuitBreakersTable;
  mail_settings: MailSettingsTable;
  mail_templates: MailTemplatesTable;
  mail_template_variants: MailTemplateVariantsTable;
  mail_sends: MailSendsTable;
  messages: MessagesTable;
  message_events: MessageEventsTable;
  outbox_messages: OutboxMessagesTable;
  sending_domains: SendingDomainsTable;
  unsubscribe_tokens: UnsubscribeTokensTable;
  mail_reports: MailReportsTable;
  sales_settings: SalesSettingsTable;
  sales_reps: SalesRepsTable;
  sales_rep_absences: SalesRepAbsencesTable;
  sales_territories: SalesTerritoriesTable;
  sales_leads: SalesLeadsTable;
  sales_lead_events: SalesLeadEventsTable;
  notifications: NotificationsTable;
  sales_events: SalesEventsTable;
}

export type Contact = Selectable<ContactsTable>;
export type Consent = Selectable<ConsentsTable>;
export type ConsentEvent = Selectable<ConsentEventsTable>;
export type ConsentToken = Selectable<ConsentTokensTable>;
export type ConsentSettings = Selectable<ConsentSettingsTable>;
export type Suppression = Selectable<SuppressionsTable>;
export type Activity = Selectable<ActivitiesTable>;
export type Company = Selectable<CompaniesTable>;
export type CustomFieldDefinition = Selectable<CustomFieldDefinitionsTable>;
export type ContactMerge = Selectable<ContactMergesTable>;
export type Segment = Selectable<SegmentsTable>;
export type Import = Selectable<ImportsTable>;

export type Workspace = Selectable<WorkspacesTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Job = Selectable<JobsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type AuditEntry = Selectable<AuditLogTable>;
