import { Paper, Stack, Table, Text } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { useStageName } from '../contacts/stage-names.js';
import { ErrorState } from '../ui/error-state.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import {
  REJECT_REASONS,
  type RejectReasonRow,
  type StageTimeRow,
  useRejectReasonReport,
  useStageTimeReport,
} from './sales-api.js';
import { SalesTabs } from './sales-tabs.js';

/** One row per reason: how many rejected leads went back to nurturing and how many were disqualified. */
function byReason(items: RejectReasonRow[]) {
  const rows = new Map<string, { recycled: number; disqualified: number }>();
  for (const item of items) {
    const reason = item.reason ?? 'other';
    const row = rows.get(reason) ?? { recycled: 0, disqualified: 0 };
    if (item.outcome === 'disqualified') row.disqualified += item.count;
    else row.recycled += item.count;
    rows.set(reason, row);
  }
  const order = (r: string) => {
    const i = (REJECT_REASONS as readonly string[]).indexOf(r);
    return i < 0 ? REJECT_REASONS.length : i;
  };
  return [...rows.entries()].sort(([a], [b]) => order(a) - order(b));
}

/** Sales reports: why leads were rejected (the reason codes the reps chose), by outcome. */
export function SalesReportsPage() {
  const { t, i18n } = useTranslation();
  const fmt = useFormatters();
  const report = useRejectReasonReport();
  const reasonLabel = (r: string) => {
    const key = `sales.reasons.${r}`;
    return i18n.exists(key) ? t(key as 'sales.reasons.other') : r;
  };
  const rows = report.data ? byReason(report.data.items) : [];
  return (
    <Page title={t('sales.reports.title')} description={t('sales.reports.description')}>
      <SalesTabs />
      <Stack gap="lg">
        {report.isPending ? (
          <Loading />
        ) : report.isError ? (
          <ErrorState error={report.error} onRetry={() => void report.refetch()} />
        ) : rows.length === 0 ? (
          <Text>{t('sales.reports.empty')}</Text>
        ) : (
          <Paper withBorder p="md">
            <Table striped>
              <Table.Caption>{t('sales.reports.rejectReasons')}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('sales.reject.reason')}</Table.Th>
                  <Table.Th>{t('sales.outcomes.recycled')}</Table.Th>
                  <Table.Th>{t('sales.outcomes.disqualified')}</Table.Th>
                  <Table.Th>{t('sales.reports.total')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map(([reason, n]) => (
                  <Table.Tr key={reason}>
                    <Table.Td>{reasonLabel(reason)}</Table.Td>
                    <Table.Td>{fmt.number(n.recycled)}</Table.Td>
                    <Table.Td>{fmt.number(n.disqualified)}</Table.Td>
                    <Table.Td>{fmt.number(n.recycled + n.disqualified)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Paper>
        )}
        <StageTimes />
      </Stack>
    </Page>
  );
}

/** A duration in days, hours or minutes, whichever reads best. */
function duration(t: TFunction, seconds: number): string {
  if (seconds >= 86_400) return t('sales.reports.days', { count: Math.round((seconds / 86_400) * 10) / 10 });
  if (seconds >= 3_600) return t('sales.reports.hours', { count: Math.round(seconds / 3_600) });
  return t('sales.reports.minutes', { count: Math.round(seconds / 60) });
}

/** Time in each lifecycle stage: how many stays, how many are there now, average and median. */
function StageTimes() {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const stageName = useStageName();
  const report = useStageTimeReport();
  if (report.isPending) return <Loading />;
  if (report.isError) return <ErrorState error={report.error} onRetry={() => void report.refetch()} />;
  const items: StageTimeRow[] = report.data.items;
  if (items.length === 0) return <Text>{t('sales.reports.stageTimesEmpty')}</Text>;
  return (
    <Paper withBorder p="md">
      <Table striped>
        <Table.Caption>{t('sales.reports.stageTimes')}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('sales.reports.stage')}</Table.Th>
            <Table.Th>{t('sales.reports.stays')}</Table.Th>
            <Table.Th>{t('sales.reports.current')}</Table.Th>
            <Table.Th>{t('sales.reports.average')}</Table.Th>
            <Table.Th>{t('sales.reports.median')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((row) => (
            <Table.Tr key={row.stage}>
              <Table.Td>{stageName(row.stage)}</Table.Td>
              <Table.Td>{fmt.number(row.stays)}</Table.Td>
              <Table.Td>{fmt.number(row.current)}</Table.Td>
              <Table.Td>{duration(t, row.averageSeconds)}</Table.Td>
              <Table.Td>{duration(t, row.medianSeconds)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
