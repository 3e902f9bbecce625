import type { RawBuilder } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { ScoreField } from './segment-definition.js';

/*
 * Conditions over data other modules keep. The scoring module depends on contacts (never the other
 * way round), so it registers where its scores are and how to read them; the segment compiler
 * turns a `score` condition into an EXISTS over that source. Without a registered source a score
 * condition is refused (VALIDATION_FAILED), never silently ignored.
 */

/** Where the scores of a workspace are, as SQL over the alias `s`, matched to `contacts c`. */
export interface ScoreSource {
  /** The table with its alias, e.g. `contact_scores s`. */
  from: RawBuilder<unknown>;
  /** Joins a row of the source to the contact `c` (must include the workspace). */
  match: RawBuilder<unknown>;
  /** A typed expression per score (numeric for fit/engagement, lower-case text for temperature). */
  fields: Record<ScoreField, RawBuilder<unknown>>;
  /** The value of a contact without a row in the source. */
  missing: Record<ScoreField, number | string>;
}

export type ScoreSourceLoader = (db: Executor, workspaceId: string, now: Date) => Promise<ScoreSource>;

let scoreSource: ScoreSourceLoader | undefined;

/** Called once by the scoring module when it is loaded. */
export function registerScoreSource(loader: ScoreSourceLoader): void {
  scoreSource = loader;
}

export function scoreSourceLoader(): ScoreSourceLoader | undefined {
  return scoreSource;
}
