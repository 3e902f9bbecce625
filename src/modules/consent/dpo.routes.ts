import { createHash } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError, localeFromHeader } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { consentBody, eventBody, evidenceJson, renderEvidenceHtml } from './evidence.js';
import { renderEvidencePdf } from './evidence-pdf.js';
import { verifyConsentLedger } from './ledger.js';
import {
  changeConsentByAdmin,
  findLedgerContact,
  getConsentSettings,
  getContactLedger,
  recordEvidenceExport,
  recordObjectionByAdmin,
  updateConsentSettings,
} from './ledger.service.js';
import { PURPOSE_RE } from './purposes.js';
import type { ConsentWiring } from './wiring.js';

/*
 * The data-protection officer's API: a contact's consent ledger, its verification, the evidence
 * (HTML and JSON), admin changes and the workspace's consent settings.
 *
 *   GET  /api/v1/consent/contacts?email=…                  consent:read    find the contact (also after erasure)
 *   GET  /api/v1/consent/contacts/:contactId/ledger          consent:read    consents, events, chain check
 *   GET  /api/v1/consent/contacts/:contactId/evidence        consent:read    ?format=html|pdf|json, audited
 *   POST /api/v1/consent/contacts/:contactId/changes         privacy:manage  changed_by_admin + audit
 *   POST /api/v1/consent/contacts/:contactId/objection       privacy:manage  Art. 21 → suppression + audit
 *   GET  /api/v1/consent/ledger/verify                       consent:read    ?contactId= (else the workspace)
 *   GET  /api/v1/consent/settings                            consent:read
 *   PUT  /api/v1/consent/settings                            privacy:manage  audited
 */

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const ConsentBody = Type.Object({
  purpose: Type.String(),
  status: Type.String(),
  legalBasis: Type.String(),
  requestedAt: Nullable(Type.String()),
  confirmedAt: Nullable(Type.String()),
  withdrawnAt: Nullable(Type.String()),
  updatedAt: Type.String(),
});

const EventBody = Type.Object({
  id: Type.String(),
  event: Type.String(),
  purpose: Type.String(),
  occurredAt: Type.String(),
  email: Type.String(),
  formId: Nullable(Type.String()),
  formVersion: Type.Union([Type.Integer(), Type.Null()]),
  pageUrl: Nullable(Type.String()),
  consentText: Nullable(Type.String()),
  consentTextVersion: Nullable(Type.String()),
  privacyNoticeVersion: Nullable(Type.String()),
  checkedBoxes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  messageId: Nullable(Type.String()),
  templateId: Nullable(Type.String()),
  tokenRef: Nullable(Type.String()),
  actorUserId: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  prevHash: Nullable(Type.String()),
  hash: Type.String(),
});

const Verification = Type.Object({
  checked: Type.Integer(),
  intact: Type.Boolean(),
  breaks: Type.Array(
    Type.Object({
      eventId: Type.String(),
      contactId: Nullable(Type.String()),
      problem: Type.String(),
    }),
  ),
});

const Settings = Type.Object(
  {
    optInTokenTtlHours: Type.Integer({ minimum: 1, maximum: 720 }),
    unconfirmedRetentionDays: Type.Integer({ minimum: 1, maximum: 365 }),
    proofRetentionDays: Type.Integer({ minimum: 30, maximum: 3650 }),
  },
  { additionalProperties: false },
);

const ContactParams = Type.Object({ contactId: Type.String({ format: 'uuid' }) });

function verificationBody(v: {
  checked: number;
  breaks: { eventId: string; contactId: string | null; problem: string }[];
}) {
  return { checked: v.checked, intact: v.breaks.length === 0, breaks: v.breaks };
}

export function registerDpoRoutes(app: FastifyInstance, deps: AppDeps, wiring: ConsentWiring): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['consent'];

  r.get(
    '/api/v1/consent/contacts',
    {
      config: { permission: 'consent:read' },
      schema: {
        tags,
        summary: 'Find the consent ledger of an address (also after the contact was erased)',
        querystring: Type.Object({ email: Type.String({ minLength: 3, maxLength: 320 }) }),
        response: { 200: Type.Object({ contactId: Type.String() }) },
      },
    },
    async (request) => {
      const contactId = await findLedgerContact(deps.db, workspaceOf(request), request.query.email);
      if (!contactId) throw new AppError('NOT_FOUND');
      return { contactId };
    },
  );

  r.get(
    '/api/v1/consent/contacts/:contactId/ledger',
    {
      config: { permission: 'consent:read' },
      schema: {
        tags,
        summary: "A contact's consents and every consent ledger event with all proof fields",
        params: ContactParams,
        response: {
          200: Type.Object({
            contactId: Type.String(),
            email: Type.String(),
            contactExists: Type.Boolean(),
            consents: Type.Array(ConsentBody),
            events: Type.Array(EventBody),
            verification: Verification,
          }),
        },
      },
    },
    async (request) => {
      const ledger = await getContactLedger(deps.db, workspaceOf(request), request.params.contactId);
      return {
        contactId: ledger.contactId,
        email: ledger.email,
        contactExists: ledger.contactExists,
        consents: ledger.consents.map(consentBody),
        events: ledger.events.map(eventBody),
        verification: verificationBody(ledger.verification),
      };
    },
  );

  r.get(
    '/api/v1/consent/contacts/:contactId/evidence',
    {
      config: { permission: 'consent:read' },
      schema: {
        tags,
        summary:
          'The evidence for one address: a print-ready HTML page, a PDF document or JSON (each export is audited)',
        params: ContactParams,
        querystring: Type.Object({
          format: Type.Optional(
            Type.Union([Type.Literal('html'), Type.Literal('pdf'), Type.Literal('json')]),
          ),
          lang: Type.Optional(Type.Union([Type.Literal('de'), Type.Literal('en')])),
        }),
      },
    },
    async (request, reply) => {
      const workspaceId = workspaceOf(request);
      const format = request.query.format ?? 'html';
      const ledger = await getContactLedger(deps.db, workspaceId, request.params.contactId);
      await recordEvidenceExport(deps.db, actorOf(request), workspaceId, ledger.contactId, format);
      const now = deps.clock.now();
      const stamp = now.toISOString().slice(0, 10);
      const name = `consent-evidence-${ledger.contactId}-${stamp}`;
      reply.header('cache-control', 'no-store');
      if (format === 'json') {
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}.json"`)
          .send(JSON.stringify(evidenceJson(ledger, now), null, 2));
      }
      const locale = request.query.lang ?? localeFromHeader(request.headers['accept-language']);
      if (format === 'pdf') {
        return reply
          .header('content-type', 'application/pdf')
          .header('content-disposition', `attachment; filename="${name}.pdf"`)
          .send(await renderEvidencePdf(ledger, locale, now));
      }
      const body = renderEvidenceHtml(ledger, locale, now);
      const styleHash = createHash('sha256')
        .update(/<style>([\s\S]*?)<\/style>/.exec(body)?.[1] ?? '')
        .digest('base64');
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-disposition', `inline; filename="${name}.html"`)
        .header('content-security-policy', `default-src 'none'; style-src 'sha256-${styleHash}'`)
        .send(body);
    },
  );

  r.post(
    '/api/v1/consent/contacts/:contactId/changes',
    {
      config: { permission: 'privacy:manage' },
      schema: {
        tags,
        summary: 'Change a consent by hand (recorded as changed_by_admin, with the reason, and audited)',
        params: ContactParams,
        body: Type.Object(
          {
            purpose: Type.String({ pattern: PURPOSE_RE.source }),
            status: Type.Union([Type.Literal('confirmed'), Type.Literal('withdrawn')]),
            legalBasis: Type.Optional(
              Type.Union([Type.Literal('consent'), Type.Literal('existing_customer')]),
            ),
            note: Type.String({ minLength: 3, maxLength: 2000 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ consents: Type.Array(ConsentBody) }) },
      },
    },
    async (request) => {
      const consents = await changeConsentByAdmin(
        deps,
        wiring,
        actorOf(request),
        workspaceOf(request),
        request.params.contactId,
        request.body,
      );
      return { consents: consents.map(consentBody) };
    },
  );

  r.post(
    '/api/v1/consent/contacts/:contactId/objection',
    {
      config: { permission: 'privacy:manage' },
      schema: {
        tags,
        summary:
          'Record an objection to direct marketing (Art. 21): suppression at once, every consent withdrawn',
        params: ContactParams,
        body: Type.Object(
          { note: Type.String({ minLength: 3, maxLength: 2000 }) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await recordObjectionByAdmin(
        deps,
        wiring,
        actorOf(request),
        workspaceOf(request),
        request.params.contactId,
        request.body.note,
      );
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/consent/ledger/verify',
    {
      config: { permission: 'consent:read' },
      schema: {
        tags,
        summary:
          "Recompute the hash chain of the workspace's consent ledger (or one contact's) and report every break",
        querystring: Type.Object({ contactId: Type.Optional(Type.String({ format: 'uuid' })) }),
        response: { 200: Verification },
      },
    },
    async (request) =>
      verificationBody(await verifyConsentLedger(deps.db, workspaceOf(request), request.query.contactId)),
  );

  r.get(
    '/api/v1/consent/settings',
    {
      config: { permission: 'consent:read' },
      schema: {
        tags,
        summary: 'Confirmation-link lifetime and retention periods',
        response: { 200: Settings },
      },
    },
    async (request) => getConsentSettings(deps.db, workspaceOf(request)),
  );

  r.put(
    '/api/v1/consent/settings',
    {
      config: { permission: 'privacy:manage' },
      schema: {
        tags,
        summary: 'Change the link lifetime and retention periods',
        body: Settings,
        response: { 200: Settings },
      },
    },
    async (request) => updateConsentSettings(deps, actorOf(request), workspaceOf(request), request.body),
  );
}
