import type { EmailDomainStatus, FieldMeta, QualityReason } from '../../shared/db/schema.js';
import {
  domainOf,
  emailSyntaxProblem,
  isDisposableDomain,
  isFreemailDomain,
  isRoleAddress,
} from './email-rules.js';

/*
 * The data-quality score of a contact: 100 minus the weight of each finding, each finding a
 * reason with a stable code that the UI translates. Pure: the domain status (from the MX cache)
 * and the time come in.
 */

/** Profile fields that matter for qualification (BANT: who is it, where, in which role). */
export const QUALIFICATION_FIELDS = [
  'first_name',
  'last_name',
  'company',
  'job_title',
  'phone',
  'country',
] as const;

/**
 * A field not confirmed for this long is stale and offered for re-confirmation. The default of
 * the workspace setting `stale_after_days`; callers pass the workspace's value as `staleDays`
 * (new rows scored at sign-up or import need not: every field is confirmed at that moment).
 */
export const DEFAULT_STALE_DAYS = 365;

export interface QualityInput {
  email: string;
  fields: Record<string, unknown>;
  customFields: Record<string, unknown>;
  /** Keys of custom fields marked as mattering for qualification. */
  qualificationCustomKeys: string[];
  fieldMeta: Record<string, FieldMeta>;
  domainStatus: EmailDomainStatus | undefined;
  now: Date;
  staleDays?: number;
}

export interface QualityResult {
  score: number;
  reasons: QualityReason[];
  /** 0..1: share of qualification fields that have a value. */
  completeness: number;
  missing: string[];
  stale: string[];
}

const WEIGHTS = {
  email_syntax_invalid: -100,
  domain_undeliverable: -60,
  disposable_domain: -50,
  role_address: -15,
  freemail_domain: -5,
  completeness: -30,
  stale_field: -3,
  stale_max: -15,
} as const;

function filled(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

export function computeQuality(input: QualityInput): QualityResult {
  const reasons: QualityReason[] = [];
  const syntax = emailSyntaxProblem(input.email);
  if (syntax)
    reasons.push({ code: 'email_syntax_invalid', impact: WEIGHTS.email_syntax_invalid, field: 'email' });
  else {
    const domain = domainOf(input.email);
    if (input.domainStatus && ['no_mx', 'null_mx', 'not_found'].includes(input.domainStatus))
      reasons.push({
        code: `domain_${input.domainStatus}`,
        impact: WEIGHTS.domain_undeliverable,
        field: 'email',
      });
    else if (!input.domainStatus)
      // No fresh answer in the MX cache: the contacts.check-domains job asks DNS soon.
      reasons.push({ code: 'domain_unchecked', impact: 0, field: 'email' });
    else if (input.domainStatus === 'unknown')
      // DNS did not answer (timeout, server failure): asked again when the cache entry expires.
      reasons.push({ code: 'domain_unknown', impact: 0, field: 'email' });
    if (isDisposableDomain(domain))
      reasons.push({ code: 'disposable_domain', impact: WEIGHTS.disposable_domain, field: 'email' });
    else if (isFreemailDomain(domain))
      reasons.push({ code: 'freemail_domain', impact: WEIGHTS.freemail_domain, field: 'email' });
    if (isRoleAddress(input.email))
      reasons.push({ code: 'role_address', impact: WEIGHTS.role_address, field: 'email' });
  }

  const wanted: { key: string; value: unknown }[] = [
    ...QUALIFICATION_FIELDS.map((key) => ({
      key,
      value: key === 'company' ? (input.fields.company_id ?? input.fields.company_name) : input.fields[key],
    })),
    ...input.qualificationCustomKeys.map((key) => ({ key: `custom.${key}`, value: input.customFields[key] })),
  ];
  const missing = wanted.filter((w) => !filled(w.value)).map((w) => w.key);
  const completeness = wanted.length ? (wanted.length - missing.length) / wanted.length : 1;
  if (missing.length > 0) {
    const per = WEIGHTS.completeness / wanted.length;
    for (const key of missing)
      reasons.push({ code: 'missing_field', impact: Math.round(per * 10) / 10, field: key });
  }

  const staleMs = (input.staleDays ?? DEFAULT_STALE_DAYS) * 86_400_000;
  const stale: string[] = [];
  for (const w of wanted) {
    if (!filled(w.value)) continue;
    const metaKey = w.key === 'company' ? 'company_name' : w.key.replace(/^custom\./, 'custom_fields.');
    const meta =
      input.fieldMeta[metaKey] ??
      input.fieldMeta[w.key] ??
      (w.key === 'company' ? input.fieldMeta.company_id : undefined);
    // A value without any record of confirmation counts as stale as well: nobody vouched for it.
    const at = meta ? Date.parse(meta.at) : Number.NaN;
    if (Number.isNaN(at) || input.now.getTime() - at > staleMs) stale.push(w.key);
  }
  let staleImpact = 0;
  for (const key of stale) {
    const impact = Math.max(WEIGHTS.stale_field, WEIGHTS.stale_max - staleImpact);
    staleImpact += impact;
    reasons.push({ code: 'stale_field', impact, field: key });
  }

  const total = reasons.reduce((sum, r) => sum + r.impact, 0);
  const score = Math.max(0, Math.min(100, Math.round(100 + total)));
  return { score, reasons, completeness, missing, stale };
}
