import type { Clock } from '../../shared/clock.js';
import type { Executor } from '../../shared/db/index.js';

/*
 * What the consent module needs from modules that themselves depend on consent (contacts imports
 * consent's ledger): handed in by src/modules.ts, so that no import cycle exists between them.
 */

/** One timeline entry, as the contacts module's `recordActivities` takes it. */
export interface TimelineEntry {
  workspaceId: string;
  contactId: string;
  /** `consent.confirmed`, `consent.withdrawn`, … */
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  source?: string | null;
  ref?: string | null;
}

export interface ConsentWiring {
  /** The contacts module's `recordActivities`: timeline entries in the caller's transaction. */
  recordActivities(trx: Executor, entries: TimelineEntry[]): Promise<void>;
  /** The contacts module's `listSegmentMemberIds` (re-permission to a segment); NOT_FOUND for an unknown segment. */
  listSegmentMemberIds(
    db: Executor,
    clock: Clock,
    workspaceId: string,
    segmentId: string,
    options: { afterId?: string | undefined; limit: number },
  ): Promise<string[]>;
}
