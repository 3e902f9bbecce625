import { Anchor, Badge, Button, Group, Paper, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useApi } from '../api/context.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import { type Contact, displayName, useInvalidateContacts } from './contacts-api.js';
import { useCanWriteContacts } from './contacts-page.js';
import { ContactsTabs } from './contacts-tabs.js';
import { MergeModal } from './merges-section.js';

/*
 * Possible duplicates of the whole workspace: pairs with the same match key or the same name at the
 * same company. Nothing is merged by itself: a person compares a pair (the merge preview, field by
 * field) or dismisses it as "not a duplicate", after which it is never proposed again.
 */

interface Pair {
  a: Contact;
  b: Contact;
  reasons: string[];
}

function ContactCell({ contact }: { contact: Contact }) {
  return (
    <>
      <Anchor component={Link} to={`/contacts/${contact.id}`}>
        {displayName(contact)}
      </Anchor>
      <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
        {contact.email}
        {contact.companyName ? ` · ${contact.companyName}` : ''}
      </Text>
    </>
  );
}

export function DuplicatesPage() {
  const { t } = useTranslation();
  const api = useApi();
  const canWrite = useCanWriteContacts();
  const invalidate = useInvalidateContacts();
  const [comparing, setComparing] = useState<Pair | null>(null);
  const pairs = useInfiniteQuery({
    queryKey: useWorkspaceKey('contacts', 'duplicates', 'all'),
    queryFn: ({ pageParam }) =>
      api.get<{ items: Pair[]; nextCursor: string | null }>('/api/v1/contacts/duplicates', {
        limit: 50,
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const dismiss = useMutation({
    mutationFn: (pair: Pair) =>
      api.post<void>('/api/v1/contacts/duplicates/dismiss', { contactIds: [pair.a.id, pair.b.id] }),
    onSuccess: () => {
      notifications.show({ color: 'brand', message: t('contacts.duplicates.dismissed') });
      return invalidate();
    },
    onError: (e) => notifications.show({ color: 'red', message: messageOf(e, t) }),
  });
  const items = pairs.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title={t('contacts.duplicates.title')} description={t('contacts.duplicates.description')}>
      <ContactsTabs />
      <Paper p="md">
        {pairs.isPending ? (
          <Loading />
        ) : pairs.isError ? (
          <ErrorState error={pairs.error} onRetry={() => void pairs.refetch()} />
        ) : items.length === 0 ? (
          <Text c="dimmed">{t('contacts.duplicates.empty')}</Text>
        ) : (
          <Stack>
            <Table aria-label={t('contacts.duplicates.title')} verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('contacts.duplicates.contactA')}</Table.Th>
                  <Table.Th scope="col">{t('contacts.duplicates.contactB')}</Table.Th>
                  <Table.Th scope="col">{t('contacts.duplicates.reason')}</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>{t('contacts.duplicates.actions')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((pair) => (
                  <Table.Tr key={`${pair.a.id}|${pair.b.id}`} data-testid="duplicate-pair">
                    <Table.Td>
                      <ContactCell contact={pair.a} />
                    </Table.Td>
                    <Table.Td>
                      <ContactCell contact={pair.b} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {pair.reasons.map((r) => (
                          <Badge key={r} variant="light" tt="none">
                            {t(`contacts.merge.reasons.${r as 'same_match_key'}`)}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {canWrite ? (
                        <Group gap="xs" justify="flex-end" wrap="nowrap">
                          <Button
                            size="xs"
                            onClick={() => setComparing(pair)}
                            aria-label={t('contacts.duplicates.compareLabel', {
                              a: pair.a.email,
                              b: pair.b.email,
                            })}
                          >
                            {t('contacts.merge.compare')}
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            loading={dismiss.isPending && dismiss.variables === pair}
                            onClick={() => dismiss.mutate(pair)}
                            aria-label={t('contacts.duplicates.dismissLabel', {
                              a: pair.a.email,
                              b: pair.b.email,
                            })}
                          >
                            {t('contacts.duplicates.dismiss')}
                          </Button>
                        </Group>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {pairs.hasNextPage ? (
              <Group>
                <Button
                  variant="default"
                  loading={pairs.isFetchingNextPage}
                  onClick={() => void pairs.fetchNextPage()}
                >
                  {t('common.loadMore')}
                </Button>
              </Group>
            ) : null}
          </Stack>
        )}
      </Paper>
      {comparing ? (
        <MergeModal winner={comparing.a} loser={comparing.b} onClose={() => setComparing(null)} />
      ) : null}
    </Page>
  );
}
