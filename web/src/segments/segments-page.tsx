import { Anchor, Button, Paper, Table, Text } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { RepermissionButton, useCanSendMail } from '../consent/repermission-dialog.js';
import { useCanWriteContacts } from '../contacts/contacts-page.js';
import { ContactsTabs } from '../contacts/contacts-tabs.js';
import { ErrorState } from '../ui/error-state.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useSegments } from './segments-api.js';

/** Saved segments; each opens in the builder. */
export function SegmentsPage() {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const segments = useSegments();
  const canWrite = useCanWriteContacts();
  // Re-permission sends mail: the mail:write roles.
  const canSendMail = useCanSendMail();
  return (
    <Page
      title={t('segments.title')}
      description={t('segments.description')}
      actions={
        canWrite ? (
          <Button
            component={Link}
            to="/contacts/segments/new"
            leftSection={<IconPlus size={18} aria-hidden />}
          >
            {t('segments.create')}
          </Button>
        ) : null
      }
    >
      <ContactsTabs />
      {segments.isPending ? (
        <Loading />
      ) : segments.isError ? (
        <ErrorState error={segments.error} onRetry={() => void segments.refetch()} />
      ) : segments.data.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('segments.empty')}</Text>
        </Paper>
      ) : (
        <Paper p={0}>
          <Table aria-label={t('segments.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('segments.name')}</Table.Th>
                <Table.Th scope="col">{t('segments.descriptionField')}</Table.Th>
                <Table.Th scope="col">{t('segments.updatedAt')}</Table.Th>
                <Table.Th scope="col">{t('segments.contacts')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {segments.data.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/contacts/segments/${s.id}`} fw={500}>
                      {s.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{s.description ?? '–'}</Table.Td>
                  <Table.Td>{fmt.dateTime(s.updatedAt)}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/contacts?segment=${s.id}`} size="sm">
                      {t('segments.showContacts')}
                    </Anchor>
                    {canSendMail ? <RepermissionButton segmentId={s.id} segmentName={s.name} /> : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </Page>
  );
}
