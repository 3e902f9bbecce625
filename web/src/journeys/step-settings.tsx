import {
  Button,
  Checkbox,
  Group,
  NumberInput,
  Select,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { assetLabel } from '../forms/forms-api.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import { type EditorStep, type Json, LIFECYCLE_STAGES, TRIGGER_TYPES } from './editor-model.js';

/*
 * The side panel forms of the journey editor: one form per step type, the trigger, a condition
 * (for branches, goals and exit rules), goals, exit rules and the re-entry policy. Every form edits
 * a plain object and hands the changed copy to `onChange`.
 */

type Option = { value: string; label: string };

/** Items of a list endpoint as select options (name, title or subject as the label, unless `describe`). */
export function useOptions(path: string, describe?: (item: Json) => string): Option[] {
  const api = useApi();
  const q = useQuery({
    queryKey: useWorkspaceKey('journey-editor-options', path),
    queryFn: async () => (await api.get<{ items: Json[] }>(path)).items,
    staleTime: 60_000,
  });
  // Labels are made here, not cached: they may follow the language.
  return (q.data ?? []).map((x) => ({
    value: String(x.id),
    label: describe ? describe(x) : String(x.name ?? x.title ?? x.subject ?? x.id),
  }));
}

function IdSelect({
  label,
  path,
  value,
  onChange,
  describe,
}: {
  label: string;
  path: string;
  value: unknown;
  onChange: (v: string) => void;
  describe?: (item: Json) => string;
}) {
  const options = useOptions(path, describe);
  const v = typeof value === 'string' && value ? value : null;
  const data = v && !options.some((o) => o.value === v) ? [...options, { value: v, label: v }] : options;
  return (
    <Select label={label} value={v} data={data} searchable onChange={(x) => onChange(x ?? '')} required />
  );
}

const num = (v: string | number): number => (typeof v === 'number' ? v : Number.parseInt(v, 10) || 0);

function DurationInputs({ value, onChange }: { value: Json; onChange: (v: Json) => void }) {
  const { t } = useTranslation();
  const set = (k: string, v: string | number) => onChange({ ...value, [k]: num(v) });
  return (
    <Group grow>
      <NumberInput
        label={t('journeys.editor.days')}
        min={0}
        value={(value.days as number) ?? 0}
        onChange={(v) => set('days', v)}
      />
      <NumberInput
        label={t('journeys.editor.hours')}
        min={0}
        value={(value.hours as number) ?? 0}
        onChange={(v) => set('hours', v)}
      />
      <NumberInput
        label={t('journeys.editor.minutes')}
        min={0}
        value={(value.minutes as number) ?? 0}
        onChange={(v) => set('minutes', v)}
      />
    </Group>
  );
}

const WEEKDAYS = ['1', '2', '3', '4', '5', '6', '7'] as const;

function WaitForm({ wait, onChange }: { wait: Json; onChange: (w: Json) => void }) {
  const { t } = useTranslation();
  const kind = String(wait.kind);
  const switchKind = (k: string) => {
    if (k === 'duration') onChange({ kind: k, duration: { days: 1 } });
    else if (k === 'until-date')
      onChange({ kind: k, at: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    else if (k === 'until-field-date') onChange({ kind: k, field: 'custom.', offsetDays: 0, time: '09:00' });
    else if (k === 'weekday-time') onChange({ kind: k, weekdays: [1], time: '09:00' });
    else onChange({ kind: 'event', activityType: 'mail.clicked', timeout: { days: 3 } });
  };
  return (
    <Stack gap="xs">
      <Select
        label={t('journeys.editor.waitKind')}
        value={kind}
        allowDeselect={false}
        onChange={(v) => v && switchKind(v)}
        data={(['duration', 'until-date', 'until-field-date', 'weekday-time', 'event'] as const).map((k) => ({
          value: k,
          label: t(`journeys.editor.waitKinds.${k}`),
        }))}
      />
      {kind === 'duration' ? (
        <DurationInputs
          value={(wait.duration as Json) ?? {}}
          onChange={(d) => onChange({ ...wait, duration: d })}
        />
      ) : null}
      {kind === 'until-date' ? (
        <TextInput
          label={t('journeys.editor.untilDate')}
          description="2030-01-31T09:00:00Z"
          value={String(wait.at ?? '')}
          onChange={(e) => onChange({ ...wait, at: e.currentTarget.value })}
        />
      ) : null}
      {kind === 'until-field-date' ? (
        <>
          <TextInput
            label={t('journeys.editor.dateField')}
            value={String(wait.field ?? '')}
            onChange={(e) => onChange({ ...wait, field: e.currentTarget.value })}
          />
          <NumberInput
            label={t('journeys.editor.offsetDays')}
            value={(wait.offsetDays as number) ?? 0}
            onChange={(v) => onChange({ ...wait, offsetDays: num(v) })}
          />
          <TextInput
            label={t('journeys.editor.time')}
            value={String(wait.time ?? '')}
            onChange={(e) => onChange({ ...wait, time: e.currentTarget.value })}
          />
        </>
      ) : null}
      {kind === 'weekday-time' ? (
        <>
          <Checkbox.Group
            label={t('journeys.editor.weekdays')}
            value={((wait.weekdays as number[]) ?? []).map(String)}
            onChange={(v) => onChange({ ...wait, weekdays: v.map(Number).sort() })}
          >
            <Group gap="xs">
              {WEEKDAYS.map((d) => (
                <Checkbox key={d} value={d} label={t(`journeys.editor.weekdayNames.d${d}`)} />
              ))}
            </Group>
          </Checkbox.Group>
          <TextInput
            label={t('journeys.editor.time')}
            value={String(wait.time ?? '')}
            onChange={(e) => onChange({ ...wait, time: e.currentTarget.value })}
          />
        </>
      ) : null}
      {kind === 'event' ? (
        <>
          <TextInput
            label={t('journeys.editor.activityType')}
            description={t('journeys.editor.activityTypeHelp')}
            value={String(wait.activityType ?? '')}
            onChange={(e) => onChange({ ...wait, activityType: e.currentTarget.value })}
          />
          <Text size="sm">{t('journeys.editor.timeout')}</Text>
          <DurationInputs
            value={(wait.timeout as Json) ?? {}}
            onChange={(d) => onChange({ ...wait, timeout: d })}
          />
        </>
      ) : null}
    </Stack>
  );
}

/** One condition: a field, a tag, a stage, a segment or an activity since entry. */
export function ConditionForm({ value, onChange }: { value: Json; onChange: (c: Json) => void }) {
  const { t } = useTranslation();
  const type = String(value.type);
  const simple = ['field', 'tag', 'stage', 'segment', 'activity'] as const;
  if (!(simple as readonly string[]).includes(type))
    return (
      <Text size="sm">
        {t('journeys.editor.complexCondition')} <code>{JSON.stringify(value)}</code>
      </Text>
    );
  const switchType = (k: string) => {
    if (k === 'field') onChange({ type: k, field: 'country', op: 'eq', value: '' });
    else if (k === 'tag') onChange({ type: k, tag: '' });
    else if (k === 'stage') onChange({ type: k, stages: ['sql'] });
    else if (k === 'segment') onChange({ type: k, segmentId: '' });
    else onChange({ type: 'activity', activityType: 'mail.clicked' });
  };
  return (
    <Stack gap="xs">
      <Select
        label={t('journeys.editor.conditionType')}
        value={type}
        allowDeselect={false}
        onChange={(v) => v && switchType(v)}
        data={simple.map((k) => ({ value: k, label: t(`journeys.editor.conditionTypes.${k}`) }))}
      />
      {type === 'field' ? (
        <>
          <TextInput
            label={t('journeys.editor.field')}
            value={String(value.field ?? '')}
            onChange={(e) => onChange({ ...value, field: e.currentTarget.value })}
          />
          <Select
            label={t('journeys.editor.operator')}
            value={String(value.op)}
            allowDeselect={false}
            onChange={(v) => v && onChange({ ...value, op: v })}
            data={(['eq', 'neq', 'contains', 'exists', 'not-exists', 'gt', 'lt'] as const).map((o) => ({
              value: o,
              label: t(`journeys.editor.ops.${o}`),
            }))}
          />
          <TextInput
            label={t('journeys.editor.value')}
            value={String(value.value ?? '')}
            onChange={(e) => onChange({ ...value, value: e.currentTarget.value })}
          />
        </>
      ) : null}
      {type === 'tag' ? (
        <TextInput
          label={t('journeys.editor.tag')}
          value={String(value.tag ?? '')}
          onChange={(e) => onChange({ ...value, tag: e.currentTarget.value })}
        />
      ) : null}
      {type === 'stage' ? (
        <TagsInput
          label={t('journeys.editor.stages')}
          data={LIFECYCLE_STAGES}
          value={(value.stages as string[]) ?? []}
          onChange={(v) => onChange({ ...value, stages: v })}
        />
      ) : null}
      {type === 'segment' ? (
        <IdSelect
          label={t('journeys.editor.segment')}
          path="/api/v1/segments"
          value={value.segmentId}
          onChange={(v) => onChange({ ...value, segmentId: v })}
        />
      ) : null}
      {type === 'activity' ? (
        <TextInput
          label={t('journeys.editor.activityType')}
          description={t('journeys.editor.activityTypeHelp')}
          value={String(value.activityType ?? '')}
          onChange={(e) => onChange({ ...value, activityType: e.currentTarget.value })}
        />
      ) : null}
    </Stack>
  );
}

function MailFields({ step, onChange }: { step: EditorStep; onChange: (s: EditorStep) => void }) {
  const { t } = useTranslation();
  return (
    <>
      <IdSelect
        label={t('journeys.editor.template')}
        path="/api/v1/mail/templates"
        value={step.templateId}
        onChange={(v) => onChange({ ...step, templateId: v })}
      />
      {step.type === 'send-mail' ? (
        <Select
          label={t('journeys.editor.mailKind')}
          value={String(step.kind)}
          allowDeselect={false}
          onChange={(v) => v && onChange({ ...step, kind: v })}
          data={(['marketing', 'transactional'] as const).map((k) => ({
            value: k,
            label: t(`journeys.editor.mailKinds.${k}`),
          }))}
        />
      ) : null}
      <TextInput
        label={t('journeys.editor.purpose')}
        description={t('journeys.editor.purposeHelp')}
        value={String(step.purpose ?? '')}
        onChange={(e) => {
          const v = e.currentTarget.value;
          const copy: EditorStep = { ...step, purpose: v };
          if (!v && step.type === 'send-mail') delete copy.purpose;
          onChange(copy);
        }}
      />
    </>
  );
}

/** A progressive-profiling question: its text in both languages and the field its answer fills. */
function QuestionFields({ step, onChange }: { step: EditorStep; onChange: (s: EditorStep) => void }) {
  const { t } = useTranslation();
  const question = (step.question as Json) ?? {};
  const answer = (step.answer as Json) ?? { kind: 'bant', field: 'timeline' };
  const options = (answer.options as { value: string; label: { de: string; en: string } }[]) ?? [];
  return (
    <>
      <TextInput
        label={t('journeys.editor.questionDe')}
        value={String(question.de ?? '')}
        onChange={(e) => onChange({ ...step, question: { ...question, de: e.currentTarget.value } })}
      />
      <TextInput
        label={t('journeys.editor.questionEn')}
        value={String(question.en ?? '')}
        onChange={(e) => onChange({ ...step, question: { ...question, en: e.currentTarget.value } })}
      />
      <Select
        label={t('journeys.editor.answerKind')}
        value={String(answer.kind)}
        allowDeselect={false}
        onChange={(v) =>
          v &&
          onChange({
            ...step,
            answer:
              v === 'bant' ? { kind: 'bant', field: 'timeline' } : { kind: 'field', field: 'job_title' },
          })
        }
        data={(['bant', 'field'] as const).map((k) => ({
          value: k,
          label: t(`journeys.editor.answerKinds.${k}`),
        }))}
      />
      {answer.kind === 'bant' ? (
        <Select
          label={t('journeys.editor.bantField')}
          value={String(answer.field)}
          allowDeselect={false}
          onChange={(v) => v && onChange({ ...step, answer: { kind: 'bant', field: v } })}
          data={(['need', 'budget', 'authority', 'timeline'] as const).map((k) => ({
            value: k,
            label: t(`journeys.editor.bant.${k}`),
          }))}
        />
      ) : (
        <>
          <TextInput
            label={t('journeys.editor.field')}
            value={String(answer.field ?? '')}
            onChange={(e) => onChange({ ...step, answer: { ...answer, field: e.currentTarget.value } })}
          />
          <Textarea
            label={t('journeys.editor.answerOptions')}
            description={t('journeys.editor.answerOptionsHelp')}
            autosize
            minRows={2}
            defaultValue={options.map((o) => `${o.value}=${o.label.de}|${o.label.en}`).join('\n')}
            onBlur={(e) => {
              const parsed = e.currentTarget.value
                .split('\n')
                .map((line) => line.trim())
                .filter((line) => line.includes('='))
                .map((line) => {
                  const [value = '', labels = ''] = line.split('=', 2);
                  const [de = '', en = de] = labels.split('|');
                  return { value: value.trim(), label: { de: de.trim(), en: en.trim() } };
                });
              const next: Json = { kind: 'field', field: answer.field };
              if (parsed.length > 0) next.options = parsed;
              onChange({ ...step, answer: next });
            }}
          />
        </>
      )}
      <NumberInput
        label={t('journeys.editor.validDays')}
        min={1}
        max={365}
        value={(step.validDays as number) ?? 30}
        onChange={(v) => onChange({ ...step, validDays: Math.min(365, Math.max(1, num(v))) })}
      />
    </>
  );
}

export function StepForm({ step, onChange }: { step: EditorStep; onChange: (s: EditorStep) => void }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs">
      <TextInput
        label={t('journeys.editor.label')}
        value={step.label ?? ''}
        onChange={(e) => onChange({ ...step, label: e.currentTarget.value })}
      />
      {step.type === 'send-mail' ||
      step.type === 'offer-content' ||
      step.type === 'invite-to-event' ||
      step.type === 'ask-question' ? (
        <MailFields step={step} onChange={onChange} />
      ) : null}
      {step.type === 'ask-question' ? <QuestionFields step={step} onChange={onChange} /> : null}
      {step.type === 'offer-content' ? (
        <IdSelect
          label={t('journeys.editor.asset')}
          path="/api/v1/assets"
          // The kind (white paper, checklist, …) as the form builder's asset picker shows it.
          describe={(a) => assetLabel(t, { title: String(a.title), kind: String(a.kind) })}
          value={step.assetId}
          onChange={(v) => onChange({ ...step, assetId: v })}
        />
      ) : null}
      {step.type === 'invite-to-event' ? (
        <IdSelect
          label={t('journeys.editor.event')}
          path="/api/v1/events"
          value={step.eventId}
          onChange={(v) => onChange({ ...step, eventId: v })}
        />
      ) : null}
      {step.type === 'wait' ? (
        <WaitForm
          wait={(step.wait as Json) ?? { kind: 'duration', duration: { days: 1 } }}
          onChange={(w) => {
            const copy: EditorStep = { ...step, wait: w };
            if (w.kind === 'event') copy.timeoutNext = step.timeoutNext ?? null;
            else delete copy.timeoutNext;
            onChange(copy);
          }}
        />
      ) : null}
      {step.type === 'branch' ? (
        <ConditionForm
          value={(step.condition as Json) ?? { type: 'tag', tag: '' }}
          onChange={(c) => onChange({ ...step, condition: c })}
        />
      ) : null}
      {step.type === 'update-contact' ? (
        <>
          <TagsInput
            label={t('journeys.editor.addTags')}
            value={(step.addTags as string[]) ?? []}
            onChange={(v) => onChange({ ...step, addTags: v })}
          />
          <TagsInput
            label={t('journeys.editor.removeTags')}
            value={(step.removeTags as string[]) ?? []}
            onChange={(v) => onChange({ ...step, removeTags: v })}
          />
          <Textarea
            label={t('journeys.editor.setFields')}
            description={t('journeys.editor.setFieldsHelp')}
            autosize
            minRows={2}
            defaultValue={Object.entries((step.set as Json) ?? {})
              .map(([k, v]) => `${k}=${v ?? ''}`)
              .join('\n')}
            onBlur={(e) => {
              const set: Json = {};
              for (const line of e.currentTarget.value.split('\n')) {
                const i = line.indexOf('=');
                if (i > 0) set[line.slice(0, i).trim()] = line.slice(i + 1).trim();
              }
              const copy: EditorStep = { ...step, set };
              if (Object.keys(set).length === 0) delete copy.set;
              onChange(copy);
            }}
          />
        </>
      ) : null}
      {step.type === 'journey' ? (
        <>
          <Select
            label={t('journeys.editor.journeyAction')}
            value={String(step.action)}
            allowDeselect={false}
            onChange={(v) => v && onChange({ ...step, action: v })}
            data={(['add', 'remove'] as const).map((k) => ({
              value: k,
              label: t(`journeys.editor.journeyActions.${k}`),
            }))}
          />
          <IdSelect
            label={t('journeys.editor.otherJourney')}
            path="/api/v1/journeys"
            value={step.journeyId}
            onChange={(v) => onChange({ ...step, journeyId: v })}
          />
        </>
      ) : null}
      {step.type === 'notify-owner' ? (
        <Textarea
          label={t('journeys.editor.message')}
          value={String(step.message ?? '')}
          onChange={(e) => onChange({ ...step, message: e.currentTarget.value })}
        />
      ) : null}
      {step.type === 'webhook' ? (
        <TextInput
          label={t('journeys.editor.url')}
          value={String(step.url ?? '')}
          onChange={(e) => onChange({ ...step, url: e.currentTarget.value })}
        />
      ) : null}
    </Stack>
  );
}

export function TriggerForm({
  value,
  onChange,
}: {
  value: Json;
  onChange: (t: Json & { type: string }) => void;
}) {
  const { t } = useTranslation();
  const forms = useOptions('/api/v1/forms');
  const type = String(value.type);
  const switchType = (k: string) => {
    if (k === 'segment-entered') onChange({ type: k, segmentId: '' });
    else if (k === 'activity') onChange({ type: k, activityType: 'asset.downloaded' });
    else if (k === 'score-crossed') onChange({ type: k, score: 'engagement', threshold: 50 });
    else if (k === 'date-field') onChange({ type: k, field: 'custom.', offsetDays: -7, time: '09:00' });
    else onChange({ type: k });
  };
  return (
    <Stack gap="xs">
      <Select
        label={t('journeys.editor.triggerType')}
        value={type}
        allowDeselect={false}
        onChange={(v) => v && switchType(v)}
        data={TRIGGER_TYPES.map((k) => ({ value: k, label: t(`journeys.triggers.${k}`) }))}
      />
      {type === 'form-submitted' ? (
        <Select
          label={t('journeys.editor.form')}
          value={(value.formId as string) ?? null}
          clearable
          placeholder={t('journeys.editor.anyForm')}
          data={forms}
          onChange={(v) => {
            const next: Json & { type: string } = { type };
            if (v) next.formId = v;
            onChange(next);
          }}
        />
      ) : null}
      {type === 'consent-confirmed' ? (
        <TextInput
          label={t('journeys.editor.purpose')}
          description={t('journeys.editor.anyPurpose')}
          value={String(value.purpose ?? '')}
          onChange={(e) => {
            const v = e.currentTarget.value;
            onChange(v ? { type, purpose: v } : { type });
          }}
        />
      ) : null}
      {type === 'segment-entered' ? (
        <IdSelect
          label={t('journeys.editor.segment')}
          path="/api/v1/segments"
          value={value.segmentId}
          onChange={(v) => onChange({ type, segmentId: v })}
        />
      ) : null}
      {type === 'activity' ? (
        <TextInput
          label={t('journeys.editor.activityType')}
          description={t('journeys.editor.activityTypeHelp')}
          value={String(value.activityType ?? '')}
          onChange={(e) => onChange({ ...value, type, activityType: e.currentTarget.value })}
        />
      ) : null}
      {type === 'stage-changed' ? (
        <TagsInput
          label={t('journeys.editor.stages')}
          description={t('journeys.editor.anyStage')}
          data={LIFECYCLE_STAGES}
          value={(value.stages as string[]) ?? []}
          onChange={(v) => onChange(v.length > 0 ? { type, stages: v } : { type })}
        />
      ) : null}
      {type === 'score-crossed' ? (
        <>
          <Select
            label={t('journeys.editor.score')}
            value={String(value.score)}
            allowDeselect={false}
            onChange={(v) => v && onChange({ ...value, type, score: v })}
            data={(['fit', 'engagement'] as const).map((k) => ({
              value: k,
              label: t(`journeys.editor.scores.${k}`),
            }))}
          />
          <NumberInput
            label={t('journeys.editor.threshold')}
            min={0}
            value={(value.threshold as number) ?? 0}
            onChange={(v) => onChange({ ...value, type, threshold: num(v) })}
          />
        </>
      ) : null}
      {type === 'date-field' ? (
        <>
          <TextInput
            label={t('journeys.editor.dateField')}
            value={String(value.field ?? '')}
            onChange={(e) => onChange({ ...value, type, field: e.currentTarget.value })}
          />
          <NumberInput
            label={t('journeys.editor.offsetDays')}
            value={(value.offsetDays as number) ?? 0}
            onChange={(v) => onChange({ ...value, type, offsetDays: num(v) })}
          />
          <TextInput
            label={t('journeys.editor.time')}
            value={String(value.time ?? '')}
            onChange={(e) => onChange({ ...value, type, time: e.currentTarget.value })}
          />
        </>
      ) : null}
    </Stack>
  );
}

/** Goals or exit rules: a name and a condition each. */
export function RulesForm({
  kind,
  rules,
  onChange,
}: {
  kind: 'goals' | 'exitRules';
  rules: Json[];
  onChange: (r: Json[]) => void;
}) {
  const { t } = useTranslation();
  const set = (i: number, r: Json) => onChange(rules.map((x, j) => (j === i ? r : x)));
  return (
    <Stack gap="sm">
      {rules.map((r, i) => (
        <Stack key={String(r.id)} gap="xs" p="xs" style={{ border: '1px solid #d0d5dc', borderRadius: 6 }}>
          <TextInput
            label={t('journeys.editor.ruleName')}
            value={String(r.name ?? '')}
            onChange={(e) => set(i, { ...r, name: e.currentTarget.value })}
          />
          <ConditionForm
            value={(r.condition as Json) ?? {}}
            onChange={(c) => set(i, { ...r, condition: c })}
          />
          {kind === 'goals' ? (
            <Checkbox
              label={t('journeys.editor.goalExits')}
              checked={r.exits !== false}
              onChange={(e) => set(i, { ...r, exits: e.currentTarget.checked })}
            />
          ) : null}
          <Button
            variant="subtle"
            color="red"
            size="xs"
            onClick={() => onChange(rules.filter((_, j) => j !== i))}
          >
            {t('journeys.editor.removeRule', { name: r.name || r.id })}
          </Button>
        </Stack>
      ))}
      <Button
        variant="default"
        size="xs"
        onClick={() => {
          const taken = new Set(rules.map((r) => String(r.id)));
          let n = rules.length + 1;
          const prefix = kind === 'goals' ? 'goal' : 'exit';
          while (taken.has(`${prefix}-${n}`)) n++;
          onChange([
            ...rules,
            {
              id: `${prefix}-${n}`,
              name: t(kind === 'goals' ? 'journeys.editor.newGoal' : 'journeys.editor.newExitRule'),
              condition:
                kind === 'goals'
                  ? { type: 'stage', stages: ['sql'] }
                  : { type: 'stage', stages: ['customer'] },
            },
          ]);
        }}
      >
        {t(kind === 'goals' ? 'journeys.editor.addGoal' : 'journeys.editor.addExitRule')}
      </Button>
    </Stack>
  );
}

export function ReentryForm({
  value,
  onChange,
}: {
  value: Json;
  onChange: (r: Json & { policy: string }) => void;
}) {
  const { t } = useTranslation();
  return (
    <Group align="flex-end">
      <Select
        label={t('journeys.editor.reentry')}
        value={String(value.policy)}
        allowDeselect={false}
        onChange={(v) => v && onChange(v === 'after-days' ? { policy: v, days: 30 } : { policy: v })}
        data={(['never', 'after-exit', 'after-days'] as const).map((k) => ({
          value: k,
          label: t(`journeys.editor.reentryPolicies.${k}`),
        }))}
      />
      {value.policy === 'after-days' ? (
        <NumberInput
          label={t('journeys.editor.days')}
          min={1}
          value={(value.days as number) ?? 30}
          onChange={(v) => onChange({ policy: 'after-days', days: Math.max(1, num(v)) })}
        />
      ) : null}
    </Group>
  );
}
