import { type Insertable, type RawBuilder, sql } from 'kysely';
import { sha256 } from '../../shared/crypto.js';
import type { Executor } from '../../shared/db/index.js';
import type {
  Consent,
  ConsentEventsTable,
  ConsentStatus,
  ConsentToken,
  ConsentTokenKind,
  Contact,
} from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';

/** The workspace's consent settings (the defaults when it never changed them). */
export interface ConsentSettingsValues {
  optInTokenTtlHours: number;
  unconfirmedRetentionDays: number;
  proofRetentionDays: number;
}

export const DEFAULT_CONSENT_SETTINGS: ConsentSettingsValues = {
  optInTokenTtlHours: 72,
  unconfirmedRetentionDays: 14,
  proofRetentionDays: 1095,
};

export async function findConsentSettings(db: Executor, workspaceId: string): Promise<ConsentSettingsValues> {
  const row = await db
    .selectFrom('consent_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) return { ...DEFAULT_CONSENT_SETTINGS };
  return {
    optInTokenTtlHours: row.opt_in_token_ttl_hours,
    unconfirmedRetentionDays: row.unconfirmed_retention_days,
    proofRetentionDays: row.proof_retention_days,
  };
}

export async function upsertConsentSettings(
  db: Executor,
  workspaceId: string,
  values: ConsentSettingsValues,
  now: Date,
): Promise<void> {
  const row = {
    opt_in_token_ttl_hours: values.optInTokenTtlHours,
    unconfirmed_retention_days: values.unconfirmedRetentionDays,
    proof_retention_days: values.proofRetentionDays,
    updated_at: now,
  };
  await db
    .insertInto('consent_settings')
    .values({ workspace_id: workspaceId, ...row })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet(row))
    .execute();
}

/** The contact (read only). */
export async function findContact(
  db: Executor,
  workspaceId: string,
  contactId: string,
): Promise<Contact | undefined> {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
}

/** The contact, locked for the rest of the transaction: one consent change per contact at a time. */
export async function lockContact(
  trx: Executor,
  workspaceId: string,
  contactId: string,
): Promise<Contact | undefined> {
  return trx
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .forUpdate()
    .executeTakeFirst();
}

export async function findConsents(db: Executor, workspaceId: string, contactId: string): Promise<Consent[]> {
  return db
    .selectFrom('consents')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('purpose')
    .execute();
}

/** Sets a consent to pending for a new request (callers never pass a confirmed one). */
export async function markConsentPending(
  trx: Executor,
  workspaceId: string,
  contactId: string,
  purpose: string,
  now: Date,
): Promise<void> {
  await trx
    .insertInto('consents')
    .values({
      workspace_id: workspaceId,
      contact_id: contactId,
      purpose,
      status: 'pending',
      requested_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'contact_id', 'purpose'])
        .doUpdateSet({ status: 'pending', requested_at: now, updated_at: now })
        // Belt and braces: a confirmed consent is never downgraded by a new request.
        .where('consents.status', '!=', 'confirmed'),
    )
    .execute();
}

/** Moves a consent to a new status, with the time of that status. */
export async function setConsentStatus(
  trx: Executor,
  workspaceId: string,
  contactId: string,
  purpose: string,
  status: ConsentStatus,
  now: Date,
  legalBasis?: 'consent' | 'existing_customer',
): Promise<void> {
  const times =
    status === 'confirmed'
      ? { confirmed_at: now, withdrawn_at: null }
      : status === 'withdrawn'
        ? { withdrawn_at: now }
        : status === 'pending'
          ? { requested_at: now }
          : {};
  await trx
    .insertInto('consents')
    .values({
      workspace_id: workspaceId,
      contact_id: contactId,
      purpose,
      status,
      ...(legalBasis ? { legal_basis: legalBasis } : {}),
      requested_at: status === 'pending' ? now : null,
      confirmed_at: status === 'confirmed' ? now : null,
      withdrawn_at: status === 'withdrawn' ? now : null,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'contact_id', 'purpose']).doUpdateSet({
        status,
        ...times,
        ...(legalBasis ? { legal_basis: legalBasis } : {}),
        updated_at: now,
      }),
    )
    .execute();
}

export async function insertConsentToken(
  trx: Executor,
  row: {
    id: string;
    workspaceId: string;
    contactId: string;
    kind: ConsentTokenKind;
    selector?: string | null;
    verifierHash?: string | null;
    purposes: string[];
    locale: 'de' | 'en';
    formId?: string | null;
    formVersion?: number | null;
    asset?: { id: string; title: string; url?: string } | null;
    createdAt: Date;
    expiresAt: Date | null;
  },
): Promise<ConsentToken> {
  return trx
    .insertInto('consent_tokens')
    .values({
      id: row.id,
      workspace_id: row.workspaceId,
      contact_id: row.contactId,
      kind: row.kind,
      selector: row.selector ?? null,
      verifier_hash: row.verifierHash ?? null,
      purposes: JSON.stringify(row.purposes),
      locale: row.locale,
      form_id: row.formId ?? null,
      form_version: row.formVersion ?? null,
      asset: row.asset ? JSON.stringify(row.asset) : null,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findConsentTokenById(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<ConsentToken | undefined> {
  return db
    .selectFrom('consent_tokens')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * What the confirmation-mail job needs, in one statement: the request, its contact's address, the
 * workspace's name and its retention of unconfirmed requests (the default when it set none).
 */
export async function findOptInMailInput(
  db: Executor,
  workspaceId: string,
  tokenId: string,
): Promise<
  | {
      request: ConsentToken;
      contact: { id: string; email: string } | null;
      workspaceName: string | null;
      unconfirmedRetentionDays: number;
    }
  | undefined
> {
  const row = await db
    .selectFrom('consent_tokens as t')
    .leftJoin('contacts as c', (j) =>
      j.onRef('c.id', '=', 't.contact_id').onRef('c.workspace_id', '=', 't.workspace_id'),
    )
    .leftJoin('workspaces as w', 'w.id', 't.workspace_id')
    .leftJoin('consent_settings as s', 's.workspace_id', 't.workspace_id')
    .selectAll('t')
    .select([
      'c.id as c_id',
      'c.email as c_email',
      'w.name as w_name',
      's.unconfirmed_retention_days as s_retention',
    ])
    .where('t.workspace_id', '=', workspaceId)
    .where('t.id', '=', tokenId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { c_id, c_email, w_name, s_retention, ...request } = row;
  return {
    request: request as ConsentToken,
    contact: c_id && c_email ? { id: c_id, email: c_email } : null,
    workspaceName: w_name ?? null,
    unconfirmedRetentionDays: s_retention ?? DEFAULT_CONSENT_SETTINGS.unconfirmedRetentionDays,
  };
}

/** `findOptInMailInput` for many requests at once (a batch of opt-in mail jobs): one query, by token id. */
export async function findOptInMailInputs(
  db: Executor,
  requests: readonly { workspaceId: string; tokenId: string }[],
): Promise<Map<string, NonNullable<Awaited<ReturnType<typeof findOptInMailInput>>>>> {
  const out = new Map<string, NonNullable<Awaited<ReturnType<typeof findOptInMailInput>>>>();
  if (requests.length === 0) return out;
  const rows = await db
    .selectFrom('consent_tokens as t')
    .leftJoin('contacts as c', (j) =>
      j.onRef('c.id', '=', 't.contact_id').onRef('c.workspace_id', '=', 't.workspace_id'),
    )
    .leftJoin('workspaces as w', 'w.id', 't.workspace_id')
    .leftJoin('consent_settings as s', 's.workspace_id', 't.workspace_id')
    .selectAll('t')
    .select([
      'c.id as c_id',
      'c.email as c_email',
      'w.name as w_name',
      's.unconfirmed_retention_days as s_retention',
    ])
    .where('t.workspace_id', 'in', [...new Set(requests.map((r) => r.workspaceId))])
    .where('t.id', 'in', [...new Set(requests.map((r) => r.tokenId))])
    .execute();
  const wanted = new Set(requests.map((r) => `${r.workspaceId}:${r.tokenId}`));
  for (const row of rows) {
    // Scoped per pair: a token id named with another workspace is not found.
    if (!wanted.has(`${row.workspace_id}:${row.id}`)) continue;
    const { c_id, c_email, w_name, s_retention, ...request } = row;
    out.set(row.id, {
      request: request as ConsentToken,
      contact: c_id && c_email ? { id: c_id, email: c_email } : null,
      workspaceName: w_name ?? null,
      unconfirmedRetentionDays: s_retention ?? DEFAULT_CONSENT_SETTINGS.unconfirmedRetentionDays,
    });
  }
  return out;
}

/** `setTokenMailed` for many requests of one workspace in one statement. */
export async function setTokensMailed(
  trx: Executor,
  workspaceId: string,
  values: readonly { id: string; selector: string; verifierHash: string; messageId: string }[],
  queuedAt: Date,
): Promise<void> {
  if (values.length === 0) return;
  const data = JSON.stringify(
    values.map((v) => ({
      id: v.id,
      selector: v.selector,
      verifier_hash: v.verifierHash,
      message_id: v.messageId,
    })),
  );
  await sql`
    UPDATE consent_tokens AS t
       SET selector = d.selector, verifier_hash = d.verifier_hash, message_id = d.message_id,
           mail_queued_at = ${queuedAt}
      FROM jsonb_to_recordset(${data}::jsonb) AS d(id uuid, selector text, verifier_hash text, message_id uuid)
     WHERE t.workspace_id = ${workspaceId} AND t.id = d.id`.execute(trx);
}

/** The token row behind a link's selector; the caller checks the verifier. Not workspace-scoped: the link is the only key. */
export async function findConsentTokenBySelector(
  db: Executor,
  selector: string,
  options: { forUpdate?: boolean } = {},
): Promise<ConsentToken | undefined> {
  const query = db.selectFrom('consent_tokens').selectAll().where('selector', '=', selector);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** Gives an opt-in request its link secret and records the message that carries it. */
export async function setTokenMailed(
  trx: Executor,
  workspaceId: string,
  id: string,
  values: { selector: string; verifierHash: string; messageId: string; queuedAt: Date },
): Promise<void> {
  await trx
    .updateTable('consent_tokens')
    .set({
      selector: values.selector,
      verifier_hash: values.verifierHash,
      message_id: values.messageId,
      mail_queued_at: values.queuedAt,
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
}

export async function markTokenUsed(
  trx: Executor,
  workspaceId: string,
  id: string,
  now: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable('consent_tokens')
    .set({ used_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The form of an address in the mail log: a hash per workspace, never the address itself. */
export function mailLogHash(workspaceId: string, email: string): string {
  return sha256(`consent-mail-log:${workspaceId}:${normalizeEmail(email) ?? email.trim().toLowerCase()}`);
}

/** Notes one confirmation mail or notice for an address (for the per-address limits). */
export async function logConsentMail(
  trx: Executor,
  workspaceId: string,
  email: string,
  kind: 'opt_in' | 'notice',
  now: Date,
): Promise<void> {
  await trx
    .insertInto('consent_mail_log')
    .values({
      workspace_id: workspaceId,
      address_hash: mailLogHash(workspaceId, email),
      kind,
      created_at: now,
    })
    .execute();
}

/** How many confirmation mails (or notices) an address got since a time — also after a purge. */
export async function countConsentMailsSince(
  db: Executor,
  workspaceId: string,
  email: string,
  kind: 'opt_in' | 'notice',
  since: Date,
): Promise<number> {
  const row = await db
    .selectFrom('consent_mail_log')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('address_hash', '=', mailLogHash(workspaceId, email))
    .where('kind', '=', kind)
    .where('created_at', '>', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function insertNotice(
  trx: Executor,
  row: { id: string; workspaceId: string; contactId: string; locale: 'de' | 'en'; createdAt: Date },
): Promise<void> {
  await trx
    .insertInto('consent_notices')
    .values({
      id: row.id,
      workspace_id: row.workspaceId,
      contact_id: row.contactId,
      locale: row.locale,
      created_at: row.createdAt,
    })
    .execute();
}

export async function setNoticeMailed(
  trx: Executor,
  workspaceId: string,
  id: string,
  messageId: string,
): Promise<void> {
  await trx
    .updateTable('consent_notices')
    .set({ message_id: messageId })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
}

/** The requested events of one opt-in request: what the person saw and ticked, per purpose. */
export async function findRequestEvents(
  db: Executor,
  workspaceId: string,
  contactId: string,
  tokenId: string,
) {
  return db
    .selectFrom('consent_events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('event', '=', 'requested')
    .where('token_ref', '=', tokenId)
    .orderBy('id')
    .execute();
}

/** Locks nothing; used by reports and tests. */
export async function countConsentsByStatus(db: Executor, workspaceId: string) {
  return db
    .selectFrom('consents')
    .select(['status', sql<string>`count(*)`.as('n')])
    .where('workspace_id', '=', workspaceId)
    .groupBy('status')
    .execute();
}

/** What a consent request needs to decide, read in one statement once the contact is locked. */
export interface RequestState {
  suppressed: boolean;
  /** Current status per purpose. */
  statuses: Map<string, ConsentStatus>;
  /** Confirmation mails to the address since each of `optInSince`, in that order. */
  optInMails: number[];
  noticeMails: number;
  optInTokenTtlHours: number;
  /** The hash of the contact's last ledger entry (the next entry chains to it). */
  lastHash: string | null;
}

/**
 * Reads everything `requestConsents` decides on, in one round trip. Call it after the contact row
 * is locked (in an earlier statement: a statement that waits for a row lock keeps the snapshot it
 * started with, so it would not see what the previous holder of the lock wrote).
 */
export async function readRequestState(
  trx: Executor,
  input: {
    workspaceId: string;
    contactId: string;
    email: string;
    suppressed: RawBuilder<boolean>;
    optInSince: Date[];
    noticeSince: Date;
  },
): Promise<RequestState> {
  const hash = mailLogHash(input.workspaceId, input.email);
  const earliest = new Date(
    Math.min(input.noticeSince.getTime(), ...input.optInSince.map((d) => d.getTime())),
  );
  const optIn = input.optInSince.map(
    (since, i) =>
      sql`count(*) FILTER (WHERE kind = 'opt_in' AND created_at > ${since})::int AS ${sql.ref(`o${i}`)}`,
  );
  const r = await sql<{
    suppressed: boolean;
    statuses: Array<[string, ConsentStatus]> | null;
    mails: Record<string, number>;
    ttl: number | null;
    last_hash: string | null;
  }>`SELECT ${input.suppressed} AS suppressed,
    (SELECT json_agg(json_build_array(purpose, status)) FROM consents
      WHERE workspace_id = ${input.workspaceId} AND contact_id = ${input.contactId}) AS statuses,
    (SELECT row_to_json(m) FROM (SELECT ${sql.join(optIn)},
        count(*) FILTER (WHERE kind = 'notice' AND created_at > ${input.noticeSince})::int AS notice
      FROM consent_mail_log WHERE workspace_id = ${input.workspaceId} AND address_hash = ${hash}
        AND created_at > ${earliest}) m) AS mails,
    (SELECT opt_in_token_ttl_hours FROM consent_settings WHERE workspace_id = ${input.workspaceId}) AS ttl,
    (SELECT hash FROM consent_events WHERE workspace_id = ${input.workspaceId}
      AND contact_id = ${input.contactId} ORDER BY id DESC LIMIT 1) AS last_hash`.execute(trx);
  const row = r.rows[0]!;
  const mails = typeof row.mails === 'string' ? JSON.parse(row.mails) : row.mails;
  const statuses = typeof row.statuses === 'string' ? JSON.parse(row.statuses) : row.statuses;
  return {
    suppressed: row.suppressed === true,
    statuses: new Map(statuses ?? []),
    optInMails: input.optInSince.map((_, i) => Number(mails[`o${i}`] ?? 0)),
    noticeMails: Number(mails.notice ?? 0),
    optInTokenTtlHours: row.ttl ?? DEFAULT_CONSENT_SETTINGS.optInTokenTtlHours,
    lastHash: row.last_hash,
  };
}

/**
 * Writes a consent request in one statement: the mail-log entry (for the per-address limits), the
 * opt-in request, the purposes set to pending (a confirmed one is never downgraded) and the
 * `requested` ledger entries, already chained (see `chainConsentEvents`).
 */
export async function writeConsentRequest(
  trx: Executor,
  input: {
    workspaceId: string;
    contactId: string;
    email: string;
    token: Parameters<typeof insertConsentToken>[1];
    purposes: string[];
    events: Array<Insertable<ConsentEventsTable>>;
    now: Date;
  },
): Promise<void> {
  const t = input.token;
  await trx
    .with('log', (db) =>
      db
        .insertInto('consent_mail_log')
        .values({
          workspace_id: input.workspaceId,
          address_hash: mailLogHash(input.workspaceId, input.email),
          kind: 'opt_in',
          created_at: input.now,
        })
        .returning('kind'),
    )
    .with('tok', (db) =>
      db
        .insertInto('consent_tokens')
        .values({
          id: t.id,
          workspace_id: t.workspaceId,
          contact_id: t.contactId,
          kind: t.kind,
          selector: null,
          verifier_hash: null,
          purposes: JSON.stringify(t.purposes),
          locale: t.locale,
          form_id: t.formId ?? null,
          form_version: t.formVersion ?? null,
          asset: t.asset ? JSON.stringify(t.asset) : null,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
        })
        .returning('id'),
    )
    .with('cons', (db) =>
      db
        .insertInto('consents')
        .values(
          input.purposes.map((purpose) => ({
            workspace_id: input.workspaceId,
            contact_id: input.contactId,
            purpose,
            status: 'pending' as const,
            requested_at: input.now,
            updated_at: input.now,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['workspace_id', 'contact_id', 'purpose'])
            .doUpdateSet({ status: 'pending', requested_at: input.now, updated_at: input.now })
            // Belt and braces: a confirmed consent is never downgraded by a new request.
            .where('consents.status', '!=', 'confirmed'),
        )
        .returning('purpose'),
    )
    .insertInto('consent_events')
    .values(input.events)
    .execute();
}
