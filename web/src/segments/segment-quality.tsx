import { Badge, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { ErrorState } from '../ui/error-state.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import type { Group as GroupNode } from './segments-api.js';

/*
 * Data quality of the contacts a segment definition matches (POST /api/v1/contacts/quality): the
 * average quality score, how many score below 50, how many were asked to re-confirm, and how many
 * have each finding. Asked for on demand (it aggregates over every matching contact), then it
 * follows the definition as it changes.
 */

interface SelectionQuality {
  contacts: number;
  averageScore: number | null;
  lowScore: number;
  reconfirmationRequested: number;
  reasons: { code: string; contacts: number }[];
}

export function SegmentQuality({ definition }: { definition: GroupNode }) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const api = useApi();
  const [shown, setShown] = useState(false);
  const quality = useQuery({
    queryKey: useWorkspaceKey('contacts', 'selection-quality', JSON.stringify(definition)),
    queryFn: () => api.post<SelectionQuality>('/api/v1/contacts/quality', { filter: definition }),
    enabled: shown,
  });
  return (
    <Paper p="md">
      <Group justify="space-between" mb={shown ? 'sm' : 0}>
        <Title order={2} size="h4">
          {t('segments.quality.title')}
        </Title>
        {shown ? null : (
          <Button variant="default" size="xs" onClick={() => setShown(true)}>
            {t('segments.quality.show')}
          </Button>
        )}
      </Group>
      {!shown ? null : quality.isPending ? (
        <Loading minHeight={60} />
      ) : quality.isError ? (
        <ErrorState error={quality.error} onRetry={() => void quality.refetch()} />
      ) : (
        <Stack gap="xs" data-testid="segment-quality">
          <Text size="sm">
            {quality.data.averageScore === null
              ? t('segments.quality.noContacts')
              : t('segments.quality.average', { score: fmt.number(Math.round(quality.data.averageScore)) })}
          </Text>
          <Text size="sm">
            {t('segments.quality.low', {
              count: quality.data.lowScore,
              formatted: fmt.number(quality.data.lowScore),
            })}
          </Text>
          <Text size="sm">
            {t('segments.quality.reconfirm', {
              count: quality.data.reconfirmationRequested,
              formatted: fmt.number(quality.data.reconfirmationRequested),
            })}
          </Text>
          {quality.data.reasons.length > 0 ? (
            <Group gap={6} role="list" aria-label={t('segments.quality.findings')}>
              {quality.data.reasons.map((r) => (
                <Badge key={r.code} variant="light" tt="none" role="listitem">
                  {t(`contacts.quality.reasons.${r.code as 'role_address'}`)}: {fmt.number(r.contacts)}
                </Badge>
              ))}
            </Group>
          ) : null}
        </Stack>
      )}
    </Paper>
  );
}
