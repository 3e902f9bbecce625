import type { Executor } from '../../shared/db/index.js';
import { getSendPermission } from '../consent/index.js';
import { listTimeline } from '../contacts/index.js';
import type { loadLeadContact } from './sales.repository.js';
import type { SalesWiring } from './wiring.js';

/** Purposes whose consent the summary lists; `phone` decides whether the number is shown. */
const SUMMARY_PURPOSES = ['newsletter', 'events', 'phone', 'tracking'] as const;

export interface LeadSummary {
  who: { name: string | null; email: string; jobTitle: string | null; phone: string | null };
  company: { name: string | null; industry: string | null; size: string | null; country: string | null };
  /** Fit and engagement with their reasons, when the scoring module provides them. */
  scores: Record<string, unknown> | null;
  /** BANT answers so far, when the scoring module provides them. */
  bant: Record<string, unknown> | null;
  lastInteractions: { type: string; occurredAt: string; ref: string | null }[];
  sourceChannel: string | null;
  consents: { purpose: string; given: boolean }[];
}

type LeadContact = NonNullable<Awaited<ReturnType<typeof loadLeadContact>>>;

/**
 * The lead's summary as the rep sees it in the notification, the mail, the webhook and the inbox:
 * a snapshot taken at hand-off. The phone number is included only with a confirmed `phone` consent.
 */
export async function buildLeadSummary(
  db: Executor,
  wiring: SalesWiring,
  workspaceId: string,
  contact: LeadContact,
): Promise<LeadSummary> {
  const consents: LeadSummary['consents'] = [];
  for (const purpose of SUMMARY_PURPOSES) {
    const permission = await getSendPermission(db, { workspaceId, contactId: contact.id, purpose });
    consents.push({ purpose, given: permission.allowed });
  }
  const phoneAllowed = consents.some((c) => c.purpose === 'phone' && c.given);
  const timeline = await listTimeline(db, workspaceId, contact.id, { limit: 5 });
  const qualification = wiring.describeQualification
    ? await wiring.describeQualification(db, { workspaceId, contactId: contact.id })
    : null;
  const name = [contact.first_name, contact.last_name].filter(Boolean).join(' ') || null;
  return {
    who: {
      name,
      email: contact.email,
      jobTitle: contact.job_title,
      phone: phoneAllowed ? contact.phone : null,
    },
    company: {
      name: contact.company ?? contact.company_name,
      industry: contact.industry,
      size: contact.company_size,
      country: contact.company_country ?? contact.country,
    },
    scores: qualification?.scores ?? null,
    bant: qualification?.bant ?? null,
    lastInteractions: timeline.map((a) => ({
      type: a.type,
      occurredAt: a.occurred_at.toISOString(),
      ref: a.ref,
    })),
    sourceChannel: contact.source_channel,
    consents,
  };
}

/** Postcode for territory rules: the contact's custom field, else the company's. */
export function postcodeOf(contact: LeadContact): string | null {
  for (const fields of [contact.custom_fields, contact.company_fields]) {
    if (!fields) continue;
    for (const key of ['postcode', 'postal_code', 'zip']) {
      const v = (fields as Record<string, unknown>)[key];
      if (typeof v === 'string' && v.trim()) return v.trim();
    }
  }
  return null;
}
