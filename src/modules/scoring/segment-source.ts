import { sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { ScoreSource } from '../contacts/index.js';
import { loadSettings } from './settings.js';

/**
 * Where segment conditions on scores read from (registered with the contacts module): fit,
 * engagement decayed to `now` with the workspace's half-life and rounded as the UI shows it, and
 * temperature. A contact without a `contact_scores` row is fit 0, engagement 0, cold.
 */
export async function loadScoreSource(db: Executor, workspaceId: string, now: Date): Promise<ScoreSource> {
  const { settings } = await loadSettings(db, workspaceId);
  const halfLifeSeconds = Math.max(settings.halfLifeDays, 0.0001) * 86400;
  return {
    from: sql`contact_scores s`,
    match: sql`s.workspace_id = c.workspace_id AND s.contact_id = c.id`,
    fields: {
      fit: sql`s.fit`,
      engagement: sql`round(s.engagement_static + s.engagement_decaying *
        power(0.5, greatest(0, extract(epoch from (${now}::timestamptz - s.computed_at))) / ${halfLifeSeconds}::float8))`,
      temperature: sql`s.temperature`,
    },
    missing: { fit: 0, engagement: 0, temperature: 'cold' },
  };
}
