import type { Executor, Trx } from '../../shared/db/index.js';
import type { AppDeps } from '../../shared/module.js';

/** The lifecycle stages the sales module moves contacts into (owned by the scoring module). */
export type SalesStage = 'mql' | 'sal' | 'sql' | 'opportunity' | 'recycled' | 'disqualified';

/** The scoring module's `changeStage` (docs/contracts.md): records the move with its cause. */
export type ChangeStage = (
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  input: { workspaceId: string; contactId: string; to: SalesStage; cause: string; note?: string },
) => Promise<unknown>;

/**
 * What the sales module needs from modules that depend on it or that it must not import (scoring
 * imports sales' job shape, so sales gets scoring's functions passed in by src/modules.ts).
 */
export interface SalesWiring {
  changeStage: ChangeStage;
  /** Scores with reasons and BANT so far, for the lead summary; absent until scoring provides it. */
  describeQualification?:
    | ((
        db: Executor,
        input: { workspaceId: string; contactId: string },
      ) => Promise<{ scores: Record<string, unknown> | null; bant: Record<string, unknown> | null } | null>)
    | undefined;
}
