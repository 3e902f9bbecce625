import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { actorOf, authOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { BANT_SOURCES, type BantSource, getBant, qualifyAsSql, recordBantAnswers } from './bant.service.js';
import { latestRecompute, type RecomputeJob, startRecompute } from './recompute.service.js';
import { STAGES, type Stage } from './rules.js';
import { listRules, type StoredRule } from './rules.repository.js';
import {
  companyScore,
  deleteRule,
  explainContact,
  previewMql,
  saveRule,
  updateSettings,
} from './scoring.service.js';
import { loadSettings, type ScoringSettings } from './settings.js';
import { changeStage, stageTimeReport } from './stages.service.js';

const Id = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Id });
const Json = Type.Record(Type.String(), Type.Unknown());
// Null first: with type coercion on, an integer branch first would turn null into 0.
const Nullable = <T extends ReturnType<typeof Type.Integer>>(t: T) => Type.Union([Type.Null(), t]);

const RuleInputBody = Type.Object(
  {
    kind: Type.String({ enum: ['fit', 'engagement'] }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    points: Type.Integer({ minimum: -1000, maximum: 1000 }),
    enabled: Type.Optional(Type.Boolean()),
    definition: Json,
  },
  { additionalProperties: false },
);
const RuleBody = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  points: Type.Integer(),
  enabled: Type.Boolean(),
  definition: Json,
  updatedAt: Type.String(),
});
const toRule = (r: StoredRule) => ({ ...r, updatedAt: r.updatedAt.toISOString() });

const MqlRuleBody = Type.Object(
  {
    fitMin: Nullable(Type.Integer({ minimum: -100000, maximum: 100000 })),
    engagementMin: Nullable(Type.Integer({ minimum: -100000, maximum: 100000 })),
    handRaiser: Type.Boolean(),
    fromStages: Type.Array(Type.String({ enum: [...STAGES] }), { maxItems: 9 }),
  },
  { additionalProperties: false },
);
const SettingsBody = Type.Object(
  {
    stageLabels: Type.Record(
      Type.String({ enum: [...STAGES] }),
      Type.Object({
        de: Type.Optional(Type.String({ maxLength: 60 })),
        en: Type.Optional(Type.String({ maxLength: 60 })),
      }),
    ),
    transitions: Type.Union([
      Type.Record(Type.String({ enum: [...STAGES] }), Type.Array(Type.String({ enum: [...STAGES] }))),
      Type.Null(),
    ]),
    halfLifeDays: Type.Number({ minimum: 0, maximum: 3650 }),
    engagedMin: Nullable(Type.Integer({ minimum: -100000, maximum: 100000 })),
    mql: MqlRuleBody,
    temperature: Type.Object({
      returnDays: Type.Integer({ minimum: 0, maximum: 365 }),
      returnWindowDays: Type.Integer({ minimum: 1, maximum: 3650 }),
      hotFitMin: Nullable(Type.Integer({ minimum: -100000, maximum: 100000 })),
    }),
  },
  { additionalProperties: false },
);
const RecomputeBody = Type.Object({
  id: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  total: Type.Integer(),
  done: Type.Integer(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

function causeOf(request: Parameters<typeof authOf>[0]): string {
  const auth = authOf(request);
  return auth.userId ? `user:${auth.userId}` : 'api';
}

/** Scoring rules, settings and MQL preview; per contact: "Why 72?", BANT, stage moves. */
export function registerScoringRoutes(app: FastifyInstance, deps: AppDeps, recomputeJob: RecomputeJob): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['scoring'];

  r.get(
    '/api/v1/scoring/rules',
    {
      config: { permission: 'scoring:read' },
      schema: {
        tags,
        summary: 'Fit and engagement rules',
        response: { 200: Type.Object({ items: Type.Array(RuleBody) }) },
      },
    },
    async (request) => ({ items: (await listRules(deps.db, workspaceOf(request))).map(toRule) }),
  );

  r.post(
    '/api/v1/scoring/rules',
    {
      config: { permission: 'scoring:write' },
      schema: {
        tags,
        summary: 'Add a rule; every score is recomputed in the background',
        body: RuleInputBody,
        response: { 201: Type.Object({ rule: RuleBody, recomputeId: Type.String() }) },
      },
    },
    async (request, reply) => {
      const body = request.body as Parameters<typeof saveRule>[6];
      const out = await saveRule(
        deps.db,
        deps,
        recomputeJob,
        actorOf(request),
        workspaceOf(request),
        null,
        body,
      );
      return reply.code(201).send({ rule: toRule(out.rule), recomputeId: out.recomputeId });
    },
  );

  r.put(
    '/api/v1/scoring/rules/:id',
    {
      config: { permission: 'scoring:write' },
      schema: {
        tags,
        summary: 'Change a rule; every score is recomputed in the background',
        params: IdParams,
        body: RuleInputBody,
        response: { 200: Type.Object({ rule: RuleBody, recomputeId: Type.String() }) },
      },
    },
    async (request) => {
      const body = request.body as Parameters<typeof saveRule>[6];
      const out = await saveRule(
        deps.db,
        deps,
        recomputeJob,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        body,
      );
      return { rule: toRule(out.rule), recomputeId: out.recomputeId };
    },
  );

  r.delete(
    '/api/v1/scoring/rules/:id',
    {
      config: { permission: 'scoring:write' },
      schema: {
        tags,
        summary: 'Delete a rule',
        params: IdParams,
        response: { 200: Type.Object({ recomputeId: Type.String() }) },
      },
    },
    async (request) =>
      deleteRule(deps.db, deps, recomputeJob, actorOf(request), workspaceOf(request), request.params.id),
  );

  r.get(
    '/api/v1/scoring/settings',
    {
      config: { permission: 'scoring:read' },
      schema: {
        tags,
        summary: 'Stage names, allowed moves, half-life, MQL and temperature rules',
        response: { 200: SettingsBody },
      },
    },
    async (request) => (await loadSettings(deps.db, workspaceOf(request))).settings,
  );

  r.put(
    '/api/v1/scoring/settings',
    {
      config: { permission: 'scoring:write' },
      schema: {
        tags,
        summary: 'Replace the settings; every score is recomputed in the background',
        body: SettingsBody,
        response: { 200: Type.Object({ recomputeId: Type.String() }) },
      },
    },
    async (request) =>
      updateSettings(
        deps.db,
        deps,
        recomputeJob,
        actorOf(request),
        workspaceOf(request),
        request.body as ScoringSettings,
      ),
  );

  r.post(
    '/api/v1/scoring/mql-preview',
    {
      config: { permission: 'scoring:read' },
      schema: {
        tags,
        summary: 'How many contacts this MQL rule would make MQL today',
        body: MqlRuleBody,
        response: {
          200: Type.Object({
            count: Type.Integer(),
            sample: Type.Array(
              Type.Object({
                id: Type.String(),
                email: Type.String(),
                fit: Type.Number(),
                engagement: Type.Number(),
              }),
            ),
          }),
        },
      },
    },
    async (request) =>
      previewMql(deps.db, deps, workspaceOf(request), request.body as ScoringSettings['mql']),
  );

  r.get(
    '/api/v1/scoring/recompute',
    {
      config: { permission: 'scoring:read' },
      schema: {
        tags,
        summary: 'Progress of the latest background recompute',
        response: { 200: RecomputeBody },
      },
    },
    async (request) => {
      const run = await latestRecompute(deps.db, workspaceOf(request));
      if (!run) return { id: null, state: 'none', total: 0, done: 0, startedAt: null, finishedAt: null };
      return {
        id: run.id,
        state: run.state,
        total: run.total,
        done: Math.min(run.done, run.total),
        startedAt: new Date(run.started_at).toISOString(),
        finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null,
      };
    },
  );

  r.post(
    '/api/v1/scoring/recompute',
    {
      config: { permission: 'scoring:write' },
      schema: {
        tags,
        summary: 'Recompute every score in the background',
        response: { 202: Type.Object({ recomputeId: Type.String() }) },
      },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const recomputeId = await deps.db.transaction().execute(async (trx) => {
        const { rulesVersion } = await loadSettings(trx, ws);
        return startRecompute(trx, deps, recomputeJob, ws, rulesVersion, 'all');
      });
      return reply.code(202).send({ recomputeId });
    },
  );

  r.get(
    '/api/v1/scoring/reports/stage-times',
    {
      config: { permission: 'scoring:read' },
      schema: {
        tags,
        summary:
          'How long contacts stay in each lifecycle stage (stays, still there, average and median seconds)',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                stage: Type.String(),
                stays: Type.Integer(),
                current: Type.Integer(),
                averageSeconds: Type.Integer(),
                medianSeconds: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ items: await stageTimeReport(deps.db, workspaceOf(request), deps.clock.now()) }),
  );

  r.get(
    '/api/v1/scoring/contacts/:id',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary:
          'Why a contact has its scores: every contribution with points, date and decay; temperature, history, BANT, stages',
        params: IdParams,
        response: { 200: Json },
      },
    },
    async (request) => explainContact(deps.db, deps, workspaceOf(request), request.params.id),
  );

  r.get(
    '/api/v1/scoring/contacts/:id/bant',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'BANT answers with source and date',
        params: IdParams,
        response: { 200: Json },
      },
    },
    async (request) => getBant(deps.db, workspaceOf(request), request.params.id),
  );

  r.put(
    '/api/v1/scoring/contacts/:id/bant',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Record BANT answers (need, budget, authority, timeline) with their source',
        params: IdParams,
        body: Type.Object(
          {
            answers: Type.Object(
              {
                need: Type.Optional(
                  Type.Object({
                    exists: Type.Boolean(),
                    project: Type.Optional(Type.String({ maxLength: 500 })),
                    when: Type.Optional(Type.String({ maxLength: 200 })),
                  }),
                ),
                budget: Type.Optional(
                  Type.Object({
                    exists: Type.Boolean(),
                    range: Type.Optional(Type.String({ maxLength: 200 })),
                  }),
                ),
                authority: Type.Optional(
                  Type.Object({
                    role: Type.String({ enum: ['decision_maker', 'influencer', 'user', 'unknown'] }),
                  }),
                ),
                timeline: Type.Optional(Type.Object({ when: Type.String({ maxLength: 200 }) })),
              },
              { additionalProperties: false },
            ),
            source: Type.Optional(Type.String({ enum: [...BANT_SOURCES] })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Json },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const auth = authOf(request);
      await deps.db.transaction().execute((trx) =>
        recordBantAnswers(trx, deps, {
          workspaceId: ws,
          contactId: request.params.id,
          answers: request.body.answers as Parameters<typeof recordBantAnswers>[2]['answers'],
          source: (request.body.source ?? (auth.userId ? 'sales_call' : 'api')) as BantSource,
          sourceRef: causeOf(request),
          userId: auth.userId,
        }),
      );
      return getBant(deps.db, ws, request.params.id);
    },
  );

  r.post(
    '/api/v1/scoring/contacts/:id/stage',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: "Move a contact's lifecycle stage (SQL needs BANT or a note)",
        params: IdParams,
        body: Type.Object(
          { to: Type.String({ enum: [...STAGES] }), note: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ changed: Type.Boolean(), stage: Type.String() }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const { to, note } = request.body;
      const result = await deps.db.transaction().execute((trx) =>
        to === 'sql'
          ? qualifyAsSql(trx, deps, {
              workspaceId: ws,
              contactId: request.params.id,
              cause: causeOf(request),
              byHand: note ? { note } : undefined,
            })
          : changeStage(trx, deps, {
              workspaceId: ws,
              contactId: request.params.id,
              to: to as Stage,
              cause: causeOf(request),
              note,
            }),
      );
      return { changed: result.changed, stage: result.changed ? result.to : result.stage };
    },
  );

  r.get(
    '/api/v1/scoring/companies/:id',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: "A company's roll-up of its contacts' scores",
        params: IdParams,
        response: { 200: Json },
      },
    },
    async (request) => {
      const result = await companyScore(deps.db, deps, workspaceOf(request), request.params.id);
      if (result.contacts === 0) {
        const exists = await deps.db
          .selectFrom('companies')
          .select('id')
          .where('workspace_id', '=', workspaceOf(request))
          .where('id', '=', request.params.id)
          .executeTakeFirst();
        if (!exists) throw new AppError('NOT_FOUND');
      }
      return result;
    },
  );
}
