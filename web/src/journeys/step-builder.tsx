import { Button, Group, NumberInput, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { messageOf } from '../ui/errors.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import type { JourneyDefinition, JourneyStep } from './journeys-api.js';

/*
 * Builds a journey step by step: each new step is appended to the end of the chain (the last
 * step's `next` points to it). Branches and other paths are made through the API for now.
 */

type Kind = 'wait' | 'send-mail' | 'tag' | 'exit';

function endOfChain(def: JourneyDefinition): JourneyStep | undefined {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  let current = byId.get(def.startStepId);
  const seen = new Set<string>();
  while (current?.next && byId.has(current.next) && !seen.has(current.id)) {
    seen.add(current.id);
    current = byId.get(current.next);
  }
  return current;
}

export function StepBuilder({ journeyId, draft }: { journeyId: string; draft: JourneyDefinition }) {
  const { t } = useTranslation();
  const api = useApi();
  const qc = useQueryClient();
  const [kind, setKind] = useState<Kind>('wait');
  const [days, setDays] = useState<number | string>(1);
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [tag, setTag] = useState('');
  const templates = useQuery({
    queryKey: useWorkspaceKey('mail', 'templates', 'for-journeys'),
    queryFn: async () =>
      (
        await api.get<{ items: { id: string; name: string; kind: string; purpose: string | null }[] }>(
          '/api/v1/mail/templates',
        )
      ).items,
  });
  const save = useMutation({
    mutationFn: async (definition: JourneyDefinition) => {
      await api.patch(`/api/v1/journeys/${encodeURIComponent(journeyId)}`, { definition });
      await api.post(`/api/v1/journeys/${encodeURIComponent(journeyId)}/publish`, {});
    },
    onSuccess: () => qc.invalidateQueries(),
  });
  const last = endOfChain(draft);
  const canAppend = last !== undefined && last.type !== 'exit' && last.type !== 'branch';

  function add() {
    const id = `${kind}-${draft.steps.length + 1}`;
    const template = templates.data?.find((x) => x.id === templateId);
    const step: Record<string, unknown> =
      kind === 'wait'
        ? {
            id,
            type: 'wait',
            label: t('journeys.builder.waitLabel', { days }),
            wait: { kind: 'duration', duration: { days: Number(days) } },
            next: null,
          }
        : kind === 'send-mail'
          ? {
              id,
              type: 'send-mail',
              label: template?.name ?? id,
              templateId,
              kind: template?.kind ?? 'marketing',
              ...(template?.purpose ? { purpose: template.purpose } : {}),
              next: null,
            }
          : kind === 'tag'
            ? {
                id,
                type: 'update-contact',
                label: t('journeys.builder.tagLabel', { tag }),
                addTags: [tag.trim()],
                next: null,
              }
            : { id, type: 'exit', label: t('journeys.stepTypes.exit') };
    const steps = draft.steps.map((s) => (s.id === last?.id ? { ...s, next: id } : s));
    save.mutate({ ...draft, steps: [...steps, step as unknown as JourneyStep] });
  }

  const ready =
    kind === 'wait'
      ? Number(days) >= 1
      : kind === 'send-mail'
        ? !!templateId
        : kind === 'tag'
          ? tag.trim().length > 0
          : true;
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h3">
          {t('journeys.builder.title')}
        </Title>
        <Text size="sm">{t('journeys.builder.help')}</Text>
        {canAppend ? (
          <Group align="flex-end">
            <Select
              label={t('journeys.builder.kind')}
              value={kind}
              onChange={(v) => setKind((v as Kind) ?? 'wait')}
              allowDeselect={false}
              data={[
                { value: 'wait', label: t('journeys.stepTypes.wait') },
                { value: 'send-mail', label: t('journeys.stepTypes.send-mail') },
                { value: 'tag', label: t('journeys.builder.tag') },
                { value: 'exit', label: t('journeys.stepTypes.exit') },
              ]}
            />
            {kind === 'wait' ? (
              <NumberInput label={t('journeys.builder.days')} min={1} value={days} onChange={setDays} />
            ) : null}
            {kind === 'send-mail' ? (
              <Select
                label={t('journeys.builder.template')}
                value={templateId}
                onChange={setTemplateId}
                data={(templates.data ?? []).map((x) => ({ value: x.id, label: x.name }))}
              />
            ) : null}
            {kind === 'tag' ? (
              <TextInput
                label={t('journeys.builder.tag')}
                value={tag}
                onChange={(e) => setTag(e.currentTarget.value)}
              />
            ) : null}
            <Button disabled={!ready} loading={save.isPending} onClick={add}>
              {t('journeys.builder.add')}
            </Button>
          </Group>
        ) : (
          <Text size="sm">{t('journeys.builder.ended')}</Text>
        )}
        {save.isError ? <Text c="red">{messageOf(save.error, t)}</Text> : null}
      </Stack>
    </Paper>
  );
}
