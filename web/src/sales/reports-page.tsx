import { Paper, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ErrorState } from '../ui/error-state.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { REJECT_REASONS, type RejectReasonRow, useRejectReasonReport } from './sales-api.js';
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
    </Page>
  );
}
