import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import type { MessageStatus } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { actorOf, authOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { findWorkspaceById } from '../workspaces/index.js';
import { listReports, processReport } from './bounces/bounce.service.js';
import { startBulkSend } from './bulk-send.service.js';
import {
  clearOutbox,
  countMessagesByStatus,
  findMessage,
  findOutboxMessage,
  listMessageEvents,
  listMessages,
  listOutbox,
  type Message,
} from './messages.repository.js';
import type { MailRuntime } from './runtime.js';
import { listSendingDomains, type SendingDomain } from './sending-domains.repository.js';
import { addSendingDomain, dnsReport, removeSendingDomain } from './sending-domains.service.js';
import { findMailSettings, type MailSettings } from './settings.repository.js';
import { updateMailSettings } from './settings.service.js';
import {
  findTemplate,
  findTemplateVariants,
  listTemplates,
  type MailTemplate,
  type MailTemplateVariant,
} from './templates.repository.js';
import {
  archiveTemplate,
  createTemplate,
  previewTemplate,
  sendTestMail,
  updateTemplate,
} from './templates.service.js';

/*
 * The mail module's admin API: templates (with preview and test send), bulk sends, the message
 * log, the outbox, sending settings, sending domains with their DNS report, and the upload of
 * bounce and complaint reports. Every route names its permission; every query is scoped by the
 * caller's workspace.
 */

const Locale = Type.Union([Type.Literal('de'), Type.Literal('en')]);
const Kind = Type.Union([Type.Literal('transactional'), Type.Literal('marketing')]);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

const VariantInput = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    preheader: Type.Optional(Type.String({ maxLength: 500 })),
    bodyMjml: Type.String({ maxLength: 500_000 }),
  },
  { additionalProperties: false },
);

const VariantBody = Type.Object({
  locale: Locale,
  subject: Type.String(),
  preheader: Type.String(),
  bodyMjml: Type.String(),
  updatedAt: DateTime,
});

const TemplateBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Kind,
  purpose: Nullable(Type.String()),
  version: Type.Integer(),
  locales: Type.Array(Locale),
  createdAt: DateTime,
  updatedAt: DateTime,
});

const toTemplate = (t: MailTemplate, locales: string[]) => ({
  id: t.id,
  name: t.name,
  kind: t.kind,
  purpose: t.purpose,
  version: t.version,
  locales: locales as ('de' | 'en')[],
  createdAt: t.created_at.toISOString(),
  updatedAt: t.updated_at.toISOString(),
});

const toVariant = (v: MailTemplateVariant) => ({
  locale: v.locale,
  subject: v.subject,
  preheader: v.preheader,
  bodyMjml: v.body_mjml,
  updatedAt: v.updated_at.toISOString(),
});

const STATUSES = [
  'queued',
  'sending',
  'deferred',
  'sent',
  'delivered',
  'skipped',
  'failed',
  'bounced',
  'complained',
];

const MessageBody = Type.Object({
  id: Type.String(),
  kind: Kind,
  purpose: Nullable(Type.String()),
  to: Type.String(),
  locale: Locale,
  contactId: Nullable(Type.String()),
  templateId: Nullable(Type.String()),
  templateName: Nullable(Type.String()),
  sendId: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  status: Type.String({ enum: STATUSES }),
  statusReason: Nullable(Type.String()),
  bounceType: Nullable(Type.String()),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(DateTime),
  isTest: Type.Boolean(),
  tracking: Type.Boolean(),
  messageIdHeader: Nullable(Type.String()),
  createdAt: DateTime,
  sentAt: Nullable(DateTime),
  bouncedAt: Nullable(DateTime),
  complainedAt: Nullable(DateTime),
  openedAt: Nullable(DateTime),
  clickedAt: Nullable(DateTime),
  openCount: Type.Integer(),
  clickCount: Type.Integer(),
  contentRedactedAt: Nullable(DateTime),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toMessage = (m: Message & { template_name?: string | null }) => ({
  id: m.id,
  kind: m.kind,
  purpose: m.purpose,
  to: m.to_email,
  locale: m.locale,
  contactId: m.contact_id,
  templateId: m.template_id,
  templateName: m.template_name ?? null,
  sendId: m.send_id,
  subject: m.subject ?? m.content?.subject ?? null,
  status: m.status,
  statusReason: m.status_reason,
  bounceType: m.bounce_type,
  attempts: m.attempts,
  nextAttemptAt: iso(m.next_attempt_at),
  isTest: m.is_test,
  tracking: m.tracking,
  messageIdHeader: m.message_id_header,
  createdAt: m.created_at.toISOString(),
  sentAt: iso(m.sent_at),
  bouncedAt: iso(m.bounced_at),
  complainedAt: iso(m.complained_at),
  // Opens and clicks exist only for contacts with tracking consent (the columns stay empty otherwise).
  openedAt: iso(m.opened_at),
  clickedAt: iso(m.clicked_at),
  openCount: m.open_count,
  clickCount: m.click_count,
  contentRedactedAt: iso(m.content_redacted_at),
});

const SettingsBody = Type.Object({
  fromName: Type.String(),
  fromEmail: Nullable(Type.String()),
  defaultFrom: Type.String(),
  replyTo: Nullable(Type.String()),
  imprint: Type.String(),
  logoUrl: Nullable(Type.String()),
  accentColor: Type.String(),
  trackingEnabled: Type.Boolean(),
  ratePerMinute: Type.Union([Type.Integer(), Type.Null()]),
  domainRatePerMinute: Type.Union([Type.Integer(), Type.Null()]),
  domainRates: Type.Record(Type.String(), Type.Integer()),
  softBounceLimit: Type.Integer(),
  transport: Type.Union([Type.Literal('outbox'), Type.Literal('smtp')]),
  canSendMarketing: Type.Boolean(),
});

const DomainBody = Type.Object({
  id: Type.String(),
  domain: Type.String(),
  selector: Type.String(),
  returnPathDomain: Type.String(),
  createdAt: DateTime,
  lastCheckedAt: Nullable(DateTime),
});

const toDomain = (d: SendingDomain) => ({
  id: d.id,
  domain: d.domain,
  selector: d.dkim_selector,
  returnPathDomain: d.return_path_domain,
  createdAt: d.created_at.toISOString(),
  lastCheckedAt: iso(d.last_checked_at),
});

const ReportOutcomeBody = Type.Object({
  kind: Type.String(),
  messageId: Nullable(Type.String()),
  actions: Type.Array(Type.String()),
  duplicate: Type.Boolean(),
});

function cursorOf(value: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!value) return undefined;
  const [at, id] = value.split('~');
  const date = new Date(at ?? '');
  if (!id || Number.isNaN(date.getTime())) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'before', message: 'a cursor from a previous page' }],
    });
  }
  return { createdAt: date, id };
}

export function registerMailRoutes(app: FastifyInstance, deps: AppDeps, runtime: () => MailRuntime): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['mail'];

  // ---- templates -------------------------------------------------------------------------

  r.get(
    '/api/v1/mail/templates',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'Mail templates',
        response: { 200: Type.Object({ items: Type.Array(TemplateBody) }) },
      },
    },
    async (request) => ({
      items: (await listTemplates(deps.db, workspaceOf(request))).map((t) => toTemplate(t, t.locales)),
    }),
  );

  r.post(
    '/api/v1/mail/templates',
    {
      config: { permission: 'mail:write' },
      schema: {
        tags,
        summary: 'Create a template (MJML with Liquid placeholders, de and/or en)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            kind: Kind,
            purpose: Type.Optional(Nullable(Type.String({ maxLength: 63 }))),
            variants: Type.Object(
              { de: Type.Optional(VariantInput), en: Type.Optional(VariantInput) },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ template: TemplateBody, variants: Type.Array(VariantBody) }) },
      },
    },
    async (request, reply) => {
      const { template, variants } = await createTemplate(
        deps.db,
        runtime().renderer,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.body,
      );
      return reply.code(201).send({
        template: toTemplate(
          template,
          variants.map((v) => v.locale),
        ),
        variants: variants.map(toVariant),
      });
    },
  );

  r.get(
    '/api/v1/mail/templates/:id',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'A template with its variants',
        params: IdParams,
        response: { 200: Type.Object({ template: TemplateBody, variants: Type.Array(VariantBody) }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const template = await findTemplate(deps.db, ws, request.params.id);
      if (!template || template.archived_at) throw new AppError('MAIL_TEMPLATE_NOT_FOUND');
      const variants = await findTemplateVariants(deps.db, ws, template.id);
      return {
        template: toTemplate(
          template,
          variants.map((v) => v.locale),
        ),
        variants: variants.map(toVariant),
      };
    },
  );

  r.patch(
    '/api/v1/mail/templates/:id',
    {
      config: { permission: 'mail:write' },
      schema: {
        tags,
        summary: 'Change a template; a variant set to null is removed',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            kind: Type.Optional(Kind),
            purpose: Type.Optional(Nullable(Type.String({ maxLength: 63 }))),
            variants: Type.Optional(
              Type.Object(
                {
                  de: Type.Optional(Type.Union([VariantInput, Type.Null()])),
                  en: Type.Optional(Type.Union([VariantInput, Type.Null()])),
                },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ template: TemplateBody, variants: Type.Array(VariantBody) }) },
      },
    },
    async (request) => {
      const { template, variants } = await updateTemplate(
        deps.db,
        runtime().renderer,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body,
      );
      return {
        template: toTemplate(
          template,
          variants.map((v) => v.locale),
        ),
        variants: variants.map(toVariant),
      };
    },
  );

  r.delete(
    '/api/v1/mail/templates/:id',
    {
      config: { permission: 'mail:write' },
      schema: { tags, summary: 'Archive a template', params: IdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await archiveTemplate(deps.db, deps.clock, actorOf(request), workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/mail/preview',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'Render unsaved template text in the workspace layout for a sample contact',
        body: Type.Object(
          {
            kind: Kind,
            locale: Locale,
            subject: Type.String({ maxLength: 500 }),
            preheader: Type.Optional(Type.String({ maxLength: 500 })),
            bodyMjml: Type.String({ maxLength: 500_000 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            subject: Type.String(),
            html: Type.String(),
            text: Type.String(),
            warnings: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() })),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const workspace = await findWorkspaceById(deps.db, ws);
      return previewTemplate(
        deps.db,
        runtime().renderer,
        deps.config.publicUrl,
        ws,
        workspace?.name ?? '',
        request.body,
      );
    },
  );

  r.post(
    '/api/v1/mail/templates/:id/test',
    {
      config: { permission: 'mail:write' },
      schema: {
        tags,
        summary: 'Send the template to yourself (rendered for a sample contact, marked as test)',
        params: IdParams,
        body: Type.Object({ locale: Locale }, { additionalProperties: false }),
        response: { 202: Type.Object({ messageId: Type.String(), to: Type.String() }) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      if (auth.kind !== 'session')
        throw new AppError('FORBIDDEN', { reason: 'a test mail goes to the logged-in user' });
      const to = auth.label;
      const { messageId } = await sendTestMail(deps.db, deps, actorOf(request), workspaceOf(request), {
        templateId: request.params.id,
        locale: request.body.locale,
        to,
      });
      return reply.code(202).send({ messageId, to });
    },
  );

  // ---- bulk sends ------------------------------------------------------------------------

  const SendBody = Type.Object({
    id: Type.String(),
    templateId: Type.String(),
    templateName: Nullable(Type.String()),
    purpose: Type.String(),
    status: Type.String(),
    recipients: Type.Integer(),
    counts: Type.Record(Type.String(), Type.Integer()),
    createdAt: DateTime,
  });

  r.post(
    '/api/v1/mail/templates/:id/send',
    {
      config: { permission: 'mail:write' },
      schema: {
        tags,
        summary: 'Send a marketing template to everyone with a confirmed consent for its purpose',
        params: IdParams,
        response: { 202: Type.Object({ send: SendBody }) },
      },
    },
    async (request, reply) => {
      const send = await startBulkSend(deps.db, deps, actorOf(request), workspaceOf(request), {
        templateId: request.params.id,
      });
      return reply.code(202).send({
        send: {
          id: send.id,
          templateId: send.template_id,
          templateName: null,
          purpose: send.purpose,
          status: send.status,
          recipients: send.recipients,
          counts: {},
          createdAt: send.created_at.toISOString(),
        },
      });
    },
  );

  r.get(
    '/api/v1/mail/sends',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'Bulk sends, newest first, with counts per status',
        response: { 200: Type.Object({ items: Type.Array(SendBody) }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const sends = await deps.db
        .selectFrom('mail_sends as s')
        .leftJoin('mail_templates as t', 't.id', 's.template_id')
        .selectAll('s')
        .select('t.name as template_name')
        .where('s.workspace_id', '=', ws)
        .orderBy('s.created_at', 'desc')
        .limit(50)
        .execute();
      const items = [];
      for (const s of sends) {
        items.push({
          id: s.id,
          templateId: s.template_id,
          templateName: s.template_name,
          purpose: s.purpose,
          status: s.status,
          recipients: s.recipients,
          counts: await countMessagesByStatus(deps.db, ws, s.id),
          createdAt: s.created_at.toISOString(),
        });
      }
      return { items };
    },
  );

  // ---- message log -----------------------------------------------------------------------

  r.get(
    '/api/v1/mail/messages',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'The message log, newest first',
        querystring: Type.Object({
          status: Type.Optional(Type.String({ enum: STATUSES })),
          kind: Type.Optional(Kind),
          contactId: Type.Optional(Type.String({ format: 'uuid' })),
          sendId: Type.Optional(Type.String({ format: 'uuid' })),
          search: Type.Optional(Type.String({ maxLength: 200 })),
          before: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(MessageBody),
            counts: Type.Record(Type.String(), Type.Integer()),
            next: Nullable(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const q = request.query;
      const limit = q.limit ?? 50;
      const rows = await listMessages(deps.db, ws, {
        status: q.status as MessageStatus | undefined,
        kind: q.kind,
        contactId: q.contactId,
        sendId: q.sendId,
        search: q.search,
        before: cursorOf(q.before),
        limit,
      });
      const last = rows[rows.length - 1];
      return {
        items: rows.map(toMessage),
        counts: await countMessagesByStatus(deps.db, ws),
        next: rows.length === limit && last ? `${last.created_at.toISOString()}~${last.id}` : null,
      };
    },
  );

  r.get(
    '/api/v1/mail/messages/:id',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'One message with its history (queued, attempts, outcome, bounces, opens and clicks)',
        params: IdParams,
        response: {
          200: Type.Object({
            message: MessageBody,
            events: Type.Array(
              Type.Object({
                type: Type.String(),
                occurredAt: DateTime,
                data: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
            outboxId: Nullable(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const m = await findMessage(deps.db, ws, request.params.id);
      if (!m) throw new AppError('NOT_FOUND');
      const events = await listMessageEvents(deps.db, ws, m.id);
      const outbox = await deps.db
        .selectFrom('outbox_messages')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('message_id', '=', m.id)
        .executeTakeFirst();
      return {
        message: toMessage(m),
        events: events.map((e) => ({ type: e.type, occurredAt: e.occurred_at.toISOString(), data: e.data })),
        outboxId: outbox?.id ?? null,
      };
    },
  );

  // ---- outbox ----------------------------------------------------------------------------

  const OutboxItem = Type.Object({
    id: Type.String(),
    messageId: Nullable(Type.String()),
    from: Type.String(),
    to: Type.String(),
    subject: Type.String(),
    createdAt: DateTime,
  });

  r.get(
    '/api/v1/mail/outbox',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'The built-in outbox (mail is kept here when SMTP_URL is not set)',
        querystring: Type.Object({
          before: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(OutboxItem),
            next: Nullable(Type.String()),
            transport: Type.String(),
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listOutbox(deps.db, workspaceOf(request), limit, cursorOf(request.query.before));
      const last = rows[rows.length - 1];
      return {
        items: rows.map((o) => ({
          id: o.id,
          messageId: o.message_id,
          from: o.envelope_from,
          to: o.envelope_to,
          subject: o.subject,
          createdAt: o.created_at.toISOString(),
        })),
        next: rows.length === limit && last ? `${last.created_at.toISOString()}~${last.id}` : null,
        transport: deps.config.smtpUrl ? 'smtp' : 'outbox',
      };
    },
  );

  r.get(
    '/api/v1/mail/outbox/:id',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'One mail of the outbox as a mail client shows it: headers, HTML, text, source',
        params: IdParams,
        response: {
          200: Type.Object({
            id: Type.String(),
            messageId: Nullable(Type.String()),
            envelopeFrom: Type.String(),
            envelopeTo: Type.String(),
            subject: Type.String(),
            from: Type.String(),
            to: Type.String(),
            date: Nullable(DateTime),
            headers: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
            html: Nullable(Type.String()),
            text: Nullable(Type.String()),
            raw: Type.String(),
          }),
        },
      },
    },
    async (request) => {
      const o = await findOutboxMessage(deps.db, workspaceOf(request), request.params.id);
      if (!o) throw new AppError('NOT_FOUND');
      const parsed = await simpleParser(o.raw, { skipImageLinks: true, skipTextToHtml: true });
      const headerBlock = o.raw.slice(0, o.raw.search(/\r?\n\r?\n/));
      const headers = headerBlock
        .replace(/\r?\n[ \t]+/g, ' ')
        .split(/\r?\n/)
        .map((line) => ({
          name: line.slice(0, line.indexOf(':')),
          value: line.slice(line.indexOf(':') + 1).trim(),
        }))
        .filter((h) => h.name);
      return {
        id: o.id,
        messageId: o.message_id,
        envelopeFrom: o.envelope_from,
        envelopeTo: o.envelope_to,
        subject: parsed.subject ?? o.subject,
        from: parsed.from?.text ?? '',
        to: Array.isArray(parsed.to) ? parsed.to.map((t) => t.text).join(', ') : (parsed.to?.text ?? ''),
        date: parsed.date?.toISOString() ?? null,
        headers,
        html: typeof parsed.html === 'string' ? parsed.html : null,
        text: parsed.text ?? null,
        raw: o.raw,
      };
    },
  );

  r.delete(
    '/api/v1/mail/outbox',
    {
      config: { permission: 'mail:write' },
      schema: {
        tags,
        summary: 'Empty the outbox',
        response: { 200: Type.Object({ deleted: Type.Integer() }) },
      },
    },
    async (request) => ({ deleted: await clearOutbox(deps.db, workspaceOf(request)) }),
  );

  // ---- settings --------------------------------------------------------------------------

  const toSettings = (s: MailSettings) => ({
    fromName: s.from_name,
    fromEmail: s.from_email,
    defaultFrom: deps.config.mailFrom,
    replyTo: s.reply_to,
    imprint: s.imprint,
    logoUrl: s.logo_url,
    accentColor: s.accent_color,
    trackingEnabled: s.tracking_enabled,
    ratePerMinute: s.rate_per_minute,
    domainRatePerMinute: s.domain_rate_per_minute,
    domainRates: s.domain_rates ?? {},
    softBounceLimit: s.soft_bounce_limit,
    transport: (deps.config.smtpUrl ? 'smtp' : 'outbox') as 'smtp' | 'outbox',
    canSendMarketing: s.imprint.trim().length > 0,
  });

  r.get(
    '/api/v1/mail/settings',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'Sending settings: sender, layout, imprint, tracking, rates',
        response: { 200: Type.Object({ settings: SettingsBody }) },
      },
    },
    async (request) => ({ settings: toSettings(await findMailSettings(deps.db, workspaceOf(request))) }),
  );

  r.put(
    '/api/v1/mail/settings',
    {
      config: { permission: 'workspace:manage' },
      schema: {
        tags,
        summary: 'Change the sending settings',
        body: Type.Object(
          {
            fromName: Type.Optional(Type.String({ maxLength: 200 })),
            fromEmail: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
            replyTo: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
            imprint: Type.Optional(Type.String({ maxLength: 4000 })),
            logoUrl: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
            accentColor: Type.Optional(Type.String({ maxLength: 7 })),
            trackingEnabled: Type.Optional(Type.Boolean()),
            ratePerMinute: Type.Optional(
              Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()]),
            ),
            domainRatePerMinute: Type.Optional(
              Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()]),
            ),
            domainRates: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 1 }))),
            softBounceLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ settings: SettingsBody }) },
      },
    },
    async (request) => ({
      settings: toSettings(
        await updateMailSettings(deps.db, deps.clock, actorOf(request), workspaceOf(request), request.body),
      ),
    }),
  );

  // ---- sending domains -------------------------------------------------------------------

  r.get(
    '/api/v1/mail/domains',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'Sending domains',
        response: { 200: Type.Object({ items: Type.Array(DomainBody) }) },
      },
    },
    async (request) => ({ items: (await listSendingDomains(deps.db, workspaceOf(request))).map(toDomain) }),
  );

  r.post(
    '/api/v1/mail/domains',
    {
      config: { permission: 'workspace:manage' },
      schema: {
        tags,
        summary: 'Add a sending domain: creates its DKIM key (stored encrypted) and VERP return path',
        body: Type.Object(
          {
            domain: Type.String({ minLength: 3, maxLength: 253 }),
            selector: Type.Optional(Type.String({ maxLength: 63 })),
            returnPathDomain: Type.Optional(Type.String({ maxLength: 253 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ domain: DomainBody }) },
      },
    },
    async (request, reply) => {
      const row = await addSendingDomain(
        deps.db,
        deps.clock,
        deps.config.secretKey,
        actorOf(request),
        workspaceOf(request),
        request.body,
      );
      return reply.code(201).send({ domain: toDomain(row) });
    },
  );

  r.delete(
    '/api/v1/mail/domains/:id',
    {
      config: { permission: 'workspace:manage' },
      schema: {
        tags,
        summary: 'Remove a sending domain and its key',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await removeSendingDomain(deps.db, actorOf(request), workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/mail/domains/:id/dns',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'The DNS records the domain needs (SPF, DKIM, DMARC, bounce MX); ?check=true asks DNS now',
        params: IdParams,
        querystring: Type.Object({ check: Type.Optional(Type.Boolean()) }),
        response: {
          200: Type.Object({
            domain: DomainBody,
            checkedAt: Nullable(DateTime),
            records: Type.Array(
              Type.Object({
                purpose: Type.String(),
                type: Type.String(),
                name: Type.String(),
                value: Type.String(),
                found: Type.Array(Type.String()),
                status: Type.String(),
                note: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const smtpHost = deps.config.smtpUrl ? new URL(deps.config.smtpUrl).hostname : undefined;
      const bounceHost =
        deps.config.bounceSmtpPort !== undefined ? new URL(deps.config.publicUrl).hostname : undefined;
      const report = await dnsReport(deps.db, deps.clock, workspaceOf(request), request.params.id, {
        smtpHost,
        bounceHost,
        check: request.query.check ?? false,
      });
      return { domain: toDomain(report.domain), checkedAt: iso(report.checkedAt), records: report.records };
    },
  );

  // ---- bounce and complaint reports ------------------------------------------------------

  app.register(async (scope) => {
    // A report uploaded as it is (message/rfc822 or text/plain), up to 2 MB.
    for (const type of ['message/rfc822', 'text/plain']) {
      scope.addContentTypeParser(
        type,
        { parseAs: 'string', bodyLimit: 2 * 1024 * 1024 },
        (_req, body, done) => done(null, body),
      );
    }
    const s = scope.withTypeProvider<TypeBoxTypeProvider>();
    s.post(
      '/api/v1/mail/reports',
      {
        config: { permission: 'mail:write' },
        bodyLimit: 2 * 1024 * 1024,
        schema: {
          tags,
          summary: 'Upload a bounce (RFC 3464 DSN) or complaint (ARF, RFC 5965) from a mailbox',
          description: 'Send the raw message as message/rfc822 or text/plain, or JSON { "raw": "…" }.',
          body: Type.Union([
            Type.String({ maxLength: 2 * 1024 * 1024 }),
            Type.Object({ raw: Type.String({ maxLength: 2 * 1024 * 1024 }) }),
          ]),
          response: { 200: ReportOutcomeBody },
        },
      },
      async (request) => {
        const raw = typeof request.body === 'string' ? request.body : request.body.raw;
        return processReport(
          {
            db: deps.db,
            secretKey: deps.config.secretKey,
            now: deps.clock.now(),
            log: deps.log,
            recordActivities: runtime().recordActivities,
          },
          raw,
          { source: 'upload', workspaceId: workspaceOf(request) },
        );
      },
    );
  });

  r.get(
    '/api/v1/mail/reports',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags,
        summary: 'Bounces and complaints received, newest first',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                kind: Type.String(),
                bounceType: Nullable(Type.String()),
                messageId: Nullable(Type.String()),
                statusCode: Nullable(Type.String()),
                diagnostic: Nullable(Type.String()),
                feedbackType: Nullable(Type.String()),
                source: Type.String(),
                receivedAt: DateTime,
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      items: (await listReports(deps.db, workspaceOf(request))).map((x) => ({
        id: x.id,
        kind: x.kind,
        bounceType: x.bounce_type,
        messageId: x.message_id,
        statusCode: x.status_code,
        diagnostic: x.diagnostic,
        feedbackType: x.feedback_type,
        source: x.source,
        receivedAt: x.received_at.toISOString(),
      })),
    }),
  );
}
