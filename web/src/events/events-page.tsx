import { Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { ErrorState } from '../ui/error-state.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

interface EventSummary {
  id: string;
  title: string;
  startsAt: string;
  timeZone: string;
  location: string | null;
  onlineUrl: string | null;
  capacity: number | null;
  registered: number;
  waitlisted: number;
  attended: number;
}

export function EventsPage() {
  const { t } = useTranslation();
  const api = useApi();
  const events = useQuery({
    queryKey: useWorkspaceKey('events'),
    queryFn: async () => (await api.get<{ items: EventSummary[] }>('/api/v1/events')).items,
  });
  return (
    <Page title={t('events.title')} description={t('events.description')}>
      {events.isPending ? (
        <Loading />
      ) : events.isError ? (
        <ErrorState error={events.error} onRetry={() => void events.refetch()} />
      ) : events.data.length === 0 ? (
        <Text c="dimmed">{t('events.empty')}</Text>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('events.name')}</Table.Th>
              <Table.Th>{t('events.when')}</Table.Th>
              <Table.Th>{t('events.where')}</Table.Th>
              <Table.Th>{t('events.registered')}</Table.Th>
              <Table.Th>{t('events.waitlisted')}</Table.Th>
              <Table.Th>{t('events.attended')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.data.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>{e.title}</Table.Td>
                <Table.Td>
                  {new Intl.DateTimeFormat(undefined, {
                    dateStyle: 'medium',
                    timeStyle: 'short',
                    timeZone: e.timeZone,
                  }).format(new Date(e.startsAt))}
                </Table.Td>
                <Table.Td>{e.location ?? e.onlineUrl ?? '–'}</Table.Td>
                <Table.Td>
                  {e.registered}
                  {e.capacity ? ` / ${e.capacity}` : ''}
                </Table.Td>
                <Table.Td>{e.waitlisted}</Table.Td>
                <Table.Td>{e.attended}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Page>
  );
}
