import { Center, Paper, Table, Text } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import type { AuditEntry } from '../api/types.js';
import { ErrorState } from '../ui/error-state.js';
import { ExpandableText } from '../ui/expandable-text.js';
import { useFormatters } from '../ui/format.js';
import { LoadMoreButton } from '../ui/load-more.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCodeLabel } from '../ui/translate-code.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

const PAGE_SIZE = 50;

interface AuditPage {
  items: AuditEntry[];
  nextBefore: string | null;
}

function useAuditLog() {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: useWorkspaceKey('audit-log'),
    queryFn: ({ pageParam }) =>
      api.get<AuditPage>('/api/v1/audit-log', { before: pageParam, limit: PAGE_SIZE }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextBefore ?? undefined,
  });
}

/** "name: Acme · slug: acme" reads faster than JSON; nested values stay JSON. */
function describeDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
}

export function AuditLogPage() {
  const { t } = useTranslation();
  const log = useAuditLog();

  return (
    <Page title={t('audit.title')} description={t('audit.description')}>
      {log.isPending ? (
        <Loading />
      ) : log.isError ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : (
        <>
          <AuditTable entries={log.data.pages.flatMap((p) => p.items)} />
          <Center>
            {log.hasNextPage ? (
              <LoadMoreButton query={log} />
            ) : log.data.pages[0]?.items.length ? (
              <Text size="sm" c="dimmed">
                {t('audit.end')}
              </Text>
            ) : null}
          </Center>
        </>
      )}
    </Page>
  );
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const actionLabel = useCodeLabel('audit.actions');
  const targetLabel = useCodeLabel('audit.targets');

  if (entries.length === 0) {
    return (
      <Paper p="xl">
        <Text c="dimmed">{t('audit.empty')}</Text>
      </Paper>
    );
  }

  return (
    <Paper p={0}>
      <Table.ScrollContainer minWidth={900}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('audit.time')}</Table.Th>
              <Table.Th scope="col">{t('audit.actor')}</Table.Th>
              <Table.Th scope="col">{t('audit.action')}</Table.Th>
              <Table.Th scope="col">{t('audit.target')}</Table.Th>
              <Table.Th scope="col">{t('audit.details')}</Table.Th>
              <Table.Th scope="col" style={{ whiteSpace: 'nowrap' }}>
                {t('audit.ip')}
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((entry) => {
              const details = describeDetails(entry.details);
              return (
                <Table.Tr key={entry.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Text size="sm">
                      <time dateTime={entry.createdAt}>{dateTime(entry.createdAt)}</time>
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{entry.actorLabel}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {actionLabel(entry.action)}
                    </Text>
                    <Text size="xs" c="dimmed" ff="monospace">
                      {entry.action}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {entry.targetType ? (
                      <Text size="sm">
                        {targetLabel(entry.targetType)}
                        {entry.targetId ? (
                          <Text span size="xs" c="dimmed" ff="monospace" display="block">
                            {entry.targetId}
                          </Text>
                        ) : null}
                      </Text>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  <Table.Td maw={320}>
                    {details ? <ExpandableText size="xs">{details}</ExpandableText> : '—'}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {entry.ip ?? '—'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
