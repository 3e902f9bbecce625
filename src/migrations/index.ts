import type { Migration } from 'kysely';
import * as foundation from './2026-11-23-0001-foundation.js';
import * as contactsConsent from './2026-11-23-0002-contacts-consent.js';
import * as mail from './2026-11-23-0101-mail.js';
import * as activities from './2026-11-23-0201-activities.js';
import * as contactsCompaniesSegments from './2026-11-23-0202-contacts-companies-segments.js';
import * as consentDoi from './2026-11-23-0301-consent-doi.js';
import * as consentMailLog from './2026-11-23-0302-consent-mail-log.js';
import * as capture from './2026-11-23-0401-capture.js';
import * as mailContentRedaction from './2026-11-23-0501-mail-content-redaction.js';
import * as contactsMergeQuality from './2026-11-23-0521-contacts-merge-quality.js';
import * as contactsSearchIndexes from './2026-11-23-0522-contacts-search-indexes.js';
import * as jobsDueIndex from './2026-11-23-0591-jobs-due-index.js';
import * as scoring from './2026-11-23-0601-scoring.js';
import * as sales from './2026-11-23-0621-sales.js';
import * as journeys from './2026-11-23-0701-journeys.js';
import * as events from './2026-11-23-0702-events.js';
import * as importStagingColumns from './2026-11-24-0300-import-staging-columns.js';
import * as eventsAttachments from './2026-11-24-0600-events-attachments.js';
import * as mailMessageFkIndexes from './2026-11-24-0900-mail-message-fk-indexes.js';
import * as contactsTombstonesIndex from './2026-11-25-0401-contacts-tombstones-index.js';
import * as captureAssetKind from './2026-11-25-0601-capture-asset-kind.js';
import * as workspaceStaleDays from './2026-11-26-0301-workspace-stale-days.js';
import * as contactExportTokens from './2026-11-26-0302-contact-export-tokens.js';
import * as downloadTokenKind from './2026-11-26-0401-download-token-kind.js';
import * as scoreHistoryDecaying from './2026-11-27-0101-score-history-decaying.js';
import * as journeyStepContactsOrder from './2026-11-28-0701-journey-step-contacts-order.js';

/**
 * Every migration, in order. A landed migration is frozen (tests/unit/migrations-frozen.test.ts
 * checks the hashes in frozen.json); change the schema only by adding a new one at the end.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-23-0001-foundation': foundation,
  '2026-11-23-0002-contacts-consent': contactsConsent,
  '2026-11-23-0101-mail': mail,
  '2026-11-23-0201-activities': activities,
  '2026-11-23-0202-contacts-companies-segments': contactsCompaniesSegments,
  '2026-11-23-0301-consent-doi': consentDoi,
  '2026-11-23-0302-consent-mail-log': consentMailLog,
  '2026-11-23-0401-capture': capture,
  '2026-11-23-0501-mail-content-redaction': mailContentRedaction,
  '2026-11-23-0521-contacts-merge-quality': contactsMergeQuality,
  '2026-11-23-0522-contacts-search-indexes': contactsSearchIndexes,
  '2026-11-23-0591-jobs-due-index': jobsDueIndex,
  '2026-11-23-0601-scoring': scoring,
  '2026-11-23-0621-sales': sales,
  '2026-11-23-0701-journeys': journeys,
  '2026-11-23-0702-events': events,
  '2026-11-24-0300-import-staging-columns': importStagingColumns,
  '2026-11-24-0600-events-attachments': eventsAttachments,
  '2026-11-24-0900-mail-message-fk-indexes': mailMessageFkIndexes,
  '2026-11-25-0401-contacts-tombstones-index': contactsTombstonesIndex,
  '2026-11-25-0601-capture-asset-kind': captureAssetKind,
  '2026-11-26-0301-workspace-stale-days': workspaceStaleDays,
  '2026-11-26-0302-contact-export-tokens': contactExportTokens,
  '2026-11-26-0401-download-token-kind': downloadTokenKind,
  '2026-11-27-0101-score-history-decaying': scoreHistoryDecaying,
  '2026-11-28-0701-journey-step-contacts-order': journeyStepContactsOrder,
};
