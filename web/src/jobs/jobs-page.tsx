import { ActionIcon, Button, Group, Paper, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconRefresh, IconRotateClockwise, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Job, JobCount } from '../api/types.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { ExpandableText } from '../ui/expandable-text.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import { useDeadJobs, useJobAction, useJobsSummary } from './jobs-api.js';

const STATE_ORDER = ['queued', 'scheduled', 'running', 'done', 'completed', 'failed', 'dead'];
const KNOWN_STATES = new Set(STATE_ORDER);

function orderStates(counts: JobCount[]): string[] {
  const states = [...new Set(counts.map((c) => c.state))];
  return states.sort((a, b) => {
    const ia = STATE_ORDER.indexOf(a);
    const ib = STATE_ORDER.indexOf(b);
    return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
  });
}

export function JobsPage() {
  const { t } = useTranslation();
  const summary = useJobsSummary();
  const dead = useDeadJobs();
  const refreshing = summary.isFetching || dead.isFetching;

  return (
    <Page
      title={t('jobs.title')}
      description={t('jobs.description')}
      actions={
        <Button
          variant="default"
          leftSection={<IconRefresh size={16} aria-hidden />}
          loading={refreshing}
          onClick={() => {
            void summary.refetch();
            void dead.refetch();
          }}
        >
          {t('common.refresh')}
        </Button>
      }
    >
      <Section id="jobs-summary" title={t('jobs.summaryTitle')}>
        {summary.isPending ? (
          <Loading />
        ) : summary.isError ? (
          <ErrorState error={summary.error} onRetry={() => void summary.refetch()} />
        ) : (
          <SummaryTable counts={summary.data} />
        )}
      </Section>
      <Section id="jobs-dead" title={t('jobs.deadTitle')} description={t('jobs.deadText')}>
        {dead.isPending ? (
          <Loading />
        ) : dead.isError ? (
          <ErrorState error={dead.error} onRetry={() => void dead.refetch()} />
        ) : (
          <DeadJobsTable jobs={dead.data} />
        )}
      </Section>
    </Page>
  );
}

function useStateLabel() {
  const { t } = useTranslation();
  return (state: string) => (KNOWN_STATES.has(state) ? t(`jobs.states.${state as 'queued'}`) : state);
}

function SummaryTable({ counts }: { counts: JobCount[] }) {
  const { t } = useTranslation();
  const { number } = useFormatters();
  const stateLabel = useStateLabel();

  if (counts.length === 0) {
    return (
      <Paper p="xl">
        <Text c="dimmed">{t('jobs.noJobs')}</Text>
      </Paper>
    );
  }

  const states = orderStates(counts);
  const lanes = [...new Set(counts.map((c) => c.lane))].sort();
  const countOf = (lane: string, state: string) =>
    counts.filter((c) => c.lane === lane && c.state === state).reduce((sum, c) => sum + c.count, 0);

  return (
    <Paper p={0}>
      <Table.ScrollContainer minWidth={480}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('jobs.lane')}</Table.Th>
              {states.map((state) => (
                <Table.Th key={state} scope="col" ta="right">
                  {stateLabel(state)}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {lanes.map((lane) => (
              <Table.Tr key={lane}>
                <Table.Th scope="row" fw={500}>
                  {lane}
                </Table.Th>
                {states.map((state) => {
                  const value = countOf(lane, state);
                  return (
                    <Table.Td
                      key={state}
                      ta="right"
                      c={value === 0 ? 'dimmed' : state === 'dead' ? 'var(--mantine-color-error)' : undefined}
                      fw={state === 'dead' && value > 0 ? 700 : undefined}
                      style={{ fontVariantNumeric: 'tabular-nums' }}
                    >
                      {number(value)}
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

function DeadJobsTable({ jobs }: { jobs: Job[] }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const retry = useJobAction('retry');
  const remove = useJobAction('delete');
  const [deleting, setDeleting] = useState<Job | null>(null);

  const onRetry = (job: Job) =>
    retry.mutate(job.id, {
      onSuccess: () => notifications.show({ color: 'brand', message: t('jobs.retried') }),
      onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
    });

  const onDelete = () => {
    if (!deleting) return;
    remove.mutate(deleting.id, {
      onSuccess: () => notifications.show({ color: 'brand', message: t('jobs.deleted') }),
      onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      onSettled: () => setDeleting(null),
    });
  };

  if (jobs.length === 0) {
    return (
      <Paper p="xl">
        <Text c="dimmed">{t('jobs.deadEmpty')}</Text>
      </Paper>
    );
  }

  return (
    <Paper p={0}>
      <Table.ScrollContainer minWidth={860}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('jobs.name')}</Table.Th>
              <Table.Th scope="col">{t('jobs.error')}</Table.Th>
              <Table.Th scope="col" ta="right">
                {t('jobs.attempts')}
              </Table.Th>
              <Table.Th scope="col">{t('jobs.updated')}</Table.Th>
              <Table.Th scope="col" ta="right">
                {t('common.actions')}
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {jobs.map((job) => (
              <Table.Tr key={job.id}>
                <Table.Td>
                  <Text size="sm" fw={500} ff="monospace">
                    {job.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {job.lane}
                  </Text>
                </Table.Td>
                <Table.Td maw={420}>
                  {job.lastError ? (
                    <ExpandableText size="xs" ff="monospace" c="var(--mantine-color-error)">
                      {job.lastError}
                    </ExpandableText>
                  ) : (
                    '—'
                  )}
                </Table.Td>
                <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums' }}>
                  {job.attempts} / {job.maxAttempts}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Text size="sm">
                    <time dateTime={job.updatedAt}>{dateTime(job.updatedAt)}</time>
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="light"
                      leftSection={<IconRotateClockwise size={14} aria-hidden />}
                      aria-label={t('jobs.retryLabel', { name: job.name })}
                      loading={retry.isPending && retry.variables === job.id}
                      onClick={() => onRetry(job)}
                    >
                      {t('jobs.retry')}
                    </Button>
                    <Tooltip label={t('common.delete')} withArrow>
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        aria-label={t('jobs.deleteLabel', { name: job.name })}
                        onClick={() => setDeleting(job)}
                      >
                        <IconTrash size={18} aria-hidden />
                      </ActionIcon>
                    </Tooltip>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmDialog
        opened={deleting !== null}
        title={t('jobs.deleteTitle')}
        text={t('jobs.deleteText', { name: deleting?.name ?? '' })}
        confirmLabel={t('common.delete')}
        loading={remove.isPending}
        onConfirm={onDelete}
        onClose={() => setDeleting(null)}
      />
    </Paper>
  );
}
