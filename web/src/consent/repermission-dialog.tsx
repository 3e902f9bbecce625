import { Alert, Button, List, Modal, NumberInput, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { messageOf } from '../ui/errors.js';

/** The answer of POST /api/v1/consent/repermission (server: src/modules/consent/repermission.routes.ts). */
export interface RepermissionReport {
  selected: number;
  eligible: number;
  queued: number;
  wouldQueue: number;
  skipped: Record<
    'not-found' | 'suppressed' | 'withdrawn' | 'confirmed' | 'recently-asked' | 'rate-limited',
    number
  >;
}

const REASON_KEYS = {
  'not-found': 'repermission.skippedNotFound',
  suppressed: 'repermission.skippedSuppressed',
  withdrawn: 'repermission.skippedWithdrawn',
  confirmed: 'repermission.skippedConfirmed',
  'recently-asked': 'repermission.skippedRecentlyAsked',
  'rate-limited': 'repermission.skippedRateLimited',
} as const;

function useRepermission(segmentId: string) {
  const api = useApi();
  return useMutation({
    mutationFn: (body: { dryRun: boolean; freshnessDays?: number }) =>
      api.post<RepermissionReport>('/api/v1/consent/repermission', { segmentId, ...body }),
  });
}

function Skipped({ report }: { report: RepermissionReport }) {
  const { t } = useTranslation();
  const rows = (Object.keys(REASON_KEYS) as Array<keyof typeof REASON_KEYS>).filter(
    (r) => report.skipped[r] > 0,
  );
  if (rows.length === 0) return null;
  return (
    <List size="sm">
      {rows.map((r) => (
        <List.Item key={r}>{t(REASON_KEYS[r], { count: report.skipped[r] })}</List.Item>
      ))}
    </List>
  );
}

/**
 * "Ask for re-permission" for one segment: first counts who would get the ad-free confirmation
 * mail (a dry run), then sends after the manager confirms the number.
 */
export function RepermissionButton({ segmentId, segmentName }: { segmentId: string; segmentName: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [freshness, setFreshness] = useState<number | string>('');
  const preview = useRepermission(segmentId);
  const send = useRepermission(segmentId);
  const freshnessDays = typeof freshness === 'number' && freshness >= 1 ? freshness : undefined;
  const body = (dryRun: boolean) => ({ dryRun, ...(freshnessDays ? { freshnessDays } : {}) });
  const close = () => {
    setOpen(false);
    preview.reset();
    send.reset();
  };
  const count = preview.data?.wouldQueue ?? 0;
  return (
    <>
      <Button
        variant="subtle"
        size="compact-sm"
        onClick={() => {
          setOpen(true);
          preview.mutate(body(true));
        }}
      >
        {t('repermission.action')}
      </Button>
      {open ? (
        <Modal opened onClose={close} title={t('repermission.title', { name: segmentName })}>
          <Stack>
            <Text size="sm">{t('repermission.explain')}</Text>
            <NumberInput
              label={t('repermission.freshness')}
              description={t('repermission.freshnessHint')}
              min={1}
              max={36500}
              value={freshness}
              onChange={setFreshness}
              disabled={send.isSuccess}
            />
            <Button
              variant="default"
              onClick={() => preview.mutate(body(true))}
              loading={preview.isPending}
              disabled={send.isSuccess}
            >
              {t('repermission.count')}
            </Button>
            {preview.isError ? <Alert color="red">{messageOf(preview.error, t)}</Alert> : null}
            {preview.data && !send.data ? (
              <Stack gap="xs" aria-live="polite">
                <Text>
                  {t('repermission.eligible', {
                    count: preview.data.eligible,
                    selected: preview.data.selected,
                  })}
                </Text>
                <Text fw={600}>{t('repermission.wouldQueue', { count })}</Text>
                <Skipped report={preview.data} />
              </Stack>
            ) : null}
            {send.isError ? <Alert color="red">{messageOf(send.error, t)}</Alert> : null}
            {send.data ? (
              <Alert color="green" title={t('repermission.sent', { count: send.data.queued })}>
                <Skipped report={send.data} />
              </Alert>
            ) : (
              <Button
                onClick={() => send.mutate(body(false))}
                loading={send.isPending}
                disabled={!preview.data || count === 0 || preview.isPending}
              >
                {t('repermission.send', { count })}
              </Button>
            )}
          </Stack>
        </Modal>
      ) : null}
    </>
  );
}
