import { type Static, Type } from '@sinclair/typebox';

/*
 * A segment is a saved filter: a tree of AND/OR groups (each may be negated) whose leaves are
 * conditions over profile fields, custom fields, company fields, consents, activity (with time
 * windows), quality findings and other segments. The same tree filters the contact list. It is
 * data (JSON), checked by this schema, and compiled to one SQL query by segment-compiler.ts.
 */

export const TEXT_OPERATORS = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'in',
  'not_in',
  'is_empty',
  'is_not_empty',
] as const;
export const NUMBER_OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'is_empty',
  'is_not_empty',
] as const;
export const DATE_OPERATORS = [
  'before',
  'after',
  'on',
  'between',
  'within_last_days',
  'more_than_days_ago',
  'is_empty',
  'is_not_empty',
] as const;
export const CHOICE_OPERATORS = ['eq', 'neq', 'in', 'not_in', 'is_empty', 'is_not_empty'] as const;
export const LIST_OPERATORS = [
  'contains_any',
  'contains_all',
  'contains_none',
  'is_empty',
  'is_not_empty',
] as const;
export const BOOLEAN_OPERATORS = ['is_true', 'is_false', 'is_empty', 'is_not_empty'] as const;

export const OPERATORS = [
  ...new Set([
    ...TEXT_OPERATORS,
    ...NUMBER_OPERATORS,
    ...DATE_OPERATORS,
    ...CHOICE_OPERATORS,
    ...LIST_OPERATORS,
    ...BOOLEAN_OPERATORS,
  ]),
] as const;
export type Operator = (typeof OPERATORS)[number];

export type ValueKind = 'text' | 'number' | 'date' | 'choice' | 'list' | 'boolean';

export const OPERATORS_BY_KIND: Record<ValueKind, readonly Operator[]> = {
  text: TEXT_OPERATORS,
  number: NUMBER_OPERATORS,
  date: DATE_OPERATORS,
  choice: CHOICE_OPERATORS,
  list: LIST_OPERATORS,
  boolean: BOOLEAN_OPERATORS,
};

/** Contact columns a condition may use, with the kind of value they hold. */
export const CONTACT_FIELDS = {
  email: 'text',
  email_domain: 'text',
  first_name: 'text',
  last_name: 'text',
  company_name: 'text',
  job_title: 'text',
  phone: 'text',
  city: 'text',
  country: 'choice',
  locale: 'choice',
  lifecycle_stage: 'choice',
  owner_user_id: 'choice',
  source_channel: 'choice',
  tags: 'list',
  created_at: 'date',
  updated_at: 'date',
  reconfirm_requested_at: 'date',
  quality_score: 'number',
  company_id: 'choice',
} as const satisfies Record<string, ValueKind>;
export type ContactField = keyof typeof CONTACT_FIELDS;

export const COMPANY_FIELDS = {
  name: 'text',
  domain: 'text',
  industry: 'text',
  size: 'choice',
  country: 'choice',
  city: 'text',
  website: 'text',
} as const satisfies Record<string, ValueKind>;
export type CompanyField = keyof typeof COMPANY_FIELDS;

/**
 * Scores a condition may use. They are kept by the scoring module (it depends on contacts, not the
 * other way round) and reach the compiler through a registered score source (segment-sources.ts);
 * a contact without scores counts as fit 0, engagement 0, cold.
 */
export const SCORE_FIELDS = {
  fit: 'number',
  engagement: 'number',
  temperature: 'choice',
} as const satisfies Record<string, ValueKind>;
export type ScoreField = keyof typeof SCORE_FIELDS;
export const SCORE_OPERATORS = {
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'],
  choice: ['eq', 'neq', 'in', 'not_in'],
} as const;
export const TEMPERATURES = ['cold', 'warm', 'hot'] as const;

export const CONSENT_STATES = [
  'confirmed',
  'pending',
  'withdrawn',
  'expired',
  'none',
  'not_confirmed',
] as const;

const ISO_INSTANT = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})?)?$';

const Value = Type.Optional(
  Type.Union([
    Type.String({ maxLength: 1000 }),
    Type.Number(),
    Type.Boolean(),
    Type.Array(Type.Union([Type.String({ maxLength: 1000 }), Type.Number()]), { maxItems: 1000 }),
    Type.Null(),
  ]),
);
const Op = Type.Union(OPERATORS.map((o) => Type.Literal(o)));

export const FieldCondition = Type.Object(
  {
    kind: Type.Literal('field'),
    field: Type.Union(Object.keys(CONTACT_FIELDS).map((f) => Type.Literal(f))),
    operator: Op,
    value: Value,
  },
  { additionalProperties: false },
);

export const CustomCondition = Type.Object(
  {
    kind: Type.Literal('custom'),
    key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }),
    operator: Op,
    value: Value,
  },
  { additionalProperties: false },
);

export const CompanyCondition = Type.Object(
  {
    kind: Type.Literal('company'),
    field: Type.Union([
      ...Object.keys(COMPANY_FIELDS).map((f) => Type.Literal(f)),
      Type.String({ pattern: '^custom\\.[a-z][a-z0-9_]{0,62}$' }),
    ]),
    operator: Op,
    value: Value,
  },
  { additionalProperties: false },
);

export const ConsentCondition = Type.Object(
  {
    kind: Type.Literal('consent'),
    purpose: Type.String({ pattern: '^[a-z0-9][a-z0-9_.:-]{0,62}$' }),
    status: Type.Union(CONSENT_STATES.map((s) => Type.Literal(s))),
  },
  { additionalProperties: false },
);

/** "Clicked any mail in the last 30 days", "downloaded asset X at least twice", "did not attend Y". */
export const ActivityCondition = Type.Object(
  {
    kind: Type.Literal('activity'),
    /** Exact type (`mail.clicked`), a whole module (`mail.*`), or any (`*`). */
    type: Type.String({ pattern: '^(\\*|[a-z][a-z0-9-]{0,40}\\.(\\*|[a-z][a-z0-9-]{0,60}))$' }),
    ref: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Only entries in the last N days … */
    withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    /** … or between these instants (ISO 8601). */
    from: Type.Optional(Type.String({ pattern: ISO_INSTANT })),
    to: Type.Optional(Type.String({ pattern: ISO_INSTANT })),
    /** At least this many entries (default 1). */
    minCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
    /** "Did not": no such entry. */
    negate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const QualityCondition = Type.Object(
  {
    kind: Type.Literal('quality'),
    /** A finding of the quality score: role_address, disposable_domain, stale_field, domain_no_mx … */
    reason: Type.String({ pattern: '^[a-z_]{1,60}$' }),
    negate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** "Fit at least 40", "engagement below 10", "temperature is hot". */
export const ScoreCondition = Type.Object(
  {
    kind: Type.Literal('score'),
    score: Type.Union(Object.keys(SCORE_FIELDS).map((f) => Type.Literal(f))),
    operator: Op,
    value: Value,
  },
  { additionalProperties: false },
);

export const SegmentRefCondition = Type.Object(
  {
    kind: Type.Literal('segment'),
    // Patterns, not formats: TypeBox's Value.Check knows no formats unless registered.
    segmentId: Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    }),
    negate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type FieldCondition = Static<typeof FieldCondition>;
export type CustomCondition = Static<typeof CustomCondition>;
export type CompanyCondition = Static<typeof CompanyCondition>;
export type ConsentCondition = Static<typeof ConsentCondition>;
export type ActivityCondition = Static<typeof ActivityCondition>;
export type QualityCondition = Static<typeof QualityCondition>;
export type SegmentRefCondition = Static<typeof SegmentRefCondition>;
export type ScoreCondition = Static<typeof ScoreCondition>;
export type Condition =
  | FieldCondition
  | CustomCondition
  | CompanyCondition
  | ConsentCondition
  | ActivityCondition
  | QualityCondition
  | ScoreCondition
  | SegmentRefCondition;

export interface Group {
  kind: 'group';
  op: 'and' | 'or';
  negate?: boolean;
  children: (Group | Condition)[];
}
export type SegmentNode = Group | Condition;

export const SegmentGroup = Type.Recursive(
  (Self) =>
    Type.Object(
      {
        kind: Type.Literal('group'),
        op: Type.Union([Type.Literal('and'), Type.Literal('or')]),
        negate: Type.Optional(Type.Boolean()),
        children: Type.Array(
          Type.Union([
            Self,
            FieldCondition,
            CustomCondition,
            CompanyCondition,
            ConsentCondition,
            ActivityCondition,
            QualityCondition,
            ScoreCondition,
            SegmentRefCondition,
          ]),
          { maxItems: 100 },
        ),
      },
      { additionalProperties: false },
    ),
  { $id: 'SegmentGroup' },
);

export const EMPTY_DEFINITION: Group = { kind: 'group', op: 'and', children: [] };
