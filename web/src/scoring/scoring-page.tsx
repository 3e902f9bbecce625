import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Progress,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { LIFECYCLE_STAGES, useCustomFields } from '../contacts/contacts-api.js';
import { useStageName } from '../contacts/stage-names.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { messageOf } from '../ui/errors.js';
import { Page } from '../ui/page.js';
import { RuleForm, useRefOptions } from './rule-form.js';
import { customFieldOf, PROFILE_FIELDS } from './rule-model.js';
import {
  type MqlRule,
  type ScoringRule,
  type ScoringSettings,
  useCanWriteScoring,
  useInvalidateScoring,
  useRecomputeProgress,
  useScoringRules,
  useScoringSettings,
} from './scoring-api.js';

const MQL_STAGES = ['subscriber', 'engaged', 'recycled'];

/** Scoring rules editor, MQL rule with preview on current data, and recompute progress. */
export function ScoringPage() {
  const { t } = useTranslation();
  // Without scoring:write the server refuses every save: show the data, not the editors.
  const canWrite = useCanWriteScoring();
  return (
    <Page title={t('scoring.title')} description={t('scoring.description')}>
      {canWrite ? null : (
        <Alert color="gray" variant="light" data-testid="scoring-read-only">
          {t('scoring.readOnly')}
        </Alert>
      )}
      <RecomputeBar />
      <MqlEditor canWrite={canWrite} />
      <DecayTemperatureEditor canWrite={canWrite} />
      <LifecycleEditor canWrite={canWrite} />
      <RulesEditor canWrite={canWrite} />
    </Page>
  );
}

function RecomputeBar() {
  const { t } = useTranslation();
  const progress = useRecomputeProgress();
  const p = progress.data;
  if (!p || p.state === 'none') return null;
  const pct = p.total > 0 ? Math.round((p.done / p.total) * 100) : 100;
  return (
    <Paper withBorder p="md" aria-live="polite">
      <Text size="sm">
        {p.state === 'running'
          ? t('scoring.recompute.running', { done: p.done, total: p.total })
          : t('scoring.recompute.done', { total: p.total })}
      </Text>
      <Progress value={pct} mt="xs" aria-label={t('scoring.recompute.label')} />
    </Paper>
  );
}

function MqlEditor({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const stageName = useStageName();
  const api = useApi();
  const settings = useScoringSettings();
  const invalidate = useInvalidateScoring();
  const [rule, setRule] = useState<MqlRule | null>(null);
  useEffect(() => {
    if (settings.data && !rule) setRule(settings.data.mql);
  }, [settings.data, rule]);
  const preview = useMutation({
    mutationFn: (r: MqlRule) =>
      api.post<{ count: number; sample: { id: string; email: string }[] }>('/api/v1/scoring/mql-preview', r),
  });
  const save = useMutation({
    mutationFn: (r: MqlRule) =>
      api.request('PUT', '/api/v1/scoring/settings', { body: { ...settings.data, mql: r } }),
    onSuccess: () => {
      notifications.show({ color: 'green', message: t('scoring.mql.saved') });
      invalidate();
    },
    onError: (err) => notifications.show({ color: 'red', message: messageOf(err, t) }),
  });
  if (!rule) return null;
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {t('scoring.mql.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('scoring.mql.movesTo', { stage: stageName('mql') })}
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput
            label={t('scoring.mql.fitMin')}
            value={rule.fitMin ?? ''}
            readOnly={!canWrite}
            onChange={(v) => setRule({ ...rule, fitMin: v === '' ? null : Number(v) })}
          />
          <NumberInput
            label={t('scoring.mql.engagementMin')}
            value={rule.engagementMin ?? ''}
            readOnly={!canWrite}
            onChange={(v) => setRule({ ...rule, engagementMin: v === '' ? null : Number(v) })}
          />
        </SimpleGrid>
        <Switch
          label={t('scoring.mql.handRaiser')}
          checked={rule.handRaiser}
          disabled={!canWrite}
          onChange={(e) => setRule({ ...rule, handRaiser: e.currentTarget.checked })}
        />
        <Checkbox.Group
          label={t('scoring.mql.fromStages')}
          value={rule.fromStages}
          onChange={(v) => setRule({ ...rule, fromStages: v })}
        >
          <Group mt="xs">
            {MQL_STAGES.map((s) => (
              <Checkbox key={s} value={s} label={stageName(s)} disabled={!canWrite} />
            ))}
          </Group>
        </Checkbox.Group>
        <Group>
          <Button variant="default" onClick={() => preview.mutate(rule)} loading={preview.isPending}>
            {t('scoring.mql.preview')}
          </Button>
          {canWrite ? (
            <Button onClick={() => save.mutate(rule)} loading={save.isPending}>
              {t('common.save')}
            </Button>
          ) : null}
        </Group>
        {preview.data ? (
          <Alert color="blue" role="status" data-testid="mql-preview">
            {t('scoring.mql.wouldMake', { count: preview.data.count, stage: stageName('mql') })}
          </Alert>
        ) : null}
        {preview.error ? <Alert color="red">{messageOf(preview.error, t)}</Alert> : null}
      </Stack>
    </Paper>
  );
}

type DecayTemperature = Pick<ScoringSettings, 'halfLifeDays' | 'engagedMin' | 'temperature'>;

/** Decay half-life, the "engaged" threshold and the temperature rules (warm by returning, hot by fit). */
function DecayTemperatureEditor({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const settings = useScoringSettings();
  const invalidate = useInvalidateScoring();
  const [form, setForm] = useState<DecayTemperature | null>(null);
  useEffect(() => {
    if (settings.data && !form)
      setForm({
        halfLifeDays: settings.data.halfLifeDays,
        engagedMin: settings.data.engagedMin,
        temperature: settings.data.temperature,
      });
  }, [settings.data, form]);
  const save = useMutation({
    mutationFn: (f: DecayTemperature) =>
      api.request('PUT', '/api/v1/scoring/settings', { body: { ...settings.data, ...f } }),
    onSuccess: () => {
      notifications.show({ color: 'green', message: t('scoring.settings.saved') });
      invalidate();
    },
    onError: (err) => notifications.show({ color: 'red', message: messageOf(err, t) }),
  });
  if (!form) return null;
  const orNull = (v: string | number) => (v === '' ? null : Number(v));
  const temperature = (patch: Partial<DecayTemperature['temperature']>) =>
    setForm({ ...form, temperature: { ...form.temperature, ...patch } });
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="decay-title">
      <Stack gap="sm">
        <Title order={2} size="h4" id="decay-title">
          {t('scoring.settings.title')}
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput
            label={t('scoring.settings.halfLifeDays')}
            description={t('scoring.settings.halfLifeHint')}
            min={0}
            max={3650}
            value={form.halfLifeDays}
            readOnly={!canWrite}
            onChange={(v) => setForm({ ...form, halfLifeDays: Number(v) || 0 })}
          />
          <NumberInput
            label={t('scoring.settings.engagedMin')}
            description={t('scoring.settings.emptyNever')}
            value={form.engagedMin ?? ''}
            readOnly={!canWrite}
            onChange={(v) => setForm({ ...form, engagedMin: orNull(v) })}
          />
          <NumberInput
            label={t('scoring.settings.returnDays')}
            description={t('scoring.settings.returnHint')}
            min={0}
            max={365}
            value={form.temperature.returnDays}
            readOnly={!canWrite}
            onChange={(v) => temperature({ returnDays: Number(v) || 0 })}
          />
          <NumberInput
            label={t('scoring.settings.returnWindowDays')}
            min={1}
            max={3650}
            value={form.temperature.returnWindowDays}
            readOnly={!canWrite}
            onChange={(v) => temperature({ returnWindowDays: Number(v) || 1 })}
          />
          <NumberInput
            label={t('scoring.settings.hotFitMin')}
            description={t('scoring.settings.hotFitHint')}
            value={form.temperature.hotFitMin ?? ''}
            readOnly={!canWrite}
            onChange={(v) => temperature({ hotFitMin: orNull(v) })}
          />
        </SimpleGrid>
        <Text size="sm" c="dimmed">
          {t('scoring.settings.signalsHint')}
        </Text>
        {canWrite ? (
          <Group>
            <Button onClick={() => save.mutate(form)} loading={save.isPending}>
              {t('scoring.settings.save')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Paper>
  );
}

/** The workspace's own stage names (de/en) and which moves are allowed from each stage. */
function LifecycleEditor({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const settings = useScoringSettings();
  const invalidate = useInvalidateScoring();
  const stageName = useStageName();
  const [labels, setLabels] = useState<ScoringSettings['stageLabels'] | null>(null);
  const [moves, setMoves] = useState<Record<string, string[]>>({});
  useEffect(() => {
    if (settings.data && !labels) {
      setLabels(settings.data.stageLabels ?? {});
      setMoves(settings.data.transitions ?? {});
    }
  }, [settings.data, labels]);
  const save = useMutation({
    mutationFn: () => {
      // A stage without a restriction may move anywhere (not listed).
      const transitions = Object.fromEntries(Object.entries(moves).filter(([, to]) => to.length > 0));
      return api.request('PUT', '/api/v1/scoring/settings', {
        body: {
          ...settings.data,
          stageLabels: labels,
          transitions: Object.keys(transitions).length > 0 ? transitions : null,
        },
      });
    },
    onSuccess: () => {
      notifications.show({ color: 'green', message: t('scoring.lifecycle.saved') });
      invalidate();
    },
    onError: (err) => notifications.show({ color: 'red', message: messageOf(err, t) }),
  });
  if (!labels) return null;
  const ourName = (s: (typeof LIFECYCLE_STAGES)[number]) => t(`contacts.stages.${s}`);
  const setLabel = (stage: string, lang: 'de' | 'en', value: string) =>
    setLabels({ ...labels, [stage]: { ...(labels[stage] ?? {}), [lang]: value || undefined } });
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="lifecycle-title">
      <Stack gap="sm">
        <Title order={2} size="h4" id="lifecycle-title">
          {t('scoring.lifecycle.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('scoring.lifecycle.hint')}
        </Text>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('scoring.stage')}</Table.Th>
              <Table.Th>{t('scoring.lifecycle.nameDe')}</Table.Th>
              <Table.Th>{t('scoring.lifecycle.nameEn')}</Table.Th>
              <Table.Th>{t('scoring.lifecycle.movesTo')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {LIFECYCLE_STAGES.map((stage) => (
              <Table.Tr key={stage}>
                <Table.Td>
                  {stageName(stage)}
                  {stageName(stage) !== ourName(stage) ? (
                    <Text size="xs" c="dimmed">
                      {t('scoring.lifecycle.standardName', { name: ourName(stage) })}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <TextInput
                    aria-label={t('scoring.lifecycle.nameDeOf', { stage: stageName(stage) })}
                    value={labels[stage]?.de ?? ''}
                    maxLength={60}
                    readOnly={!canWrite}
                    onChange={(e) => setLabel(stage, 'de', e.currentTarget.value)}
                  />
                </Table.Td>
                <Table.Td>
                  <TextInput
                    aria-label={t('scoring.lifecycle.nameEnOf', { stage: stageName(stage) })}
                    value={labels[stage]?.en ?? ''}
                    maxLength={60}
                    readOnly={!canWrite}
                    onChange={(e) => setLabel(stage, 'en', e.currentTarget.value)}
                  />
                </Table.Td>
                <Table.Td miw={220}>
                  <MultiSelect
                    aria-label={t('scoring.lifecycle.movesToOf', { stage: stageName(stage) })}
                    placeholder={moves[stage]?.length ? undefined : t('scoring.lifecycle.anyStage')}
                    data={LIFECYCLE_STAGES.filter((s) => s !== stage).map((s) => ({
                      value: s,
                      label: stageName(s),
                    }))}
                    value={moves[stage] ?? []}
                    onChange={(v) => setMoves({ ...moves, [stage]: v })}
                    readOnly={!canWrite}
                    comboboxProps={{ withinPortal: false }}
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {canWrite ? (
          <Group>
            <Button onClick={() => save.mutate()} loading={save.isPending}>
              {t('scoring.lifecycle.save')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Paper>
  );
}

/** The rules table (with edit and delete per rule) and the form to add a rule. */
function RulesEditor({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const api = useApi();
  const rules = useScoringRules();
  const invalidate = useInvalidateScoring();
  const customFields = useCustomFields('contact');
  const refOptions = useRefOptions();
  const [editing, setEditing] = useState<ScoringRule | null>(null);
  const [deleting, setDeleting] = useState<ScoringRule | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/scoring/rules/${id}`),
    onSuccess: () => {
      setDeleting(null);
      invalidate();
      notifications.show({ color: 'green', message: t('scoring.rules.deleted') });
    },
    onError: (err) => notifications.show({ color: 'red', message: messageOf(err, t) }),
  });
  const refName = (prefix: string) =>
    Object.values(refOptions)
      .flatMap((o) => o ?? [])
      .find((o) => o.value === prefix)?.label;
  const condition = (r: ScoringRule): string => {
    const d = r.definition;
    if (r.kind === 'fit') {
      const field = String(d.field);
      const def = customFieldOf(field, customFields.data);
      const fieldName = (PROFILE_FIELDS as readonly string[]).includes(field)
        ? t(`scoring.fields.${field as (typeof PROFILE_FIELDS)[number]}`)
        : (def?.label ?? field);
      const op = t(`scoring.ops.${d.op as 'equals'}`);
      if (d.op === 'exists') return `${fieldName} ${op}`;
      const optionLabel = (v: unknown) => def?.options.find((o) => o.value === String(v))?.label ?? String(v);
      const value = Array.isArray(d.value) ? d.value.map(optionLabel).join(', ') : optionLabel(d.value);
      return t('scoring.rules.fitCondition', { field: fieldName, op, value });
    }
    const parts = [String(d.activityType)];
    if (typeof d.refPrefix === 'string' && d.refPrefix)
      parts.push(
        refName(d.refPrefix)
          ? t('scoring.rules.onlyRef', { ref: refName(d.refPrefix) })
          : t('scoring.rules.onlyPrefix', { prefix: d.refPrefix }),
      );
    if (d.cap) parts.push(t('scoring.rules.capShort', d.cap as { points: number; periodDays: number }));
    return parts.join(' · ');
  };
  return (
    <Stack gap="md">
      <Title order={2} size="h4">
        {t('scoring.rules.title')}
      </Title>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('scoring.rule')}</Table.Th>
            <Table.Th>{t('scoring.kind')}</Table.Th>
            <Table.Th>{t('scoring.rules.condition')}</Table.Th>
            <Table.Th>{t('scoring.points')}</Table.Th>
            {canWrite ? <Table.Th>{t('common.actions')}</Table.Th> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(rules.data?.items ?? []).map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>{r.name}</Table.Td>
              <Table.Td>
                {r.kind === 'fit' ? t('scoring.fit') : t('scoring.engagement')}
                {r.enabled ? null : (
                  <Badge ml="xs" variant="light" color="gray" tt="none">
                    {t('scoring.rules.inactive')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm" data-testid={`rule-condition-${r.id}`}>
                  {condition(r)}
                </Text>
              </Table.Td>
              <Table.Td>{r.points}</Table.Td>
              {canWrite ? (
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button
                      size="xs"
                      variant="subtle"
                      onClick={() => setEditing(r)}
                      aria-label={t('scoring.rules.editNamed', { name: r.name })}
                    >
                      {t('scoring.rules.edit')}
                    </Button>
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      onClick={() => setDeleting(r)}
                      aria-label={t('scoring.rules.deleteNamed', { name: r.name })}
                    >
                      {t('common.delete')}
                    </Button>
                  </Group>
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
          {rules.data && rules.data.items.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={canWrite ? 5 : 4}>{t('scoring.rules.empty')}</Table.Td>
            </Table.Tr>
          ) : null}
        </Table.Tbody>
      </Table>

      {canWrite ? (
        <Paper withBorder p="md" component="section" aria-labelledby="add-rule-title">
          <Stack gap="sm">
            <Title order={3} size="h5" id="add-rule-title">
              {t('scoring.rules.add')}
            </Title>
            <RuleForm rule={null} />
          </Stack>
        </Paper>
      ) : null}
      <ConfirmDialog
        opened={deleting !== null}
        title={t('scoring.rules.deleteTitle', { name: deleting?.name ?? '' })}
        text={t('scoring.rules.deleteText')}
        confirmLabel={t('common.delete')}
        loading={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onClose={() => setDeleting(null)}
      />
      {canWrite && editing ? (
        <Modal
          opened
          size="xl"
          onClose={() => setEditing(null)}
          title={t('scoring.rules.editTitle', { name: editing.name })}
        >
          <RuleForm rule={editing} onSaved={() => setEditing(null)} onCancel={() => setEditing(null)} />
        </Modal>
      ) : null}
    </Stack>
  );
}
