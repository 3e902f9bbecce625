import { Alert, Anchor, Button, Group, Paper, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { useContactCount } from '../contacts/contacts-api.js';
import { useCanWriteContacts } from '../contacts/contacts-page.js';
import { ContactsTabs } from '../contacts/contacts-tabs.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { GroupEditor } from './segment-builder.js';
import { SegmentQuality } from './segment-quality.js';
import {
  emptyGroup,
  type Group as GroupNode,
  type Segment,
  useDeleteSegment,
  useSaveSegment,
  useSegment,
} from './segments-api.js';

/** Create or edit a segment: name, the builder and a live count that follows every change. */
export function SegmentEditorPage() {
  const { id } = useParams();
  const segment = useSegment(id);
  const { t } = useTranslation();
  if (id && segment.isPending) return <Loading />;
  if (id && segment.isError)
    return (
      <Page title={t('segments.title')}>
        <ErrorState error={segment.error} onRetry={() => void segment.refetch()} />
      </Page>
    );
  return <SegmentEditor key={id ?? 'new'} segment={id ? segment.data : undefined} />;
}

function SegmentEditor({ segment }: { segment: Segment | undefined }) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const navigate = useNavigate();
  const canWrite = useCanWriteContacts();
  const save = useSaveSegment(segment?.id);
  const del = useDeleteSegment();
  const [name, setName] = useState(segment?.name ?? '');
  const [description, setDescription] = useState(segment?.description ?? '');
  const [definition, setDefinition] = useState<GroupNode>(segment?.definition ?? emptyGroup());
  const [confirming, setConfirming] = useState(false);
  const [debounced] = useDebouncedValue(definition, 400);
  const count = useContactCount({ filter: debounced });
  const errors = fieldErrorsOf(save.error, t);
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    save.mutate(
      { name: name.trim(), description: description.trim() || null, definition },
      {
        onSuccess: (s) => {
          notifications.show({ color: 'brand', message: t('segments.saved') });
          if (!segment) navigate(`/contacts/segments/${s.id}`, { replace: true });
        },
      },
    );
  };
  return (
    <Page
      title={segment ? segment.name : t('segments.create')}
      actions={
        <Anchor component={Link} to="/contacts/segments" size="sm">
          {t('segments.backToList')}
        </Anchor>
      }
    >
      <ContactsTabs />
      <form onSubmit={submit}>
        <Stack>
          <Paper p="md">
            <Stack>
              <TextInput
                label={t('segments.name')}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                required
                maxLength={200}
                error={errors.name}
              />
              <Textarea
                label={t('segments.descriptionField')}
                value={description}
                onChange={(e) => setDescription(e.currentTarget.value)}
                maxLength={2000}
                autosize
                minRows={1}
              />
            </Stack>
          </Paper>
          <Paper p="md" role="status" aria-live="polite">
            <Group justify="space-between">
              <Text fw={600} data-testid="segment-count">
                {count.isError
                  ? t('segments.countIncomplete')
                  : count.data === undefined
                    ? t('segments.counting')
                    : t('segments.liveCount', { count: count.data, formatted: fmt.number(count.data) })}
              </Text>
              {count.isFetching ? (
                <Text size="sm" c="dimmed">
                  {t('segments.counting')}
                </Text>
              ) : null}
            </Group>
            {count.isError ? (
              <Text size="sm" c="dimmed">
                {messageOf(count.error, t)}
              </Text>
            ) : null}
          </Paper>
          <GroupEditor group={definition} onChange={setDefinition} />
          <SegmentQuality definition={debounced} />
          {save.isError && Object.keys(errors).length === 0 ? (
            <Alert color="red" role="alert">
              {messageOf(save.error, t)}
            </Alert>
          ) : null}
          {canWrite ? (
            <Group justify="space-between">
              {segment ? (
                <Button color="red" onClick={() => setConfirming(true)}>
                  {t('common.delete')}
                </Button>
              ) : (
                <span />
              )}
              <Group>
                {segment ? (
                  <Button component={Link} to={`/contacts?segment=${segment.id}`} variant="default">
                    {t('segments.showContacts')}
                  </Button>
                ) : null}
                <Button type="submit" loading={save.isPending}>
                  {t('segments.save')}
                </Button>
              </Group>
            </Group>
          ) : null}
        </Stack>
      </form>
      <ConfirmDialog
        opened={confirming}
        title={t('segments.deleteTitle')}
        text={t('segments.deleteText', { name: segment?.name ?? '' })}
        confirmLabel={t('common.delete')}
        loading={del.isPending}
        onClose={() => setConfirming(false)}
        onConfirm={() =>
          segment &&
          del.mutate(segment.id, {
            onSuccess: () => navigate('/contacts/segments'),
            onError: (e) => {
              setConfirming(false);
              notifications.show({ color: 'red', message: messageOf(e, t) });
            },
          })
        }
      />
    </Page>
  );
}
