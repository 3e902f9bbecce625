import {
  Alert,
  Button,
  Group,
  MultiSelect,
  Paper,
  SegmentedControl,
  Stack,
  Text,
  Textarea,
  Timeline,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import type { ContactSectionProps } from './contact-section.js';
import { type Activity, useAddNote } from './contacts-api.js';

/** Filter groups offered above the timeline; each is a module prefix the API understands (`mail.*`). */
const TYPE_GROUPS = [
  'contacts.*',
  'capture.*',
  'mail.*',
  'consent.*',
  'events.*',
  'journeys.*',
  'sales.*',
] as const;
const PAGE = 25;

function useTimeline(contactId: string, types: string[]) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: useWorkspaceKey('contacts', 'timeline', contactId, types),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api.get<{ items: Activity[]; nextBefore: string | null }>(
        `/api/v1/contacts/${encodeURIComponent(contactId)}/timeline`,
        {
          types: types.length > 0 ? types.join(',') : undefined,
          before: pageParam ?? undefined,
          limit: PAGE,
        },
      ),
    getNextPageParam: (last) => last.nextBefore,
  });
}

/** "Stage changed from subscriber to MQL", "Note: …": one line per known type, the type otherwise. */
function useDescribe() {
  const { t, i18n } = useTranslation();
  // The standard stage names (a workspace's own names live in the scoring settings).
  const stageLabel = (stage: unknown) =>
    typeof stage === 'string' && i18n.exists(`contacts.stages.${stage}`)
      ? t(`contacts.stages.${stage}` as 'contacts.stages.mql')
      : String(stage ?? '–');
  return (a: Activity): { title: string; body?: string } => {
    const key = `contacts.timeline.types.${a.type}`;
    const title = i18n.exists(key) ? t(key as 'contacts.timeline.types.contacts.created') : a.type;
    const d = a.data;
    if (a.type === 'contacts.stage-changed')
      return {
        title,
        body:
          t('contacts.timeline.fromTo', { from: stageLabel(d.from), to: stageLabel(d.to) }) +
          (typeof d.cause === 'string' && i18n.exists(`contacts.timeline.causes.${d.cause}`)
            ? ` · ${t(`contacts.timeline.causes.${d.cause}` as 'contacts.timeline.causes.rule')}`
            : '') +
          (d.reason ? ` · ${String(d.reason)}` : ''),
      };
    if (a.type === 'contacts.note-added' || a.type === 'contacts.call-logged')
      return { title, body: String(d.text ?? '') };
    if (a.type === 'contacts.updated' && Array.isArray(d.changes))
      return {
        title,
        body: (d.changes as { field: string; from: unknown; to: unknown }[])
          .map((c) => `${c.field}: ${JSON.stringify(c.from ?? null)} → ${JSON.stringify(c.to ?? null)}`)
          .join('; '),
      };
    const details = Object.entries(d)
      .filter(([k, v]) => k !== 'by' && (typeof v === 'string' || typeof v === 'number'))
      .slice(0, 6)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(' · ');
    return { title, body: details || undefined };
  };
}

/** Every interaction, newest first, filterable by module, loaded 25 at a time; notes and calls are added here. */
export function TimelineSection({ detail, canWrite }: ContactSectionProps) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const [types, setTypes] = useState<string[]>([]);
  const timeline = useTimeline(detail.contact.id, types);
  const describe = useDescribe();
  const items = timeline.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack>
      {canWrite ? <NoteForm contactId={detail.contact.id} /> : null}
      <Paper p="md">
        <Group justify="space-between" align="flex-end" mb="md">
          <Title order={2} size="h4">
            {t('contacts.timeline.title')}
          </Title>
          <MultiSelect
            label={t('contacts.timeline.filter')}
            data={TYPE_GROUPS.map((g) => ({
              value: g,
              label: t(`contacts.timeline.groups.${g.slice(0, -2) as 'mail'}`),
            }))}
            value={types}
            onChange={setTypes}
            clearable
            w={320}
          />
        </Group>
        {timeline.isPending ? (
          <Loading />
        ) : timeline.isError ? (
          <ErrorState error={timeline.error} onRetry={() => void timeline.refetch()} />
        ) : items.length === 0 ? (
          <Text c="dimmed">{t('contacts.timeline.empty')}</Text>
        ) : (
          <>
            <Timeline
              bulletSize={14}
              lineWidth={2}
              aria-label={t('contacts.timeline.title')}
              data-testid="timeline"
            >
              {items.map((a) => {
                const d = describe(a);
                return (
                  <Timeline.Item key={a.id} title={d.title}>
                    {d.body ? (
                      <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                        {d.body}
                      </Text>
                    ) : null}
                    <Text size="xs" c="dimmed">
                      {fmt.dateTime(a.occurredAt)}
                      {typeof a.data.by === 'string' ? ` · ${a.data.by}` : ''}
                      {a.source ? ` · ${a.source}` : ''}
                      {a.mergedFrom ? ` · ${t('contacts.timeline.merged')}` : ''}
                    </Text>
                  </Timeline.Item>
                );
              })}
            </Timeline>
            {timeline.hasNextPage ? (
              <Button
                variant="default"
                mt="md"
                loading={timeline.isFetchingNextPage}
                onClick={() => void timeline.fetchNextPage()}
              >
                {t('common.loadMore')}
              </Button>
            ) : null}
          </>
        )}
      </Paper>
    </Stack>
  );
}

function NoteForm({ contactId }: { contactId: string }) {
  const { t } = useTranslation();
  const add = useAddNote(contactId);
  const [kind, setKind] = useState<'note' | 'call'>('note');
  const [text, setText] = useState('');
  return (
    <Paper p="md">
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          add.mutate(
            { kind, text: text.trim() },
            {
              onSuccess: () => {
                setText('');
                notifications.show({ color: 'brand', message: t('contacts.timeline.noteAdded') });
              },
            },
          );
        }}
      >
        <Stack gap="xs">
          <SegmentedControl
            value={kind}
            onChange={(v) => setKind(v as 'note' | 'call')}
            data={[
              { value: 'note', label: t('contacts.timeline.note') },
              { value: 'call', label: t('contacts.timeline.call') },
            ]}
            w={240}
            aria-label={t('contacts.timeline.kind')}
          />
          <Textarea
            label={kind === 'call' ? t('contacts.timeline.callText') : t('contacts.timeline.noteText')}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            maxLength={5000}
            autosize
            minRows={2}
          />
          {add.isError ? (
            <Alert color="red" role="alert">
              {messageOf(add.error, t)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button type="submit" disabled={!text.trim()} loading={add.isPending}>
              {t('contacts.timeline.add')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
