import { sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import { decayFactor } from './rules.js';
import { loadSettings } from './settings.js';

/**
 * Each contact's scores as they stood just before a moment of its own: the newest `score_history`
 * row older than that moment, with the engagement decayed from the row's time to the moment (what it
 * had sunk to without a rescore; scoring writes a row whenever a score changes). No row: the contact
 * had no scores yet (0 and 0). A row written before the parts were kept counts as it was written.
 * Decay follows the workspace's half-life now (a change of it rescores everybody and writes rows).
 */
export async function scoresBefore(
  db: Executor,
  workspaceId: string,
  moments: ReadonlyMap<string, Date>,
): Promise<Map<string, { fit: number; engagement: number }>> {
  const out = new Map<string, { fit: number; engagement: number }>();
  if (moments.size === 0) return out;
  const pairs = JSON.stringify([...moments].map(([c, s]) => ({ c, s: s.toISOString() })));
  const rows = await sql<{
    contact_id: string;
    at: Date | string | null;
    fit: number | null;
    engagement: number | null;
    engagement_static: number | null;
    engagement_decaying: number | null;
  }>`
    SELECT x.c AS contact_id, h.at, h.fit, h.engagement, h.engagement_static, h.engagement_decaying
      FROM jsonb_to_recordset(${pairs}::jsonb) AS x(c uuid, s timestamptz)
      LEFT JOIN LATERAL (
        SELECT at, fit, engagement, engagement_static, engagement_decaying FROM score_history
         WHERE workspace_id = ${workspaceId} AND contact_id = x.c AND at < x.s
         ORDER BY at DESC, id DESC LIMIT 1) h ON true`.execute(db);
  const needsDecay = rows.rows.some((r) => r.engagement_decaying !== null && r.engagement_decaying !== 0);
  const halfLifeDays = needsDecay ? (await loadSettings(db, workspaceId)).settings.halfLifeDays : 0;
  for (const r of rows.rows) {
    const moment = moments.get(r.contact_id);
    let engagement = Number(r.engagement ?? 0);
    if (moment && r.at !== null && r.engagement_static !== null && r.engagement_decaying !== null) {
      const age = moment.getTime() - new Date(r.at).getTime();
      engagement =
        Number(r.engagement_static) + Number(r.engagement_decaying) * decayFactor(age, halfLifeDays);
    }
    out.set(r.contact_id, { fit: r.fit ?? 0, engagement: Math.round(engagement) });
  }
  return out;
}
