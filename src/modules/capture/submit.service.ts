import { sql } from 'kysely';
import { sha256 } from '../../shared/crypto.js';
import { type Executor, prepared, type Trx } from '../../shared/db/index.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { type Lane, notifyIfIdle } from '../../shared/jobs/index.js';
import { recordAudit } from '../audit/index.js';
import {
  newContactConsentParts,
  type RequestConsentsInput,
  type RequestedPurpose,
  requestConsents,
} from '../consent/index.js';
import {
  type ActivityInput,
  activityParts,
  type ContactFields,
  findContactById,
  newContactParts,
  recordActivity,
  upsertContactByEmail,
} from '../contacts/index.js';
import { enqueueMessage } from '../mail/index.js';
import { type Bant, bantAnswerOf, recordBantAnswers } from '../scoring/index.js';
import { isSuppressed } from '../suppression/index.js';
import {
  type BucketRow,
  bucketParts,
  clientKey,
  globalScope,
  hitBuckets,
  tripBreaker,
  workspaceScope,
} from './abuse.js';
import { verifyFormSolution } from './altcha.js';
import { renderAssetMail } from './asset-mail.js';
import { findAssetById } from './assets.repository.js';
import { assetDownloadUrl } from './assets.service.js';
import type { CaptureContext, LiveForm } from './capture-context.js';
import { BANT_FIELD_OF, CONTACT_FIELD_OF, type FieldDef, type FormDefinition } from './form-definition.js';
import { type FormRow, findFormBySlug, findFormVersion } from './forms.repository.js';
import { findWorkspaceShortLink } from './short-links.repository.js';
import { checkTimeTrapToken, openProfileToken } from './signed-tokens.js';
import { channelOf, type FieldProblem, parseSubmission } from './submission-input.js';
import { answeredKeys, insertSubmission, submissionInsertPart } from './submissions.repository.js';

/** Where a submission came from. The API path is a server relaying its own visitor's sign-up. */
export type SubmissionVia = 'hosted' | 'embed' | 'html' | 'api';

export interface SubmitInput {
  via: SubmissionVia;
  body: unknown;
  ip: string;
  userAgent: string | null;
  /** The Origin header, when the browser sent one. */
  origin: string | undefined;
  /** This server's origin as the request reached it (scheme and Host): same-origin posts are ours. */
  selfOrigin?: string | undefined;
}

/**
 * What happened, for logs, metrics and tests. Never shown to the person: every outcome gets the
 * same neutral answer, so nobody can learn whether an address is known, confirmed or suppressed.
 */
export type SubmitOutcome =
  | 'doi-mail-queued'
  | 'already-confirmed'
  | 'rate-limited'
  | 'suppressed'
  | 'no-consent-requested'
  | 'asset-mail-queued'
  | 'asset-mail-limited'
  | 'held'
  | 'dropped:honeypot'
  | 'dropped:time-trap'
  | 'dropped:proof-of-work'
  | 'dropped:ip-limit';

/** Reads a form by slug (briefly cached) and its published version (immutable, cached for good). */
export async function liveFormBySlug(ctx: CaptureContext, slug: string): Promise<LiveForm | undefined> {
  const hit = ctx.formCache.get(slug);
  const nowMs = Date.now();
  if (hit && nowMs - hit.at < ctx.options.formCacheMs) return hit.live ?? undefined;
  const form = await findFormBySlug(ctx.deps.db, slug);
  const live = await liveVersionOf(ctx, form);
  if (ctx.formCache.size > 5000) ctx.formCache.clear();
  ctx.formCache.set(slug, { at: nowMs, live: live ?? null });
  return live;
}

export async function liveVersionOf(
  ctx: CaptureContext,
  form: FormRow | undefined,
): Promise<LiveForm | undefined> {
  if (!form || form.archived_at || !form.published_version) return undefined;
  const v = await findFormVersion(ctx.deps.db, form.workspace_id, form.id, form.published_version);
  if (!v) return undefined;
  return { form, version: v.version, definition: v.definition as FormDefinition };
}

/** Origins allowed to post to a form: our own, and the ones the form lists. */
export function originAllowed(
  ctx: CaptureContext,
  form: FormRow,
  origin: string | undefined,
  selfOrigin?: string,
): boolean {
  if (!origin) return true;
  const o = origin.toLowerCase();
  if (o === new URL(ctx.deps.config.publicUrl).origin || o === selfOrigin?.toLowerCase()) return true;
  return form.allowed_origins.includes(o);
}

/**
 * The fields this person is asked. A progressive form asks a recognised contact (profiling token
 * from our own mail) only what it does not know yet, plus the next one or two from its queue; an
 * unknown visitor gets the form without the queue.
 */
export async function visibleFields(
  ctx: CaptureContext,
  live: LiveForm,
  profileToken: string | undefined,
): Promise<{ fields: FieldDef[]; contactId: string | null }> {
  const def = live.definition;
  if (!def.progressive.enabled) return { fields: def.fields, contactId: null };
  const queue = new Set(def.progressive.queue);
  const base = def.fields.filter((f) => !queue.has(f.key));
  const who = openProfileToken(ctx.deps.config.secretKey, profileToken, ctx.deps.clock.now());
  if (!who || who.workspaceId !== live.form.workspace_id) return { fields: base, contactId: null };
  const contact = await findContactById(ctx.deps.db, who.workspaceId, who.contactId);
  if (!contact) return { fields: base, contactId: null };
  const answered = await answeredKeys(ctx.deps.db, who.workspaceId, contact.id);
  const known = (f: FieldDef) => {
    const column = CONTACT_FIELD_OF[f.type];
    if (column) {
      const dbColumn = column.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as keyof typeof contact;
      if (contact[dbColumn] !== null && contact[dbColumn] !== undefined) return true;
    }
    return answered.has(f.key);
  };
  const next = def.progressive.queue
    .map((k) => def.fields.find((f) => f.key === k))
    .filter((f): f is FieldDef => !!f && !known(f))
    .slice(0, def.progressive.perVisit);
  const nextKeys = new Set(next.map((f) => f.key));
  return {
    fields: def.fields.filter(
      (f) => f.type === 'email' || nextKeys.has(f.key) || (!queue.has(f.key) && !known(f)),
    ),
    contactId: contact.id,
  };
}

function invalidInput(problems: FieldProblem[]): AppError {
  return new AppError('FORM_INPUT_INVALID', { fields: problems });
}

/**
 * Takes one submission from the public (or a server relaying one): validates it, runs the abuse
 * checks, and — in one transaction — upserts the contact, stores the submission with its
 * attribution and form version, requests the ticked consents (double opt-in mail queued by the
 * consent module), and records the activity. Throws only for bad input (FORM_INPUT_INVALID), an
 * unknown form or a foreign origin; every other outcome is returned for logging and must be
 * answered with the same neutral response.
 */
export async function submitForm(
  ctx: CaptureContext,
  live: LiveForm,
  input: SubmitInput,
): Promise<{ outcome: SubmitOutcome; submissionId?: string; contactId?: string }> {
  const { deps, options } = ctx;
  const { form, definition: def } = live;
  const now = deps.clock.now();
  if (!originAllowed(ctx, form, input.origin, input.selfOrigin))
    throw new AppError('FORM_ORIGIN_NOT_ALLOWED');

  const raw = (input.body && typeof input.body === 'object' ? input.body : {}) as Record<string, unknown>;
  const profileToken = typeof raw.lw === 'string' ? raw.lw : undefined;
  const shown = await visibleFields(ctx, live, profileToken);
  const parsed = parseSubmission(def, input.body, shown.fields);
  if (!parsed.ok) throw invalidInput(parsed.problems);
  const s = parsed.value;

  if (input.via !== 'api') {
    if (s.honeypot) return { outcome: 'dropped:honeypot' };
    const trap = checkTimeTrapToken(deps.config.secretKey, s.timeToken, form.id, now, options.timeTrap);
    if (trap !== 'ok') return { outcome: 'dropped:time-trap' };
  }
  if (options.powEnabled && def.proofOfWork) {
    const pow = await verifyFormSolution(
      deps.db,
      deps.config.secretKey,
      options.pow,
      form.id,
      s.powPayload,
      now,
    );
    if (pow !== 'ok') return { outcome: 'dropped:proof-of-work' };
  }

  // A recognised contact may skip what we know only for its own address; anyone else who uses
  // the link is asked the whole form.
  if (shown.contactId) {
    const c = await findContactById(deps.db, form.workspace_id, shown.contactId);
    if (!c || c.email_normalized !== normalizeEmail(s.email)) {
      const strict = parseSubmission(def, input.body, (await visibleFields(ctx, live, undefined)).fields);
      if (!strict.ok) throw invalidInput(strict.problems);
    }
  }

  const ticked = def.consents.filter((b) => s.consentKeys.includes(b.key));
  const locale = s.locale && def.locales.includes(s.locale) ? s.locale : def.defaultLocale;
  const purposes: RequestedPurpose[] = ticked.map((b) => ({
    purpose: b.purpose,
    consentText: b.text[locale],
    consentTextVersion: b.textVersion,
  }));

  let shortLink: { id: string; channel: string; utm: Record<string, string> } | undefined;
  if (s.attribution.shortLinkCode) {
    const link = await findWorkspaceShortLink(deps.db, form.workspace_id, s.attribution.shortLinkCode);
    if (link && !link.disabled_at) shortLink = { id: link.id, channel: link.channel, utm: link.utm };
  }
  const a = {
    ...s.attribution,
    utmSource: s.attribution.utmSource ?? shortLink?.utm.utm_source ?? null,
    utmMedium: s.attribution.utmMedium ?? shortLink?.utm.utm_medium ?? null,
    utmCampaign: s.attribution.utmCampaign ?? shortLink?.utm.utm_campaign ?? null,
    utmTerm: s.attribution.utmTerm ?? shortLink?.utm.utm_term ?? null,
    utmContent: s.attribution.utmContent ?? shortLink?.utm.utm_content ?? null,
  };
  const channel = channelOf(form.kind, a, shortLink?.channel ?? null, new URL(deps.config.publicUrl).origin);
  const asset = def.assetId ? await findAssetById(deps.db, form.workspace_id, def.assetId) : undefined;

  const contactFields: ContactFields = { locale, sourceChannel: channel };
  for (const f of def.fields) {
    const column = CONTACT_FIELD_OF[f.type] as keyof ContactFields | undefined;
    const value = s.answers[f.key];
    if (column && value) (contactFields as Record<string, unknown>)[column] = value;
  }
  // Qualification answers (BANT questions of the form) go to scoring with the form as their source.
  const bant: Bant = {};
  for (const f of def.fields) {
    const field = BANT_FIELD_OF[f.type];
    const value = s.answers[f.key];
    if (field && value) Object.assign(bant, bantAnswerOf(field, value));
  }
  const hasBant = Object.keys(bant).length > 0;
  const submissionId = newId();
  const submissionRow = (contactId: string, outcome: SubmitOutcome, hold: boolean) => ({
    id: submissionId,
    workspace_id: form.workspace_id,
    form_id: form.id,
    form_version: live.version,
    contact_id: contactId,
    submitted_at: now,
    via: input.via,
    answers: { ...s.answers, ...s.hidden },
    purposes: purposes.map((p) => p.purpose),
    channel,
    utm_source: a.utmSource,
    utm_medium: a.utmMedium,
    utm_campaign: a.utmCampaign,
    utm_term: a.utmTerm,
    utm_content: a.utmContent,
    referrer: a.referrer,
    landing_url: a.landingUrl,
    coupon_code: form.kind === 'contest' ? null : s.code,
    contest_code: form.kind === 'contest' ? s.code : null,
    short_link_id: shortLink?.id ?? null,
    locale,
    ip: input.ip,
    user_agent: input.userAgent?.slice(0, 500) ?? null,
    outcome,
    held_at: hold ? now : null,
    released_at: null,
  });
  const activity = (contactId: string): ActivityInput => ({
    workspaceId: form.workspace_id,
    contactId,
    type: 'capture.form-submitted',
    occurredAt: now,
    data: {
      formId: form.id,
      formName: form.name,
      formVersion: live.version,
      channel,
      ...(a.utmCampaign ? { campaign: a.utmCampaign } : {}),
      purposes: purposes.map((p) => p.purpose),
    },
    source: `form:${form.id}`,
    ref: `form:${form.id}`,
  });
  const consentInput = (contactId: string, email: string): RequestConsentsInput => ({
    workspaceId: form.workspace_id,
    contactId,
    email,
    locale,
    purposes,
    form: {
      id: form.id,
      version: live.version,
      pageUrl: a.landingUrl,
      privacyNoticeVersion: def.privacyNoticeVersion,
    },
    ip: input.ip,
    userAgent: input.userAgent,
    ...(asset
      ? {
          asset: {
            id: asset.id,
            title: asset.title,
            url: assetDownloadUrl(deps, { workspaceId: form.workspace_id, contactId, assetId: asset.id }),
          },
        }
      : {}),
  });

  // Limits on confirmation mails: per client, per form, per workspace, for the installation.
  const l = options.limits;
  const ipKey = `capture:ip:${clientKey(input.ip)}`;
  const formKey = `capture:form:${form.id}`;
  const wsKey = `capture:ws:${form.workspace_id}`;
  const globalKey = 'capture:global';
  const limits = bucketParts(
    now,
    [
      { key: ipKey, limit: l.perIp },
      { key: formKey, limit: l.perForm },
      { key: wsKey, limit: l.perWorkspace },
      { key: globalKey, limit: l.global },
    ],
    [globalScope, workspaceScope(form.workspace_id)],
  );
  let counted: { over: Set<string>; openScopes: Set<string> };
  if (purposes.length > 0 && options.fastPath && !hasBant) {
    // The common case in one statement: a new address, within every limit, not suppressed, no
    // recent confirmation mail, its company (if any) known — contact, submission, consent request
    // with its ledger entries, confirmation job and activity are written at once; otherwise only
    // the limit counters, and the general way below decides with the counts this statement made.
    const fast = await fastSignup(deps.db, {
      limits,
      consent: (id) => consentInput(id, s.email.trim()),
      email: s.email,
      workspaceId: form.workspace_id,
      contactFields,
      now,
      submission: (id) => submissionRow(id, 'doi-mail-queued', false),
      activity,
    });
    if (fast.contactId) return { outcome: 'doi-mail-queued', submissionId, contactId: fast.contactId };
    counted = fast.counted;
  } else {
    counted = limits.read(
      (await sql<BucketRow>`WITH ${limits.ctes} SELECT * FROM limits`.execute(deps.db)).rows,
    );
  }
  const { over, openScopes } = counted;
  if (over.has(ipKey)) return { outcome: 'dropped:ip-limit' };
  let hold = false;
  if (over.has(globalKey) || over.has(wsKey) || over.has(formKey)) {
    hold = true;
    const scope = over.has(globalKey) ? globalScope : workspaceScope(form.workspace_id);
    const reason = over.has(globalKey)
      ? 'global-limit'
      : over.has(wsKey)
        ? 'workspace-limit'
        : `form-limit:${form.slug}`;
    const fresh = await tripBreaker(deps.db, {
      scope,
      workspaceId: scope === globalScope ? null : form.workspace_id,
      reason,
      now,
      minutes: l.breakerMinutes,
    });
    if (fresh) {
      deps.log.warn({ event: 'capture.circuit-opened', scope, reason }, 'confirmation mails paused');
      await recordAudit(deps.db, systemActorFor('capture'), {
        workspaceId: scope === globalScope ? null : form.workspace_id,
        action: 'capture.circuit-opened',
        targetType: 'form',
        targetId: form.id,
        details: { scope, reason, minutes: l.breakerMinutes },
      });
    }
  } else if (openScopes.size > 0) {
    hold = true;
  }

  return deps.db.transaction().execute(async (trx) => {
    const { contact, created } = await upsertContactByEmail(
      trx,
      form.workspace_id,
      s.email,
      contactFields,
      now,
    );
    let outcome: SubmitOutcome = hold ? 'held' : 'no-consent-requested';
    if (!hold && purposes.length > 0) {
      const result = await requestConsents(trx, deps, {
        ...consentInput(contact.id, s.email),
        createdContact: created ? contact : undefined,
      });
      outcome = result.outcome;
    } else if (!hold && asset) {
      outcome = await deliverAssetByMail(ctx, trx, {
        workspaceId: form.workspace_id,
        contactId: contact.id,
        email: contact.email,
        locale,
        asset,
        sender: def.controller.name,
        submissionId,
        now,
      });
    }
    await insertSubmission(trx, submissionRow(contact.id, outcome, hold));
    await recordActivity(trx, activity(contact.id));
    if (hasBant)
      await recordBantAnswers(trx, deps, {
        workspaceId: form.workspace_id,
        contactId: contact.id,
        answers: bant,
        source: 'form',
        sourceRef: `form:${form.id}`,
      });
    return { outcome, submissionId, contactId: contact.id };
  });
}

/**
 * The sign-up fast path: one statement (atomic on its own, no BEGIN/COMMIT) that counts the
 * limits and, when the case needs no decision, writes the whole sign-up exactly as the general way
 * would; see docs/practices/capture.md, "Performance".
 */
async function fastSignup(
  db: Executor,
  input: {
    limits: ReturnType<typeof bucketParts>;
    consent: (contactId: string) => RequestConsentsInput;
    email: string;
    workspaceId: string;
    contactFields: ContactFields;
    now: Date;
    submission: (contactId: string) => Parameters<typeof submissionInsertPart>[0];
    activity: (contactId: string) => ActivityInput;
  },
): Promise<{ contactId?: string; counted: { over: Set<string>; openScopes: Set<string> } }> {
  const c = newContactParts(input.workspaceId, input.email, input.contactFields, input.now);
  const consent = newContactConsentParts(input.consent(c.id), input.now);
  const act = activityParts(input.activity(c.id));
  const created = sql<boolean>`EXISTS (SELECT 1 FROM c)`;
  const writes = [...consent.writes('c'), submissionInsertPart(input.submission(c.id), created)];
  const deliveries = act.deliveries('act');
  const lanes = [...new Set([consent.lane, ...act.lanes])];
  // Prepared: planning this statement cost more than running it (src/shared/db/prepared.ts).
  const result = await prepared(sql<BucketRow & { created: boolean }>`WITH ${input.limits.ctes},
    ${c.ctes(sql<boolean>`${input.limits.withinLimits} AND ${consent.ready}`)},
    ${sql.join(
      writes.map((w, i) => sql`${sql.ref(`w${i}`)} AS (${w})`),
      sql`, `,
    )},
    act AS (${act.insert(created)})${deliveries ? sql`, dl AS (${deliveries})` : sql``}
    SELECT l.kind, l.bucket, l.hits, l.lim, ${created} AS created FROM limits l
    UNION ALL SELECT 'wake', concat(${sql.join(
      lanes.map((lane) => notifyIfIdle(lane as Lane, input.now)),
      sql`, `,
    )}), 0, 0, TRUE WHERE ${created}`).execute(db);
  const rows = result.rows;
  const counted = input.limits.read(rows.filter((r) => r.kind === 'hit' || r.kind === 'open'));
  return rows.some((r) => r.created) ? { contactId: c.id, counted } : { counted };
}

function systemActorFor(label: string) {
  return { userId: null, apiKeyId: null, label, ip: null, userAgent: null, requestId: null };
}

/**
 * Gated content without a ticked consent box: the download link goes to the address in a
 * transactional mail (only the owner of the address gets it, which is all delivery needs). Limited
 * per address (3 per 24 hours), never to a suppressed address, ad-free.
 */
async function deliverAssetByMail(
  ctx: CaptureContext,
  trx: Trx,
  input: {
    workspaceId: string;
    contactId: string;
    email: string;
    locale: 'de' | 'en';
    asset: { id: string; title: string };
    sender: string;
    submissionId: string;
    now: Date;
  },
): Promise<SubmitOutcome> {
  if (await isSuppressed(trx, input.workspaceId, input.email)) return 'asset-mail-limited';
  const key = `capture:asset-mail:${sha256(`${input.workspaceId}:${normalizeEmail(input.email)}`)}`;
  const { over } = await hitBuckets(trx, input.now, [{ key, limit: ASSET_MAIL_LIMIT }]);
  if (over.has(key)) return 'asset-mail-limited';
  const url = assetDownloadUrl(ctx.deps, {
    workspaceId: input.workspaceId,
    contactId: input.contactId,
    assetId: input.asset.id,
  });
  await enqueueMessage(trx, ctx.deps, {
    workspaceId: input.workspaceId,
    kind: 'transactional',
    contactId: input.contactId,
    to: input.email,
    locale: input.locale,
    content: renderAssetMail({ locale: input.locale, title: input.asset.title, url, sender: input.sender }),
    lane: 'critical',
    idempotencyKey: `capture-asset:${input.submissionId}`,
  });
  return 'asset-mail-queued';
}

const ASSET_MAIL_LIMIT = { limit: 3, windowSeconds: 24 * 3600 };
