import type { Executor } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { type MqlRule, STAGES, type Stage, type TemperatureSettings, type Transitions } from './rules.js';

/** A workspace's scoring and lifecycle settings (stored as JSON in scoring_settings.settings). */
export interface ScoringSettings {
  /** Own names for stages, per language; a stage without one keeps its standard name. */
  stageLabels: Partial<Record<Stage, { de?: string; en?: string }>>;
  /** Allowed moves; null: every move is allowed. */
  transitions: Transitions | null;
  halfLifeDays: number;
  /** A subscriber with at least this engagement becomes `engaged` (null: never by rule). */
  engagedMin: number | null;
  mql: MqlRule;
  temperature: TemperatureSettings;
}

export const DEFAULT_SETTINGS: ScoringSettings = {
  stageLabels: {},
  transitions: null,
  halfLifeDays: 30,
  engagedMin: 1,
  mql: { fitMin: 30, engagementMin: 30, handRaiser: true, fromStages: ['subscriber', 'engaged'] },
  temperature: { returnDays: 3, returnWindowDays: 30, hotFitMin: null },
};

/** Merges stored settings over the defaults (older rows lack newer keys). */
export function withDefaults(stored: Record<string, unknown> | undefined): ScoringSettings {
  const s = (stored ?? {}) as Partial<ScoringSettings>;
  return {
    ...DEFAULT_SETTINGS,
    ...s,
    mql: { ...DEFAULT_SETTINGS.mql, ...(s.mql ?? {}) },
    temperature: { ...DEFAULT_SETTINGS.temperature, ...(s.temperature ?? {}) },
  };
}

/** Checks what the schema cannot: stage names in transitions and MQL stages. */
export function validateSettings(settings: ScoringSettings): void {
  const problems: { field: string; message: string }[] = [];
  const isStage = (s: string) => (STAGES as readonly string[]).includes(s);
  for (const [from, tos] of Object.entries(settings.transitions ?? {})) {
    if (!isStage(from) || !(tos ?? []).every(isStage))
      problems.push({ field: `transitions.${from}`, message: 'unknown stage' });
  }
  if (!settings.mql.fromStages.every(isStage))
    problems.push({ field: 'mql.fromStages', message: 'unknown stage' });
  if (settings.mql.fromStages.some((s) => !['subscriber', 'engaged', 'recycled'].includes(s)))
    problems.push({
      field: 'mql.fromStages',
      message: 'only subscriber, engaged and recycled can move to MQL by rule',
    });
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', { fields: problems });
}

/** The workspace's settings and rules version (defaults when none are stored). */
export async function loadSettings(
  db: Executor,
  workspaceId: string,
): Promise<{ settings: ScoringSettings; rulesVersion: number }> {
  const row = await db
    .selectFrom('scoring_settings')
    .select(['settings', 'rules_version'])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return { settings: withDefaults(row?.settings), rulesVersion: row?.rules_version ?? 1 };
}

/** Stores settings; `bumpVersion` marks scores stale (a rule or MQL change), returning the new version. */
export async function saveSettings(
  db: Executor,
  workspaceId: string,
  settings: ScoringSettings | null,
  now: Date,
  bumpVersion: boolean,
): Promise<number> {
  const current = await loadSettings(db, workspaceId);
  const next = settings ?? current.settings;
  const row = await db
    .insertInto('scoring_settings')
    .values({
      workspace_id: workspaceId,
      settings: JSON.stringify(next),
      rules_version: current.rulesVersion + (bumpVersion ? 1 : 0),
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('workspace_id').doUpdateSet((eb) => ({
        settings: JSON.stringify(next),
        rules_version: bumpVersion
          ? eb('scoring_settings.rules_version', '+', 1)
          : eb.ref('scoring_settings.rules_version'),
        updated_at: now,
      })),
    )
    .returning('rules_version')
    .executeTakeFirstOrThrow();
  return row.rules_version;
}
