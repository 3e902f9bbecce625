import {
  Alert,
  Button,
  Group,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { type CustomFieldDef, useCustomFields } from '../contacts/contacts-api.js';
import { useEvents } from '../events/events-api.js';
import { useAssets, useForms } from '../forms/forms-api.js';
import { messageOf } from '../ui/errors.js';
import {
  ACTIVITY_TYPES,
  customFieldOf,
  draftOf,
  FIT_OPS,
  type FitOp,
  OPS_BY_TYPE,
  PROFILE_FIELDS,
  REF_KIND_OF,
  type RefKind,
  type RuleDraft,
  ruleInputOf,
  SIGNALS,
  type SignalChoice,
} from './rule-model.js';
import { type ScoringRule, useInvalidateScoring } from './scoring-api.js';

/*
 * The form of one scoring rule, for adding (POST) and for changing (PUT) a rule; both start the
 * background recompute. Fit rules look at a profile field or a contact custom field (`custom:<key>`)
 * with operators and a value input fitting the field's type; engagement rules at an activity type,
 * optionally only activities whose ref starts with a prefix (one form, asset or event: a picker).
 */

/** Names of the forms, assets and events a ref prefix may point at (`form:<id>` → the form's name). */
export function useRefOptions(): Record<RefKind, { value: string; label: string }[] | undefined> {
  const forms = useForms();
  const assets = useAssets();
  const events = useEvents();
  return {
    form: forms.data?.map((f) => ({ value: `form:${f.id}`, label: f.name })),
    asset: assets.data?.map((a) => ({ value: `asset:${a.id}`, label: a.title })),
    event: events.data?.map((e) => ({ value: `event:${e.id}`, label: e.title })),
  };
}

/** The rule form; `rule` null adds a rule, else changes it. Calls `onSaved` after the save. */
export function RuleForm({
  rule,
  onSaved,
  onCancel,
}: {
  rule: ScoringRule | null;
  onSaved?: () => void;
  onCancel?: () => void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const invalidate = useInvalidateScoring();
  const customFields = useCustomFields('contact');
  const refOptions = useRefOptions();
  const [draft, setDraft] = useState<RuleDraft>(() => draftOf(rule));
  const set = (patch: Partial<RuleDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const def = customFieldOf(draft.field, customFields.data);
  const save = useMutation({
    mutationFn: () => {
      const body = ruleInputOf(draft, def);
      return rule
        ? api.request('PUT', `/api/v1/scoring/rules/${encodeURIComponent(rule.id)}`, { body })
        : api.post('/api/v1/scoring/rules', body);
    },
    onSuccess: () => {
      invalidate();
      notifications.show({
        color: 'green',
        message: t(rule ? 'scoring.rules.saved' : 'scoring.rules.added'),
      });
      if (!rule) set({ name: '' });
      onSaved?.();
    },
  });

  const ops: readonly FitOp[] = def ? OPS_BY_TYPE[def.type] : FIT_OPS;
  const fieldData = [
    {
      group: t('scoring.rules.profileFields'),
      items: PROFILE_FIELDS.map((f) => ({ value: f, label: t(`scoring.fields.${f}`) })),
    },
    ...(customFields.data && customFields.data.length > 0
      ? [
          {
            group: t('scoring.rules.customFields'),
            items: customFields.data.map((d) => ({ value: `custom:${d.key}`, label: d.label })),
          },
        ]
      : []),
  ];
  // A rule on a custom field that is gone (or not loaded yet) still shows its field.
  if (!fieldData.some((g) => g.items.some((i) => i.value === draft.field)))
    fieldData.push({
      group: t('scoring.rules.customFields'),
      items: [{ value: draft.field, label: draft.field }],
    });
  const changeField = (field: string) => {
    const next = customFieldOf(field, customFields.data);
    const allowed = next ? OPS_BY_TYPE[next.type] : FIT_OPS;
    const typeChanged = next?.type !== def?.type;
    set({
      field,
      op: allowed.includes(draft.op) ? draft.op : allowed[0]!,
      ...(typeChanged ? { value: '', values: [] } : {}),
    });
  };
  const activityData = ACTIVITY_TYPES.includes(draft.activityType)
    ? ACTIVITY_TYPES
    : [...ACTIVITY_TYPES, draft.activityType];

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Select
            label={t('scoring.kind')}
            value={draft.kind}
            allowDeselect={false}
            // The kind of a stored rule stays (its contributions belong to one score).
            disabled={rule !== null}
            data={[
              { value: 'fit', label: t('scoring.fit') },
              { value: 'engagement', label: t('scoring.engagement') },
            ]}
            onChange={(v) => set({ kind: (v ?? 'engagement') as 'fit' | 'engagement' })}
          />
          <TextInput
            label={t('scoring.rules.name')}
            value={draft.name}
            maxLength={200}
            onChange={(e) => set({ name: e.currentTarget.value })}
            required
            data-autofocus
          />
          <NumberInput
            label={t('scoring.points')}
            min={-1000}
            max={1000}
            value={draft.points}
            onChange={(v) => set({ points: Number(v) || 0 })}
          />
        </SimpleGrid>
        {draft.kind === 'fit' ? (
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select
              label={t('scoring.rules.field')}
              value={draft.field}
              allowDeselect={false}
              data={fieldData}
              onChange={(v) => changeField(v ?? 'job_title')}
            />
            <Select
              label={t('scoring.rules.op')}
              value={draft.op}
              allowDeselect={false}
              data={(ops.includes(draft.op) ? ops : [...ops, draft.op]).map((o) => ({
                value: o,
                label: t(`scoring.ops.${o}`),
              }))}
              onChange={(v) => set({ op: (v ?? ops[0]) as FitOp })}
            />
            <FitValueInput draft={draft} def={def} onChange={set} />
          </SimpleGrid>
        ) : (
          <>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label={t('scoring.rules.activityType')}
                value={draft.activityType}
                allowDeselect={false}
                data={activityData}
                // Another activity type has other refs: the prefix starts over.
                onChange={(v) => set({ activityType: v ?? ACTIVITY_TYPES[0]!, refPrefix: '' })}
              />
              <RefPrefixInput
                kind={REF_KIND_OF[draft.activityType]}
                options={
                  REF_KIND_OF[draft.activityType] ? refOptions[REF_KIND_OF[draft.activityType]!] : undefined
                }
                value={draft.refPrefix}
                onChange={(refPrefix) => set({ refPrefix })}
              />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <NumberInput
                label={t('scoring.rules.capPoints')}
                description={t('scoring.rules.capHint')}
                min={1}
                value={draft.capPoints}
                onChange={(v) => set({ capPoints: v === '' ? '' : Number(v) })}
              />
              <NumberInput
                label={t('scoring.rules.capDays')}
                min={1}
                value={draft.capDays}
                onChange={(v) => set({ capDays: Number(v) || 1 })}
              />
              <Select
                label={t('scoring.rules.signal')}
                value={draft.signal}
                allowDeselect={false}
                data={SIGNALS.map((s) => ({ value: s, label: t(`scoring.signals.${s}`) }))}
                onChange={(v) => set({ signal: (v ?? 'none') as SignalChoice })}
              />
            </SimpleGrid>
            <Switch
              label={t('scoring.rules.decays')}
              checked={draft.decays}
              onChange={(e) => set({ decays: e.currentTarget.checked })}
            />
          </>
        )}
        <Switch
          label={t('scoring.rules.enabled')}
          checked={draft.enabled}
          onChange={(e) => set({ enabled: e.currentTarget.checked })}
        />
        {save.error ? (
          <Alert color="red" role="alert">
            {messageOf(save.error, t)}
          </Alert>
        ) : null}
        <Group justify={rule ? 'flex-end' : 'flex-start'}>
          {onCancel ? (
            <Button variant="default" onClick={onCancel}>
              {t('common.cancel')}
            </Button>
          ) : null}
          <Button type="submit" loading={save.isPending} disabled={draft.name.trim() === ''}>
            {rule ? t('scoring.rules.save') : t('scoring.rules.add')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The value of a fit rule, as the field's type asks: options of a choice, a number, a date, text. */
function FitValueInput({
  draft,
  def,
  onChange,
}: {
  draft: RuleDraft;
  def: CustomFieldDef | undefined;
  onChange: (patch: Partial<RuleDraft>) => void;
}) {
  const { t } = useTranslation();
  const label = t('scoring.rules.value');
  if (draft.op === 'exists') return null;
  const options = def?.options.map((o) => ({ value: o.value, label: o.label })) ?? [];
  const one = (v: string | null) => onChange({ value: v ?? '', values: v ? [v] : [] });
  if (def?.type === 'choice' && draft.op === 'in')
    return (
      <MultiSelect
        label={label}
        data={options}
        value={draft.values}
        onChange={(values) => onChange({ values, value: values.join(', ') })}
      />
    );
  if (def?.type === 'choice' || def?.type === 'multi_choice')
    return <Select label={label} data={options} value={draft.value || null} onChange={one} />;
  if (def?.type === 'boolean')
    return (
      <Select
        label={label}
        data={[
          { value: 'true', label: t('scoring.rules.yes') },
          { value: 'false', label: t('scoring.rules.no') },
        ]}
        value={draft.value || null}
        onChange={one}
      />
    );
  if (def?.type === 'number' || draft.op === 'gte' || draft.op === 'lte')
    return (
      <NumberInput
        label={label}
        value={draft.value === '' ? '' : Number(draft.value)}
        onChange={(v) => onChange({ value: v === '' ? '' : String(v) })}
      />
    );
  if (def?.type === 'date')
    return (
      <TextInput
        type="date"
        label={label}
        value={draft.value}
        onChange={(e) => onChange({ value: e.currentTarget.value })}
      />
    );
  return (
    <TextInput
      label={label}
      description={draft.op === 'in' ? t('scoring.rules.commaSeparated') : undefined}
      value={draft.value}
      onChange={(e) => onChange({ value: e.currentTarget.value })}
    />
  );
}

/** One form, asset or event to pick where the activity names one; else the ref prefix as text. */
function RefPrefixInput({
  kind,
  options,
  value,
  onChange,
}: {
  kind: RefKind | undefined;
  options: { value: string; label: string }[] | undefined;
  value: string;
  onChange: (v: string) => void;
}) {
  const { t } = useTranslation();
  if (kind && options) {
    // A prefix set through the API (e.g. every asset id starting alike) stays visible and kept.
    const data =
      value && !options.some((o) => o.value === value) ? [...options, { value, label: value }] : options;
    return (
      <Select
        label={t(`scoring.rules.refPick.${kind}`)}
        description={t(`scoring.rules.refPickHint.${kind}`)}
        placeholder={t(`scoring.rules.refAny.${kind}`)}
        data={data}
        value={value || null}
        onChange={(v) => onChange(v ?? '')}
        clearable
        searchable
      />
    );
  }
  return (
    <TextInput
      label={t('scoring.rules.refPrefix')}
      description={t('scoring.rules.refPrefixHint')}
      value={value}
      maxLength={200}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}
