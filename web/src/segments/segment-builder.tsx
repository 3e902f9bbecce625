import {
  ActionIcon,
  Autocomplete,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { type CustomFieldDef, useCustomFields } from '../contacts/contacts-api.js';
import { useStageOptions } from '../contacts/stage-names.js';
import { useMembers } from '../members/members-api.js';
import {
  COMPANY_FIELDS,
  CONSENT_STATES,
  CONTACT_FIELDS,
  type Condition,
  type ConsentCondition,
  type Group as GroupNode,
  OPERATORS_BY_KIND,
  QUALITY_REASONS,
  SCORE_FIELDS,
  SCORE_OPERATORS,
  type ScoreField,
  type SegmentNode,
  type SegmentValue,
  TEMPERATURES,
  useSegments,
  type ValueKind,
} from './segments-api.js';

/*
 * The segment builder: AND/OR groups (each may be negated, nested up to 4 levels) of conditions
 * over profile fields, custom fields, company fields, scores (fit, engagement, temperature),
 * consents, activity with time windows, quality findings and other segments. It edits the
 * definition tree; nobody writes SQL.
 */

const KINDS = ['field', 'custom', 'company', 'score', 'consent', 'activity', 'quality', 'segment'] as const;
const NO_VALUE = new Set(['is_empty', 'is_not_empty', 'is_true', 'is_false']);
const MULTI = new Set(['in', 'not_in', 'contains_any', 'contains_all', 'contains_none']);
const DAYS = new Set(['within_last_days', 'more_than_days_ago']);
const ACTIVITY_TYPES = [
  '*',
  'mail.*',
  'mail.sent',
  'mail.opened',
  'mail.clicked',
  'mail.bounced',
  'capture.*',
  'capture.form-submitted',
  'capture.asset-downloaded',
  'events.registered',
  'events.attended',
  'contacts.stage-changed',
  'contacts.note-added',
  'contacts.call-logged',
];
const MAX_DEPTH = 4;

function customKind(def: CustomFieldDef | undefined): ValueKind {
  switch (def?.type) {
    case 'number':
      return 'number';
    case 'date':
      return 'date';
    case 'choice':
      return 'choice';
    case 'multi_choice':
      return 'list';
    case 'boolean':
      return 'boolean';
    default:
      return 'text';
  }
}

function newCondition(kind: Condition['kind']): Condition {
  switch (kind) {
    case 'field':
      return { kind, field: 'lifecycle_stage', operator: 'eq', value: 'mql' };
    case 'custom':
      return { kind, key: '', operator: 'is_not_empty' };
    case 'company':
      return { kind, field: 'industry', operator: 'eq', value: '' };
    case 'consent':
      return { kind, purpose: 'newsletter', status: 'confirmed' };
    case 'activity':
      return { kind, type: 'mail.clicked', withinDays: 30 };
    case 'quality':
      return { kind, reason: 'role_address' };
    case 'score':
      return { kind, score: 'fit', operator: 'gte', value: 30 };
    case 'segment':
      return { kind, segmentId: '' };
  }
}

export function GroupEditor({
  group,
  onChange,
  onRemove,
  depth = 0,
}: {
  group: GroupNode;
  onChange: (g: GroupNode) => void;
  onRemove?: () => void;
  depth?: number;
}) {
  const { t } = useTranslation();
  const setChild = (i: number, child: SegmentNode) =>
    onChange({ ...group, children: group.children.map((c, j) => (j === i ? child : c)) });
  const removeChild = (i: number) =>
    onChange({ ...group, children: group.children.filter((_, j) => j !== i) });
  const label =
    depth === 0 ? t('segments.builder.rootGroup') : t('segments.builder.group', { level: depth + 1 });
  return (
    <Paper
      p="sm"
      withBorder
      role="group"
      aria-label={label}
      bg={depth % 2 ? 'var(--mantine-color-default-hover)' : undefined}
    >
      <Stack gap="sm">
        <Group gap="sm" justify="space-between">
          <Group gap="sm">
            <SegmentedControl
              size="xs"
              value={group.op}
              onChange={(op) => onChange({ ...group, op: op as 'and' | 'or' })}
              data={[
                { value: 'and', label: t('segments.builder.and') },
                { value: 'or', label: t('segments.builder.or') },
              ]}
              aria-label={t('segments.builder.combine', { group: label })}
            />
            <Checkbox
              size="xs"
              label={t('segments.builder.not')}
              checked={group.negate === true}
              onChange={(e) => onChange({ ...group, negate: e.currentTarget.checked || undefined })}
            />
          </Group>
          {onRemove ? (
            <ActionIcon
              variant="subtle"
              color="red"
              onClick={onRemove}
              aria-label={t('segments.builder.removeGroup', { group: label })}
            >
              <IconTrash size={16} aria-hidden />
            </ActionIcon>
          ) : null}
        </Group>
        {group.children.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('segments.builder.emptyGroup')}
          </Text>
        ) : null}
        {group.children.map((child, i) =>
          child.kind === 'group' ? (
            <GroupEditor
              // biome-ignore lint/suspicious/noArrayIndexKey: children have no ids; order is their identity
              key={i}
              group={child}
              depth={depth + 1}
              onChange={(g) => setChild(i, g)}
              onRemove={() => removeChild(i)}
            />
          ) : (
            <ConditionEditor
              // biome-ignore lint/suspicious/noArrayIndexKey: children have no ids; order is their identity
              key={i}
              index={i + 1}
              condition={child}
              onChange={(c) => setChild(i, c)}
              onRemove={() => removeChild(i)}
            />
          ),
        )}
        <Group gap="xs">
          <Button
            size="xs"
            variant="light"
            leftSection={<IconPlus size={14} aria-hidden />}
            onClick={() => onChange({ ...group, children: [...group.children, newCondition('field')] })}
          >
            {t('segments.builder.addCondition')}
          </Button>
          {depth + 1 < MAX_DEPTH ? (
            <Button
              size="xs"
              variant="default"
              leftSection={<IconPlus size={14} aria-hidden />}
              onClick={() =>
                onChange({
                  ...group,
                  children: [
                    ...group.children,
                    { kind: 'group', op: group.op === 'and' ? 'or' : 'and', children: [] },
                  ],
                })
              }
            >
              {t('segments.builder.addGroup')}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </Paper>
  );
}

function operatorData(t: TFunction, operators: readonly string[]) {
  return operators.map((o) => ({
    value: o,
    label: t(`segments.operators.${o}` as 'segments.operators.eq'),
  }));
}

function ConditionEditor({
  condition,
  index,
  onChange,
  onRemove,
}: {
  condition: Condition;
  index: number;
  onChange: (c: Condition) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const stageOptions = useStageOptions();
  const contactDefs = useCustomFields('contact');
  const companyDefs = useCustomFields('company');
  const segments = useSegments();
  const name = t('segments.builder.condition', { n: index });
  const a = (what: string) => `${name}: ${what}`;
  let body: React.ReactNode;
  switch (condition.kind) {
    case 'field': {
      const kind = CONTACT_FIELDS[condition.field] ?? 'text';
      body = (
        <>
          <Select
            aria-label={a(t('segments.builder.field'))}
            data={Object.keys(CONTACT_FIELDS).map((f) => ({
              value: f,
              label: t(`segments.contactFields.${f}` as 'segments.contactFields.email'),
            }))}
            value={condition.field}
            onChange={(f) =>
              f &&
              onChange({
                ...condition,
                field: f,
                operator: OPERATORS_BY_KIND[CONTACT_FIELDS[f] ?? 'text'][0] ?? 'eq',
                value: undefined,
              })
            }
            allowDeselect={false}
            searchable
            w={200}
          />
          <OperatorAndValue
            label={a}
            kind={kind}
            operator={condition.operator}
            value={condition.value}
            choices={condition.field === 'lifecycle_stage' ? stageOptions : undefined}
            owners={condition.field === 'owner_user_id'}
            onChange={(operator, value) => onChange({ ...condition, operator, value })}
          />
        </>
      );
      break;
    }
    case 'custom': {
      const def = contactDefs.data?.find((d) => d.key === condition.key);
      const kind = customKind(def);
      body = (
        <>
          <Select
            aria-label={a(t('segments.builder.customField'))}
            placeholder={t('segments.builder.customField')}
            data={(contactDefs.data ?? []).map((d) => ({ value: d.key, label: d.label }))}
            value={condition.key || null}
            onChange={(k) => {
              const d = contactDefs.data?.find((x) => x.key === k);
              if (k)
                onChange({
                  ...condition,
                  key: k,
                  operator: OPERATORS_BY_KIND[customKind(d)][0] ?? 'eq',
                  value: undefined,
                });
            }}
            allowDeselect={false}
            w={200}
          />
          <OperatorAndValue
            label={a}
            kind={kind}
            operator={condition.operator}
            value={condition.value}
            choices={def?.options}
            onChange={(operator, value) => onChange({ ...condition, operator, value })}
          />
        </>
      );
      break;
    }
    case 'company': {
      const customKey = condition.field.startsWith('custom.') ? condition.field.slice(7) : undefined;
      const def = companyDefs.data?.find((d) => d.key === customKey);
      const kind = customKey ? customKind(def) : (COMPANY_FIELDS[condition.field] ?? 'text');
      body = (
        <>
          <Select
            aria-label={a(t('segments.builder.companyField'))}
            data={[
              ...Object.keys(COMPANY_FIELDS).map((f) => ({
                value: f,
                label: t(`segments.companyFields.${f}` as 'segments.companyFields.name'),
              })),
              ...(companyDefs.data ?? []).map((d) => ({ value: `custom.${d.key}`, label: d.label })),
            ]}
            value={condition.field}
            onChange={(f) =>
              f && onChange({ ...condition, field: f, operator: 'is_not_empty', value: undefined })
            }
            allowDeselect={false}
            w={200}
          />
          <OperatorAndValue
            label={a}
            kind={kind}
            operator={condition.operator}
            value={condition.value}
            choices={def?.options}
            onChange={(operator, value) => onChange({ ...condition, operator, value })}
          />
        </>
      );
      break;
    }
    case 'score': {
      const kind = SCORE_FIELDS[condition.score] ?? 'number';
      body = (
        <>
          <Select
            aria-label={a(t('segments.builder.score'))}
            data={(Object.keys(SCORE_FIELDS) as ScoreField[]).map((f) => ({
              value: f,
              label: t(`scoring.${f}`),
            }))}
            value={condition.score}
            onChange={(f) => {
              if (!f || f === condition.score) return;
              const next = f as ScoreField;
              onChange(
                SCORE_FIELDS[next] === 'choice'
                  ? { kind: 'score', score: next, operator: 'eq', value: 'hot' }
                  : { kind: 'score', score: next, operator: 'gte', value: 30 },
              );
            }}
            allowDeselect={false}
            w={170}
          />
          <OperatorAndValue
            label={a}
            kind={kind}
            operators={SCORE_OPERATORS[kind]}
            operator={condition.operator}
            value={condition.value}
            choices={
              kind === 'choice'
                ? TEMPERATURES.map((v) => ({ value: v, label: t(`scoring.temperatures.${v}`) }))
                : undefined
            }
            onChange={(operator, value) => onChange({ ...condition, operator, value })}
          />
        </>
      );
      break;
    }
    case 'consent':
      body = (
        <>
          <TextInput
            aria-label={a(t('segments.builder.purpose'))}
            placeholder={t('segments.builder.purpose')}
            value={condition.purpose}
            onChange={(e) => onChange({ ...condition, purpose: e.currentTarget.value })}
            w={180}
          />
          <Select
            aria-label={a(t('segments.builder.consentStatus'))}
            data={CONSENT_STATES.map((s) => ({ value: s, label: t(`segments.consentStates.${s}`) }))}
            value={condition.status}
            onChange={(s) => s && onChange({ ...condition, status: s as ConsentCondition['status'] })}
            allowDeselect={false}
            w={200}
          />
        </>
      );
      break;
    case 'activity':
      body = (
        <>
          <Checkbox
            label={t('segments.builder.didNot')}
            checked={condition.negate === true}
            onChange={(e) => onChange({ ...condition, negate: e.currentTarget.checked || undefined })}
          />
          <Autocomplete
            aria-label={a(t('segments.builder.activityType'))}
            data={ACTIVITY_TYPES}
            value={condition.type}
            onChange={(type) => onChange({ ...condition, type })}
            w={220}
          />
          <TextInput
            aria-label={a(t('segments.builder.activityRef'))}
            placeholder={t('segments.builder.activityRef')}
            value={condition.ref ?? ''}
            onChange={(e) => onChange({ ...condition, ref: e.currentTarget.value || undefined })}
            w={180}
          />
          <NumberInput
            aria-label={a(t('segments.builder.withinDays'))}
            placeholder={t('segments.builder.withinDays')}
            value={condition.withinDays ?? ''}
            min={1}
            max={3650}
            onChange={(v) => onChange({ ...condition, withinDays: typeof v === 'number' ? v : undefined })}
            w={150}
          />
          <NumberInput
            aria-label={a(t('segments.builder.minCount'))}
            placeholder={t('segments.builder.minCount')}
            value={condition.minCount ?? ''}
            min={1}
            onChange={(v) => onChange({ ...condition, minCount: typeof v === 'number' ? v : undefined })}
            w={130}
          />
        </>
      );
      break;
    case 'quality':
      body = (
        <>
          <Checkbox
            label={t('segments.builder.hasNot')}
            checked={condition.negate === true}
            onChange={(e) => onChange({ ...condition, negate: e.currentTarget.checked || undefined })}
          />
          <Select
            aria-label={a(t('segments.builder.qualityReason'))}
            data={QUALITY_REASONS.map((r) => ({ value: r, label: t(`contacts.quality.reasons.${r}`) }))}
            value={condition.reason}
            onChange={(r) => r && onChange({ ...condition, reason: r })}
            allowDeselect={false}
            w={240}
          />
        </>
      );
      break;
    case 'segment':
      body = (
        <>
          <Checkbox
            label={t('segments.builder.notIn')}
            checked={condition.negate === true}
            onChange={(e) => onChange({ ...condition, negate: e.currentTarget.checked || undefined })}
          />
          <Select
            aria-label={a(t('segments.builder.segment'))}
            placeholder={t('segments.builder.segment')}
            data={(segments.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            value={condition.segmentId || null}
            onChange={(id) => id && onChange({ ...condition, segmentId: id })}
            allowDeselect={false}
            w={240}
          />
        </>
      );
      break;
  }
  return (
    <Group gap="xs" align="center" wrap="wrap" data-testid="segment-condition">
      <Select
        aria-label={a(t('segments.builder.kind'))}
        data={KINDS.map((k) => ({ value: k, label: t(`segments.kinds.${k}`) }))}
        value={condition.kind}
        onChange={(k) => k && k !== condition.kind && onChange(newCondition(k as Condition['kind']))}
        allowDeselect={false}
        w={150}
      />
      {body}
      <ActionIcon
        variant="subtle"
        color="red"
        onClick={onRemove}
        aria-label={t('segments.builder.removeCondition', { n: index })}
      >
        <IconTrash size={16} aria-hidden />
      </ActionIcon>
    </Group>
  );
}

function OperatorAndValue({
  label,
  kind,
  operators: allowed,
  operator,
  value,
  choices,
  owners,
  onChange,
}: {
  label: (what: string) => string;
  kind: ValueKind;
  /** The operators offered (default: every operator of the kind). */
  operators?: readonly string[];
  operator: string;
  value: SegmentValue;
  choices?: { value: string; label: string }[] | undefined;
  owners?: boolean;
  onChange: (operator: string, value: SegmentValue) => void;
}) {
  const { t } = useTranslation();
  const members = useMembers();
  const options =
    choices ??
    (owners ? (members.data ?? []).map((m) => ({ value: m.userId, label: m.name || m.email })) : undefined);
  const operators = allowed ?? OPERATORS_BY_KIND[kind];
  const op = operators.includes(operator) ? operator : (operators[0] ?? 'eq');
  const valueLabel = label(t('segments.builder.value'));
  let input: React.ReactNode = null;
  if (NO_VALUE.has(op)) input = null;
  else if (MULTI.has(op)) {
    const list = Array.isArray(value) ? value.map(String) : [];
    input = options ? (
      <MultiSelect
        aria-label={valueLabel}
        data={options}
        value={list}
        onChange={(v) => onChange(op, v)}
        w={260}
      />
    ) : (
      <TagsInput aria-label={valueLabel} value={list} onChange={(v) => onChange(op, v)} w={260} />
    );
  } else if (DAYS.has(op)) {
    input = (
      <NumberInput
        aria-label={label(t('segments.builder.days'))}
        placeholder={t('segments.builder.days')}
        value={typeof value === 'number' ? value : ''}
        min={1}
        onChange={(v) => onChange(op, typeof v === 'number' ? v : null)}
        w={120}
      />
    );
  } else if (op === 'between') {
    const [from, to] = Array.isArray(value) ? value : [];
    const one = (v: string | number | undefined, i: 0 | 1) =>
      kind === 'number' ? (
        <NumberInput
          aria-label={label(i === 0 ? t('segments.builder.from') : t('segments.builder.to'))}
          value={typeof v === 'number' ? v : ''}
          onChange={(n) => {
            const next = [from ?? '', to ?? ''] as (string | number)[];
            next[i] = typeof n === 'number' ? n : '';
            onChange(op, next);
          }}
          w={120}
        />
      ) : (
        <TextInput
          type="date"
          aria-label={label(i === 0 ? t('segments.builder.from') : t('segments.builder.to'))}
          value={typeof v === 'string' ? v : ''}
          onChange={(e) => {
            const next = [from ?? '', to ?? ''] as (string | number)[];
            next[i] = e.currentTarget.value;
            onChange(op, next);
          }}
          w={160}
        />
      );
    input = (
      <>
        {one(from, 0)}
        {one(to, 1)}
      </>
    );
  } else if (kind === 'number') {
    input = (
      <NumberInput
        aria-label={valueLabel}
        value={typeof value === 'number' ? value : ''}
        onChange={(v) => onChange(op, typeof v === 'number' ? v : null)}
        w={140}
      />
    );
  } else if (kind === 'date') {
    input = (
      <TextInput
        type="date"
        aria-label={valueLabel}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(op, e.currentTarget.value)}
        w={160}
      />
    );
  } else if (options) {
    input = (
      <Select
        aria-label={valueLabel}
        data={options}
        value={typeof value === 'string' ? value : null}
        onChange={(v) => onChange(op, v)}
        searchable
        w={220}
      />
    );
  } else {
    input = (
      <TextInput
        aria-label={valueLabel}
        value={typeof value === 'string' || typeof value === 'number' ? String(value) : ''}
        onChange={(e) => onChange(op, e.currentTarget.value)}
        w={220}
      />
    );
  }
  return (
    <>
      <Select
        aria-label={label(t('segments.builder.operator'))}
        data={operatorData(t, operators)}
        value={op}
        onChange={(o) =>
          o && onChange(o, NO_VALUE.has(o) ? undefined : MULTI.has(o) === MULTI.has(op) ? value : undefined)
        }
        allowDeselect={false}
        w={200}
      />
      {input}
    </>
  );
}
