import {
  Badge,
  Button,
  Center,
  Group,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { LoadMoreButton } from '../ui/load-more.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import {
  type Suppression,
  useLookupSuppression,
  useSuppress,
  useSuppressions,
  useUnsuppress,
} from './mail-api.js';
import { MailTabs } from './mail-tabs.js';

const REASONS = [
  'unsubscribed',
  'hard_bounce',
  'soft_bounce_limit',
  'complaint',
  'objection',
  'erasure',
  'manual',
] as const;

/** The suppression list: addresses that are never mailed again, kept only as hashes. */
export function SuppressionsPage() {
  const { t } = useTranslation();
  const { dateTime, number } = useFormatters();
  const [reason, setReason] = useState<string | null>(null);
  const list = useSuppressions(reason);
  const suppress = useSuppress();
  const lookup = useLookupSuppression();
  const unsuppress = useUnsuppress();
  const [email, setEmail] = useState('');
  const [note, setNote] = useState('');
  const [search, setSearch] = useState('');
  const [removing, setRemoving] = useState<Suppression | null>(null);
  const counts = list.data?.pages[0]?.counts ?? {};
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Page title={t('mail.suppressions.title')} description={t('mail.suppressions.description')}>
      <MailTabs />
      <Group align="stretch" grow wrap="wrap">
        <Section id="suppress-add" title={t('mail.suppressions.add')}>
          <Paper p="md">
            <form
              onSubmit={(e) => {
                e.preventDefault();
                suppress.mutate(
                  { email, note: note || undefined },
                  {
                    onSuccess: (r) => {
                      notifications.show({
                        message: t(r.created ? 'mail.suppressions.added' : 'mail.suppressions.already'),
                        color: 'green',
                      });
                      setEmail('');
                      setNote('');
                    },
                  },
                );
              }}
            >
              <Stack>
                <TextInput
                  label={t('mail.suppressions.email')}
                  type="email"
                  value={email}
                  onChange={(e) => setEmail(e.currentTarget.value)}
                  required
                />
                <TextInput
                  label={t('mail.suppressions.note')}
                  value={note}
                  onChange={(e) => setNote(e.currentTarget.value)}
                />
                {suppress.isError ? (
                  <Text c="var(--mantine-color-error)" size="sm" role="alert">
                    {messageOf(suppress.error, t)}
                  </Text>
                ) : null}
                <Group justify="flex-end">
                  <Button type="submit" loading={suppress.isPending}>
                    {t('mail.suppressions.addButton')}
                  </Button>
                </Group>
              </Stack>
            </form>
          </Paper>
        </Section>
        <Section id="suppress-lookup" title={t('mail.suppressions.lookup')}>
          <Paper p="md">
            <form
              onSubmit={(e) => {
                e.preventDefault();
                lookup.mutate(search);
              }}
            >
              <Stack>
                <TextInput
                  label={t('mail.suppressions.email')}
                  type="email"
                  value={search}
                  onChange={(e) => setSearch(e.currentTarget.value)}
                  required
                />
                <Group justify="flex-end">
                  <Button type="submit" variant="default" loading={lookup.isPending}>
                    {t('mail.suppressions.lookupButton')}
                  </Button>
                </Group>
                {lookup.data ? (
                  <Text size="sm" role="status">
                    {lookup.data.suppression
                      ? t('mail.suppressions.found', {
                          reason: t(`mail.reason.${lookup.data.suppression.reason as 'manual'}`),
                          date: dateTime(lookup.data.suppression.createdAt),
                        })
                      : t('mail.suppressions.notFound')}
                  </Text>
                ) : null}
              </Stack>
            </form>
          </Paper>
        </Section>
      </Group>
      <Group align="flex-end">
        <Select
          label={t('mail.suppressions.reason')}
          placeholder={t('mail.suppressions.allReasons')}
          clearable
          value={reason}
          onChange={setReason}
          data={REASONS.map((r) => ({
            value: r,
            label: `${t(`mail.reason.${r}`)} (${number(counts[r] ?? 0)})`,
          }))}
        />
      </Group>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('mail.suppressions.empty')}</Text>
        </Paper>
      ) : (
        <Paper p={0}>
          <Table.ScrollContainer minWidth={800}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('mail.suppressions.since')}</Table.Th>
                  <Table.Th scope="col">{t('mail.suppressions.reason')}</Table.Th>
                  <Table.Th scope="col">{t('mail.suppressions.source')}</Table.Th>
                  <Table.Th scope="col">{t('mail.suppressions.note')}</Table.Th>
                  <Table.Th scope="col">{t('mail.suppressions.entry')}</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((s) => (
                  <Table.Tr key={s.hash}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <time dateTime={s.createdAt}>{dateTime(s.createdAt)}</time>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={s.removable ? 'gray' : 'red'}>
                        {t(`mail.reason.${s.reason as 'manual'}`)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{s.source ?? '—'}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" lineClamp={2}>
                        {s.note ?? ''}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs" ff="monospace" title={s.hash}>
                        {s.hash.slice(0, 12)}…
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {s.removable ? (
                        <Button size="xs" variant="subtle" color="red" onClick={() => setRemoving(s)}>
                          {t('mail.suppressions.remove')}
                        </Button>
                      ) : (
                        <Text size="xs" c="dimmed">
                          {t('mail.suppressions.protected')}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      <Center>
        <LoadMoreButton query={list} />
      </Center>
      <ConfirmDialog
        opened={removing !== null}
        title={t('mail.suppressions.removeTitle')}
        text={t('mail.suppressions.removeText')}
        confirmLabel={t('mail.suppressions.remove')}
        loading={unsuppress.isPending}
        onClose={() => setRemoving(null)}
        onConfirm={() =>
          removing &&
          unsuppress.mutate(removing.hash, {
            onSuccess: () => setRemoving(null),
            onError: (err) => notifications.show({ message: messageOf(err, t), color: 'red' }),
          })
        }
      />
    </Page>
  );
}
