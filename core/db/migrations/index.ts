import type { Migration } from './migration.js';
import { migration as catalog } from './0001-catalog.js';
import { migration as findings } from './0002-findings.js';
import { migration as referenceFingerprints } from './0003-reference-fingerprints.js';
import { migration as embedLedger } from './0004-embed-ledger.js';
import { migration as outbox } from './0006-outbox.js';
import { migration as chatCards } from './0007-chat-cards.js';
import { migration as reports } from './0008-reports.js';
import { migration as abuseContacts } from './0009-abuse-contacts.js';
import { migration as outboxDelay } from './0010-outbox-delay.js';
import { migration as notices } from './0011-notices.js';
import { migration as linkChecks } from './0012-link-checks.js';
import { migration as detectionStatuses } from './0014-detection-statuses.js';
import { migration as findingPages } from './0013-finding-pages.js';
import { migration as streamingSessions } from './0015-streaming-sessions.js';
import { migration as abPackages } from './0016-ab-packages.js';
import { migration as revocationPushes } from './0018-revocation-pushes.js';
import { migration as webFindingsIndexes } from './0019-web-findings-indexes.js';
import { migration as monitoringJobHistory } from './0020-monitoring-job-history.js';
import { migration as sessionCards } from './0021-session-cards.js';
import { migration as embedLedgerMarkVersion } from './0023-embed-ledger-mark-version.js';

export type { Migration };

/**
 * Every migration, applied in version order on start. Kept as code (not .sql files) so the compiled
 * CLI carries them without copying assets. One file per migration so parallel work does not collide.
 */


export const MIGRATIONS: readonly Migration[] = [catalog, findings, referenceFingerprints, embedLedger, outbox, chatCards, reports, abuseContacts, outboxDelay, notices, linkChecks, findingPages, detectionStatuses, streamingSessions, abPackages, revocationPushes, webFindingsIndexes, monitoringJobHistory, sessionCards, embedLedgerMarkVersion];
