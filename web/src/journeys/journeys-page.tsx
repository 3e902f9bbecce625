import {
  Anchor,
  Badge,
  Button,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes, useParams } from 'react-router';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import type { EditorDefinition } from './editor-model.js';
import { JourneyEditor } from './journey-editor.js';
import {
  useCreateJourney,
  useJourney,
  useJourneyAction,
  useJourneyStats,
  useJourneys,
  useSimulation,
  useStepContacts,
} from './journeys-api.js';
import { TestContactPicker } from './test-contact-picker.js';

export function JourneysRoutes() {
  return (
    <Routes>
      <Route index element={<JourneysPage />} />
      <Route path=":id" element={<JourneyPage />} />
    </Routes>
  );
}

function useCanWrite(): boolean {
  const { role, canManage } = useCurrentWorkspace();
  return canManage || role === 'marketing';
}

export function JourneysPage() {
  const { t } = useTranslation();
  const journeys = useJourneys();
  const create = useCreateJourney();
  const canWrite = useCanWrite();
  const [name, setName] = useState('');
  return (
    <Page title={t('journeys.title')} description={t('journeys.description')}>
      {canWrite ? (
        <Group align="flex-end">
          <TextInput
            label={t('journeys.newName')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Button
            disabled={!name.trim()}
            loading={create.isPending}
            onClick={() => create.mutate(name, { onSuccess: () => setName('') })}
          >
            {t('journeys.create')}
          </Button>
        </Group>
      ) : null}
      {journeys.isPending ? (
        <Loading />
      ) : journeys.isError ? (
        <ErrorState error={journeys.error} onRetry={() => void journeys.refetch()} />
      ) : journeys.data.length === 0 ? (
        <Text c="dimmed">{t('journeys.empty')}</Text>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('journeys.name')}</Table.Th>
              <Table.Th>{t('journeys.status')}</Table.Th>
              <Table.Th>{t('journeys.trigger')}</Table.Th>
              <Table.Th>{t('journeys.version')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {journeys.data.map((j) => (
              <Table.Tr key={j.id}>
                <Table.Td>
                  <Anchor component={Link} to={j.id}>
                    {j.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={j.status === 'active' ? 'green' : 'gray'}>
                    {t(`journeys.statuses.${j.status}`)}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {j.triggerType
                    ? t(`journeys.triggers.${j.triggerType}`, { defaultValue: j.triggerType })
                    : '–'}
                </Table.Td>
                <Table.Td>{j.liveVersion ?? '–'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Page>
  );
}

export function JourneyPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const journey = useJourney(id);
  const stats = useJourneyStats(id);
  const action = useJourneyAction(id);
  const simulation = useSimulation(id);
  const canWrite = useCanWrite();
  const [contactId, setContactId] = useState<string | null>(null);
  const [planned, setPlanned] = useState<{ afterHours: number; type: string }[]>([]);
  const [planHours, setPlanHours] = useState<number | string>(24);
  const [planType, setPlanType] = useState('mail.clicked');
  if (journey.isPending) return <Loading />;
  if (journey.isError) return <ErrorState error={journey.error} onRetry={() => void journey.refetch()} />;
  const { journey: j, draft, live } = journey.data;
  const definition = live ?? draft;
  const stepLabel = (id: string | null) => {
    if (id === null) return '–';
    const s = draft.steps.find((x) => x.id === id) ?? live?.steps.find((x) => x.id === id);
    return s?.label || id;
  };
  const describe = (detail: Record<string, unknown>) =>
    Object.entries(detail)
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) =>
        k === 'action'
          ? t(`journeys.stepTypes.${String(v)}`, { defaultValue: String(v) })
          : `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
      )
      .join(' · ');
  return (
    <Page
      title={j.name}
      description={t(`journeys.statuses.${j.status}`)}
      actions={
        canWrite ? (
          <>
            {j.status === 'draft' || j.status === 'paused' ? (
              <Button
                loading={action.isPending}
                onClick={() => action.mutate(j.status === 'paused' ? 'resume' : 'activate')}
              >
                {j.status === 'paused' ? t('journeys.resume') : t('journeys.activate')}
              </Button>
            ) : null}
            {j.status === 'active' ? (
              <Button variant="default" loading={action.isPending} onClick={() => action.mutate('pause')}>
                {t('journeys.pause')}
              </Button>
            ) : null}
          </>
        ) : null
      }
    >
      {action.isError ? <Text c="red">{messageOf(action.error, t)}</Text> : null}
      {stats.data ? (
        <Text>
          {t('journeys.totals', {
            entered: stats.data.totals.entered,
            inside: stats.data.totals.inside,
            completed: stats.data.totals.completed,
            goal: stats.data.totals.goal,
          })}
        </Text>
      ) : null}
      <JourneyEditor
        key={j.id}
        journeyId={j.id}
        draft={(canWrite && j.status !== 'archived' ? draft : definition) as unknown as EditorDefinition}
        counters={stats.data?.steps ?? []}
        readOnly={!canWrite || j.status === 'archived'}
      />
      <Table aria-label={t('journeys.perStep')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('journeys.step')}</Table.Th>
            <Table.Th>{t('journeys.entered')}</Table.Th>
            <Table.Th>{t('journeys.waiting')}</Table.Th>
            <Table.Th>{t('journeys.completed')}</Table.Th>
            <Table.Th>{t('journeys.exited')}</Table.Th>
            <Table.Th>{t('journeys.goal')}</Table.Th>
            <Table.Th>{t('journeys.conversion')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {definition.steps.map((s) => {
            const c = stats.data?.steps.find((x) => x.stepId === s.id);
            return (
              <Table.Tr key={s.id}>
                <Table.Td>{s.label ?? s.id}</Table.Td>
                <Table.Td>{c?.entered ?? 0}</Table.Td>
                <Table.Td>{c?.waiting ?? 0}</Table.Td>
                <Table.Td>{c?.completed ?? 0}</Table.Td>
                <Table.Td>{c?.exited ?? 0}</Table.Td>
                <Table.Td>{c?.goal ?? 0}</Table.Td>
                <Table.Td>
                  {c?.conversion === null || c === undefined ? '–' : `${Math.round(c.conversion * 100)} %`}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <StepContacts
        journeyId={j.id}
        steps={definition.steps.map((s) => ({ id: s.id, label: stepLabel(s.id) }))}
      />
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h3">
            {t('journeys.testRun')}
          </Title>
          <Text size="sm">{t('journeys.testRunHelp')}</Text>
          <Group align="flex-end">
            <TestContactPicker value={contactId} onChange={setContactId} />
            <Button
              disabled={!contactId}
              loading={simulation.isPending}
              onClick={() => contactId && simulation.mutate({ contactId, days: 30, activities: planned })}
            >
              {t('journeys.simulate')}
            </Button>
          </Group>
          <Group align="flex-end">
            <NumberInput
              label={t('journeys.planAfterHours')}
              min={0}
              max={720}
              value={planHours}
              onChange={setPlanHours}
            />
            <TextInput
              label={t('journeys.planActivity')}
              description={t('journeys.editor.activityTypeHelp')}
              value={planType}
              onChange={(e) => setPlanType(e.currentTarget.value)}
            />
            <Button
              variant="default"
              disabled={!/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/.test(planType.trim())}
              onClick={() =>
                setPlanned((p) =>
                  [
                    ...p.filter(
                      (x) => x.afterHours !== (Number(planHours) || 0) || x.type !== planType.trim(),
                    ),
                    { afterHours: Number(planHours) || 0, type: planType.trim() },
                  ].sort((a, b) => a.afterHours - b.afterHours),
                )
              }
            >
              {t('journeys.planAdd')}
            </Button>
          </Group>
          {planned.length > 0 ? (
            <Stack gap={4}>
              {planned.map((p, i) => (
                <Group key={`${p.afterHours}-${p.type}`} gap="xs">
                  <Text size="sm">{t('journeys.planned', { hours: p.afterHours, type: p.type })}</Text>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    color="red"
                    onClick={() => setPlanned((all) => all.filter((_, j) => j !== i))}
                  >
                    {t('journeys.planRemove', { type: p.type, hours: p.afterHours })}
                  </Button>
                </Group>
              ))}
            </Stack>
          ) : null}
          {simulation.isError ? <Text c="red">{messageOf(simulation.error, t)}</Text> : null}
          {simulation.data ? (
            <Table aria-label={t('journeys.testRun')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('journeys.day')}</Table.Th>
                  <Table.Th>{t('journeys.when')}</Table.Th>
                  <Table.Th>{t('journeys.step')}</Table.Th>
                  <Table.Th>{t('journeys.what')}</Table.Th>
                  <Table.Th>{t('journeys.details')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {simulation.data.entries.map((e, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: entries are a fixed list
                  <Table.Tr key={i}>
                    <Table.Td>
                      {t('journeys.dayN', {
                        n: Math.floor(
                          (Date.parse(e.at) - Date.parse(simulation.data.entries[0]?.at ?? e.at)) /
                            86_400_000,
                        ),
                      })}
                    </Table.Td>
                    <Table.Td>{new Date(e.at).toLocaleString()}</Table.Td>
                    <Table.Td>{stepLabel(e.stepId)}</Table.Td>
                    <Table.Td>{t(`journeys.kinds.${e.kind}`, { defaultValue: e.kind })}</Table.Td>
                    <Table.Td>{describe(e.detail)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : null}
        </Stack>
      </Paper>
    </Page>
  );
}

/** Who is at which step now: pick a step, see its contacts (live, newest first, at most 200). */
function StepContacts({ journeyId, steps }: { journeyId: string; steps: { id: string; label: string }[] }) {
  const { t } = useTranslation();
  const [stepId, setStepId] = useState<string | null>(null);
  const contacts = useStepContacts(journeyId, stepId);
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h3">
          {t('journeys.atStep.title')}
        </Title>
        <Select
          label={t('journeys.atStep.step')}
          placeholder={t('journeys.atStep.pick')}
          value={stepId}
          onChange={setStepId}
          data={steps.map((s) => ({ value: s.id, label: s.label }))}
        />
        {stepId === null ? null : contacts.isError ? (
          <ErrorState error={contacts.error} onRetry={() => void contacts.refetch()} />
        ) : contacts.isPending ? (
          <Loading />
        ) : contacts.data.length === 0 ? (
          <Text c="dimmed">{t('journeys.atStep.none')}</Text>
        ) : (
          <Table aria-label={t('journeys.atStep.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('journeys.atStep.contact')}</Table.Th>
                <Table.Th>{t('journeys.atStep.status')}</Table.Th>
                <Table.Th>{t('journeys.atStep.entered')}</Table.Th>
                <Table.Th>{t('journeys.atStep.waitUntil')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {contacts.data.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/contacts/${c.contactId}`}>
                      {c.email}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{t(`journeys.atStep.statuses.${c.status}`, { defaultValue: c.status })}</Table.Td>
                  <Table.Td>{new Date(c.enteredAt).toLocaleString()}</Table.Td>
                  <Table.Td>{c.waitUntil ? new Date(c.waitUntil).toLocaleString() : '–'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {contacts.data?.length === 200 ? <Text size="xs">{t('journeys.atStep.newest')}</Text> : null}
      </Stack>
    </Paper>
  );
}
