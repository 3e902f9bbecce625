import type { CustomFieldDef, CustomFieldType } from '../contacts/contacts-api.js';
import type { ScoringRule } from './scoring-api.js';

/*
 * The scoring rule form's model, without React: a stored rule as a draft of the form and back as the
 * body of POST/PUT /api/v1/scoring/rules, and which operators a field offers.
 */

export const PROFILE_FIELDS = [
  'job_title',
  'company_size',
  'industry',
  'country',
  'company_country',
] as const;
export const FIT_OPS = ['contains', 'equals', 'in', 'gte', 'lte', 'exists'] as const;
export type FitOp = (typeof FIT_OPS)[number];
export const ACTIVITY_TYPES = [
  'mail.opened',
  'mail.clicked',
  'mail.bounced',
  'capture.form-submitted',
  'capture.asset-downloaded',
  'capture.link-clicked',
  'events.registered',
  'events.attended',
  'journeys.question-answered',
  'tracking.page-viewed',
];
export const SIGNALS = ['none', 'warm', 'incentive', 'handRaiser'] as const;
export type SignalChoice = (typeof SIGNALS)[number];

/** Operators that make sense for a custom field of a type (a profile field offers all). */
export const OPS_BY_TYPE: Record<CustomFieldType, readonly FitOp[]> = {
  text: ['contains', 'equals', 'in', 'exists'],
  number: ['gte', 'lte', 'equals', 'exists'],
  date: ['equals', 'exists'],
  choice: ['equals', 'in', 'exists'],
  multi_choice: ['contains', 'exists'],
  boolean: ['equals', 'exists'],
};

/** Which activities carry a ref of one form, asset or event (ref `form:<id>` …): offered as a picker. */
export type RefKind = 'form' | 'asset' | 'event';
export const REF_KIND_OF: Record<string, RefKind> = {
  'capture.form-submitted': 'form',
  'capture.asset-downloaded': 'asset',
  'events.registered': 'event',
  'events.attended': 'event',
};

export interface RuleDraft {
  kind: 'fit' | 'engagement';
  name: string;
  points: number;
  enabled: boolean;
  field: string;
  op: FitOp;
  /** The value as typed; `values` for "is one of" a choice field. */
  value: string;
  values: string[];
  activityType: string;
  refPrefix: string;
  capPoints: number | '';
  capDays: number;
  decays: boolean;
  signal: SignalChoice;
}

const EMPTY: RuleDraft = {
  kind: 'engagement',
  name: '',
  points: 10,
  enabled: true,
  field: 'job_title',
  op: 'contains',
  value: '',
  values: [],
  activityType: 'capture.asset-downloaded',
  refPrefix: '',
  capPoints: '',
  capDays: 30,
  decays: true,
  signal: 'none',
};

/** A stored rule as a draft of the form (or an empty draft for a new rule). */
export function draftOf(rule: ScoringRule | null): RuleDraft {
  if (!rule) return EMPTY;
  const d = rule.definition;
  const base = { ...EMPTY, kind: rule.kind, name: rule.name, points: rule.points, enabled: rule.enabled };
  if (rule.kind === 'fit') {
    const value = d.value;
    return {
      ...base,
      field: String(d.field ?? 'job_title'),
      op: (FIT_OPS as readonly string[]).includes(String(d.op)) ? (d.op as FitOp) : 'equals',
      value: Array.isArray(value) ? value.join(', ') : value == null ? '' : String(value),
      values: Array.isArray(value) ? value.map(String) : value == null ? [] : [String(value)],
    };
  }
  const cap = d.cap as { points: number; periodDays: number } | null | undefined;
  return {
    ...base,
    activityType: String(d.activityType ?? EMPTY.activityType),
    refPrefix: typeof d.refPrefix === 'string' ? d.refPrefix : '',
    capPoints: cap ? cap.points : '',
    capDays: cap ? cap.periodDays : 30,
    decays: d.decays !== false,
    signal:
      d.handRaiser === true
        ? 'handRaiser'
        : d.signal === 'warm' || d.signal === 'incentive'
          ? d.signal
          : 'none',
  };
}

/** The body of POST/PUT /api/v1/scoring/rules for a draft. */
export function ruleInputOf(draft: RuleDraft, def: CustomFieldDef | undefined) {
  const base = { kind: draft.kind, name: draft.name.trim(), points: draft.points, enabled: draft.enabled };
  if (draft.kind === 'fit') {
    const { op } = draft;
    const value =
      op === 'exists'
        ? null
        : op === 'gte' || op === 'lte'
          ? draft.value.trim() === ''
            ? null
            : Number(draft.value)
          : op === 'in'
            ? def?.type === 'choice'
              ? draft.values
              : draft.value
                  .split(',')
                  .map((v) => v.trim())
                  .filter(Boolean)
            : draft.value;
    return { ...base, definition: { field: draft.field, op, value } };
  }
  return {
    ...base,
    definition: {
      activityType: draft.activityType,
      refPrefix: draft.refPrefix.trim() || null,
      decays: draft.decays,
      // A hand-raiser (consultation request) is own interest too: warm.
      signal: draft.signal === 'none' ? null : draft.signal === 'handRaiser' ? 'warm' : draft.signal,
      handRaiser: draft.signal === 'handRaiser',
      cap: draft.capPoints === '' ? null : { points: draft.capPoints, periodDays: draft.capDays },
    },
  };
}

/** The custom field a fit rule's field names, if it is one. */
export function customFieldOf(field: string, defs: readonly CustomFieldDef[] | undefined) {
  return field.startsWith('custom:') ? defs?.find((d) => d.key === field.slice(7)) : undefined;
}
