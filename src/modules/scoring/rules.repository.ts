import type { Executor } from '../../shared/db/index.js';
import type { EngagementRule, FitOperator, FitRule, Signal } from './rules.js';

export interface StoredRule {
  id: string;
  kind: 'fit' | 'engagement';
  name: string;
  points: number;
  enabled: boolean;
  definition: Record<string, unknown>;
  updatedAt: Date;
}

/** All rules of a workspace, fit first, in creation order. */
export async function listRules(db: Executor, workspaceId: string): Promise<StoredRule[]> {
  const rows = await db
    .selectFrom('scoring_rules')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('kind', 'desc')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    name: r.name,
    points: r.points,
    enabled: r.enabled,
    definition: r.definition,
    updatedAt: r.updated_at,
  }));
}

/** The enabled rules, shaped for the pure evaluation. */
export function toEvaluationRules(rules: readonly StoredRule[]): {
  fit: FitRule[];
  engagement: EngagementRule[];
} {
  const fit: FitRule[] = [];
  const engagement: EngagementRule[] = [];
  for (const r of rules) {
    if (!r.enabled) continue;
    const d = r.definition;
    if (r.kind === 'fit')
      fit.push({
        id: r.id,
        name: r.name,
        points: r.points,
        field: String(d.field),
        op: d.op as FitOperator,
        value: d.value as FitRule['value'],
      });
    else
      engagement.push({
        id: r.id,
        name: r.name,
        points: r.points,
        activityType: String(d.activityType),
        refPrefix: (d.refPrefix as string | null) ?? undefined,
        cap: (d.cap as EngagementRule['cap'] | null) ?? undefined,
        decays: d.decays !== false,
        signal: (d.signal as Signal | null) ?? undefined,
        handRaiser: d.handRaiser === true,
      });
  }
  return { fit, engagement };
}
