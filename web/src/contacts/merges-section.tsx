import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Radio,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useApi } from '../api/context.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import type { ContactSectionProps } from './contact-section.js';
import { type Contact, displayName, useInvalidateContacts } from './contacts-api.js';

/* Dedupe on the contact page: proposed duplicates, merge field by field with a preview, undo. */

type Choice = 'winner' | 'loser' | 'both';
interface Preview {
  winner: Contact;
  loser: Contact;
  fields: { field: string; winner: unknown; loser: unknown; proposed: Choice; differs: boolean }[];
  consents: { purpose: string; winner: string | null; loser: string | null }[];
  activities: { winner: number; loser: number };
  segmentMemberships: number;
  token: string;
}
interface Merge {
  id: string;
  winnerId: string;
  loserId: string;
  loserEmail: string;
  mergedAt: string;
  movedActivities: number;
  undoUntil: string;
  undoneAt: string | null;
  undoable: boolean;
}

function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '–';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '–';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function MergesSection({ detail, canWrite }: ContactSectionProps) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const api = useApi();
  const invalidate = useInvalidateContacts();
  const id = detail.contact.id;
  const [comparing, setComparing] = useState<Contact | null>(null);
  const duplicates = useQuery({
    queryKey: useWorkspaceKey('contacts', 'duplicates', id),
    queryFn: async () =>
      (
        await api.get<{ items: { a: Contact; b: Contact; reasons: string[] }[] }>(
          `/api/v1/contacts/${encodeURIComponent(id)}/duplicates`,
        )
      ).items,
  });
  const merges = useQuery({
    queryKey: useWorkspaceKey('contacts', 'merges', id),
    queryFn: async () =>
      (await api.get<{ items: Merge[] }>('/api/v1/contacts/merges', { contactId: id })).items,
  });
  const dismiss = useMutation({
    mutationFn: (otherId: string) =>
      api.post<void>('/api/v1/contacts/duplicates/dismiss', { contactIds: [id, otherId] }),
    onSuccess: invalidate,
  });
  const undo = useMutation({
    mutationFn: (mergeId: string) => api.post<{ kept: string[] }>(`/api/v1/contacts/merges/${mergeId}/undo`),
    onSuccess: invalidate,
  });
  const fail = (e: unknown) => notifications.show({ color: 'red', message: messageOf(e, t) });
  return (
    <Stack>
      <Paper p="md">
        <Title order={2} size="h4" mb="sm">
          {t('contacts.merge.duplicates')}
        </Title>
        {duplicates.isPending ? (
          <Loading minHeight={60} />
        ) : duplicates.isError ? (
          <ErrorState error={duplicates.error} onRetry={() => void duplicates.refetch()} />
        ) : duplicates.data.length === 0 ? (
          <Text c="dimmed">{t('contacts.merge.noDuplicates')}</Text>
        ) : (
          <Table aria-label={t('contacts.merge.duplicates')}>
            <Table.Tbody>
              {duplicates.data.map((pair) => {
                const other = pair.a.id === id ? pair.b : pair.a;
                return (
                  <Table.Tr key={other.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/contacts/${other.id}`}>
                        {displayName(other)}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        {other.email}
                      </Text>
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
                        <Group gap="xs" justify="flex-end">
                          <Button size="xs" onClick={() => setComparing(other)}>
                            {t('contacts.merge.compare')}
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            loading={dismiss.isPending}
                            onClick={() => dismiss.mutate(other.id, { onError: fail })}
                          >
                            {t('contacts.merge.dismiss')}
                          </Button>
                        </Group>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        )}
      </Paper>
      <Paper p="md">
        <Title order={2} size="h4" mb="sm">
          {t('contacts.merge.history')}
        </Title>
        {merges.isPending ? (
          <Loading minHeight={60} />
        ) : merges.isError ? (
          <ErrorState error={merges.error} onRetry={() => void merges.refetch()} />
        ) : merges.data.length === 0 ? (
          <Text c="dimmed">{t('contacts.merge.noHistory')}</Text>
        ) : (
          <Table aria-label={t('contacts.merge.history')}>
            <Table.Tbody>
              {merges.data.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    {m.winnerId === id
                      ? t('contacts.merge.mergedIn', { email: m.loserEmail })
                      : t('contacts.merge.mergedInto')}
                  </Table.Td>
                  <Table.Td>{fmt.dateTime(m.mergedAt)}</Table.Td>
                  <Table.Td>
                    {m.undoneAt ? (
                      t('contacts.merge.undone', { at: fmt.dateTime(m.undoneAt) })
                    ) : m.undoable && canWrite ? (
                      <Button
                        size="xs"
                        variant="default"
                        loading={undo.isPending}
                        onClick={() =>
                          undo.mutate(m.id, {
                            onSuccess: () =>
                              notifications.show({ color: 'brand', message: t('contacts.merge.undoDone') }),
                            onError: fail,
                          })
                        }
                      >
                        {t('contacts.merge.undo', { until: fmt.date(m.undoUntil) })}
                      </Button>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Paper>
      {comparing ? (
        <MergeModal winner={detail.contact} loser={comparing} onClose={() => setComparing(null)} />
      ) : null}
    </Stack>
  );
}

export function MergeModal({
  winner,
  loser,
  onClose,
}: {
  winner: Contact;
  loser: Contact;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const invalidate = useInvalidateContacts();
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const preview = useQuery({
    queryKey: useWorkspaceKey('contacts', 'merge-preview', winner.id, loser.id),
    queryFn: () =>
      api.post<Preview>('/api/v1/contacts/merge/preview', { winnerId: winner.id, loserId: loser.id }),
    staleTime: 0,
    gcTime: 0,
  });
  const merge = useMutation({
    mutationFn: (p: Preview) =>
      api.post('/api/v1/contacts/merge', { winnerId: winner.id, loserId: loser.id, token: p.token, choices }),
    onSuccess: invalidate,
  });
  return (
    <Modal opened onClose={onClose} size="xl" title={t('contacts.merge.title', { email: loser.email })}>
      {preview.isPending ? (
        <Loading />
      ) : preview.isError ? (
        <ErrorState error={preview.error} onRetry={() => void preview.refetch()} />
      ) : (
        <Stack>
          <Text size="sm">{t('contacts.merge.explain', { keep: winner.email, merge: loser.email })}</Text>
          <Table aria-label={t('contacts.merge.fields')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('contacts.quality.field')}</Table.Th>
                <Table.Th scope="col">{winner.email}</Table.Th>
                <Table.Th scope="col">{loser.email}</Table.Th>
                <Table.Th scope="col">{t('contacts.merge.keep')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.data.fields
                .filter((f) => f.differs)
                .map((f) => (
                  <Table.Tr key={f.field}>
                    <Table.Td>{f.field}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{show(f.winner)}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{show(f.loser)}</Table.Td>
                    <Table.Td>
                      <Radio.Group
                        aria-label={t('contacts.merge.keepFor', { field: f.field })}
                        value={choices[f.field] ?? f.proposed}
                        onChange={(v) => setChoices((c) => ({ ...c, [f.field]: v as Choice }))}
                      >
                        <Group gap="xs">
                          <Radio value="winner" label={t('contacts.merge.this')} />
                          <Radio value="loser" label={t('contacts.merge.other')} />
                          {f.field === 'tags' || Array.isArray(f.winner) ? (
                            <Radio value="both" label={t('contacts.merge.both')} />
                          ) : null}
                        </Group>
                      </Radio.Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
            </Table.Tbody>
          </Table>
          <Text size="sm">
            {t('contacts.merge.moves', {
              activities: preview.data.activities.loser,
              consents: preview.data.consents.filter((c) => c.loser).length,
              segments: preview.data.segmentMemberships,
            })}
          </Text>
          {merge.isError ? (
            <Alert color="red" role="alert">
              {messageOf(merge.error, t)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button
              loading={merge.isPending}
              onClick={() =>
                merge.mutate(preview.data, {
                  onSuccess: () => {
                    notifications.show({ color: 'brand', message: t('contacts.merge.done') });
                    onClose();
                  },
                })
              }
            >
              {t('contacts.merge.submit')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
