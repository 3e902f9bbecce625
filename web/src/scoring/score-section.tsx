import { LineChart } from '@mantine/charts';
import {
  Alert,
  Badge,
  Button,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ContactSectionProps } from '../contacts/contact-section.js';
import { useStageName } from '../contacts/stage-names.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { TEMPERATURE_COLOR, useReasonText } from './qualification-summary.js';
import { type BantAnswers, type BantState, useSaveBant, useScoreExplanation } from './scoring-api.js';
import { stageCauseLabel } from './stage-cause.js';

/** The contact page's "Score" tab: "Why 72?", temperature with reasons, history chart, BANT, stage times. */
export function ScoreSection({ detail, canWrite }: ContactSectionProps) {
  const { t } = useTranslation();
  const { date: formatDate } = useFormatters();
  const reasonText = useReasonText();
  const stageName = useStageName();
  const query = useScoreExplanation(detail.contact.id);
  if (query.isLoading) return <Text>{t('common.loading')}</Text>;
  if (query.error || !query.data)
    return (
      <Alert color="red" title={t('scoring.loadFailed')}>
        {messageOf(query.error, t)}
      </Alert>
    );
  const s = query.data;
  const history = s.history.map((h) => ({ date: formatDate(h.at), fit: h.fit, engagement: h.engagement }));
  return (
    <Stack gap="lg">
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Paper withBorder p="md">
          <Text size="sm" c="dimmed">
            {t('scoring.fit')}
          </Text>
          <Text fz={32} fw={700} data-testid="fit-score">
            {s.fit.score}
          </Text>
        </Paper>
        <Paper withBorder p="md">
          <Text size="sm" c="dimmed">
            {t('scoring.engagement')}
          </Text>
          <Text fz={32} fw={700} data-testid="engagement-score">
            {s.engagement.score}
          </Text>
          <Text size="xs" c="dimmed">
            {t('scoring.halfLife', { days: s.halfLifeDays })}
          </Text>
        </Paper>
        <Paper withBorder p="md">
          <Text size="sm" c="dimmed">
            {t('scoring.temperature')}
          </Text>
          <Badge size="xl" color={TEMPERATURE_COLOR[s.temperature.temperature]} variant="light">
            {t(`scoring.temperatures.${s.temperature.temperature}`)}
          </Badge>
          {s.temperature.reasons.map((r) => (
            <Text size="sm" key={`${r.code}${r.rule ?? ''}`}>
              {reasonText(r)}
            </Text>
          ))}
        </Paper>
      </SimpleGrid>

      <Stack gap="xs">
        <Title order={2} size="h4">
          {t('scoring.why', { fit: s.fit.score, engagement: s.engagement.score })}
        </Title>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('scoring.rule')}</Table.Th>
              <Table.Th>{t('scoring.kind')}</Table.Th>
              <Table.Th>{t('scoring.points')}</Table.Th>
              <Table.Th>{t('scoring.date')}</Table.Th>
              <Table.Th>{t('scoring.decayed')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {s.fit.contributions.map((c) => (
              <Table.Tr key={`fit-${c.ruleId}`}>
                <Table.Td>{c.rule}</Table.Td>
                <Table.Td>{t('scoring.fit')}</Table.Td>
                <Table.Td>{c.points}</Table.Td>
                <Table.Td>—</Table.Td>
                <Table.Td>{c.points}</Table.Td>
              </Table.Tr>
            ))}
            {s.engagement.contributions.map((c) => (
              <Table.Tr key={`eng-${c.ruleId}-${c.activityId}`}>
                <Table.Td>{c.rule}</Table.Td>
                <Table.Td>{t('scoring.engagement')}</Table.Td>
                <Table.Td>
                  {c.points}
                  {c.capped ? ` ${t('scoring.capped', { points: c.capped })}` : ''}
                </Table.Td>
                <Table.Td>{c.at ? formatDate(c.at) : '—'}</Table.Td>
                <Table.Td>{c.decayed}</Table.Td>
              </Table.Tr>
            ))}
            {s.fit.contributions.length + s.engagement.contributions.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={5}>{t('scoring.noContributions')}</Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
      </Stack>

      <Stack gap="xs">
        <Title order={2} size="h4">
          {t('scoring.history')}
        </Title>
        {history.length > 1 ? (
          <LineChart
            h={220}
            data={history}
            dataKey="date"
            series={[
              { name: 'fit', label: t('scoring.fit'), color: 'indigo.7' },
              { name: 'engagement', label: t('scoring.engagement'), color: 'teal.8' },
            ]}
            withLegend
            aria-label={t('scoring.history')}
          />
        ) : (
          <Text size="sm" c="dimmed">
            {t('scoring.historyEmpty')}
          </Text>
        )}
      </Stack>

      <BantEditor contactId={detail.contact.id} state={s.bant} canWrite={canWrite} />

      <Stack gap="xs">
        <Title order={2} size="h4">
          {t('scoring.stageHistory')}
        </Title>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('scoring.stage')}</Table.Th>
              <Table.Th>{t('scoring.date')}</Table.Th>
              <Table.Th>{t('scoring.cause')}</Table.Th>
              <Table.Th>{t('scoring.note')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {s.stages.moves.map((m) => (
              <Table.Tr key={`${m.at}-${m.to}`}>
                <Table.Td>
                  {m.from ? stageName(m.from) : '—'} → {stageName(m.to)}
                </Table.Td>
                <Table.Td>{formatDate(m.at)}</Table.Td>
                <Table.Td>{stageCauseLabel(t, m.cause, m.by)}</Table.Td>
                <Table.Td>{m.note ?? ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group gap="md">
          {Object.entries(s.stages.timeInStageMs).map(([stage, ms]) => (
            <Text size="sm" key={stage}>
              {t('scoring.timeInStage', {
                stage: stageName(stage),
                days: Math.round((ms / 86_400_000) * 10) / 10,
              })}
            </Text>
          ))}
        </Group>
      </Stack>
    </Stack>
  );
}

function BantEditor({
  contactId,
  state,
  canWrite,
}: {
  contactId: string;
  state: BantState;
  canWrite: boolean;
}) {
  const { t } = useTranslation();
  const { date: formatDate } = useFormatters();
  const save = useSaveBant(contactId);
  const [answers, setAnswers] = useState<BantAnswers>(state.answers);
  useEffect(() => setAnswers(state.answers), [state.answers]);
  const source = (field: string) => {
    const m = state.meta[field];
    return m
      ? t('scoring.bant.source', {
          source: t(`scoring.bant.sources.${m.source}` as 'scoring.bant.sources.api'),
          date: formatDate(m.answeredAt),
        })
      : t('scoring.bant.unknown');
  };
  const submit = () =>
    save.mutate(answers, {
      onSuccess: () => notifications.show({ color: 'green', message: t('scoring.bant.saved') }),
      onError: (err) => notifications.show({ color: 'red', message: messageOf(err, t) }),
    });
  return (
    <Stack gap="xs">
      <Group gap="sm">
        <Title order={2} size="h4">
          {t('scoring.bant.title')}
        </Title>
        <Badge color={state.qualified ? 'green' : 'gray'} variant="light">
          {state.qualified ? t('scoring.bant.qualified') : t('scoring.bant.notQualified')}
        </Badge>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Stack gap={4}>
          <Switch
            label={t('scoring.bant.need')}
            checked={answers.need?.exists ?? false}
            disabled={!canWrite}
            onChange={(e) =>
              setAnswers({ ...answers, need: { ...answers.need, exists: e.currentTarget.checked } })
            }
          />
          <TextInput
            label={t('scoring.bant.project')}
            value={answers.need?.project ?? ''}
            disabled={!canWrite}
            onChange={(e) =>
              setAnswers({
                ...answers,
                need: { exists: answers.need?.exists ?? false, project: e.currentTarget.value },
              })
            }
          />
          <Text size="xs" c="dimmed">
            {source('need')}
          </Text>
        </Stack>
        <Stack gap={4}>
          <Switch
            label={t('scoring.bant.budget')}
            checked={answers.budget?.exists ?? false}
            disabled={!canWrite}
            onChange={(e) =>
              setAnswers({ ...answers, budget: { ...answers.budget, exists: e.currentTarget.checked } })
            }
          />
          <TextInput
            label={t('scoring.bant.range')}
            value={answers.budget?.range ?? ''}
            disabled={!canWrite}
            onChange={(e) =>
              setAnswers({
                ...answers,
                budget: { exists: answers.budget?.exists ?? false, range: e.currentTarget.value },
              })
            }
          />
          <Text size="xs" c="dimmed">
            {source('budget')}
          </Text>
        </Stack>
        <Stack gap={4}>
          <Select
            label={t('scoring.bant.authority')}
            value={answers.authority?.role ?? 'unknown'}
            disabled={!canWrite}
            allowDeselect={false}
            data={(['decision_maker', 'influencer', 'user', 'unknown'] as const).map((r) => ({
              value: r,
              label: t(`scoring.bant.roles.${r}`),
            }))}
            onChange={(v) =>
              setAnswers({
                ...answers,
                authority: { role: (v ?? 'unknown') as 'decision_maker' | 'influencer' | 'user' | 'unknown' },
              })
            }
          />
          <Text size="xs" c="dimmed">
            {source('authority')}
          </Text>
        </Stack>
        <Stack gap={4}>
          <TextInput
            label={t('scoring.bant.timeline')}
            value={answers.timeline?.when ?? ''}
            disabled={!canWrite}
            onChange={(e) => setAnswers({ ...answers, timeline: { when: e.currentTarget.value } })}
          />
          <Text size="xs" c="dimmed">
            {source('timeline')}
          </Text>
        </Stack>
      </SimpleGrid>
      {canWrite ? (
        <Group>
          <Button onClick={submit} loading={save.isPending}>
            {t('scoring.bant.save')}
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}
