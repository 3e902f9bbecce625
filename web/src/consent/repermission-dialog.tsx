import { Alert, Button, List, Modal, NumberInput, Stack, Text } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import type { Workspace } from '../api/types.js';
import { messageOf } from '../ui/errors.js';
import { useCurrentWorkspace, useWorkspaceKey } from '../workspace/current-workspace.js';

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

/** Whom a re-permission request asks: a saved segment, or one contact (its page). */
export type RepermissionTarget = { segmentId: string } | { contactId: string };

function useRepermission(target: RepermissionTarget) {
  const api = useApi();
  const selection =
    'segmentId' in target ? { segmentId: target.segmentId } : { contactIds: [target.contactId] };
  return useMutation({
    mutationFn: (body: { dryRun: boolean; freshnessDays?: number }) =>
      api.post<RepermissionReport>('/api/v1/consent/repermission', { ...selection, ...body }),
  });
}

/** Re-permission sends mail: only the roles with mail:write (admin, marketing) see the action. */
export function useCanSendMail(): boolean {
  const { role, canManage } = useCurrentWorkspace();
  return canManage || role === 'marketing';
}

/** The workspace's freshness period (days), the server's default when the dialog leaves it empty. */
function useWorkspaceStaleDays(): number | undefined {
  const api = useApi();
  const query = useQuery({
    queryKey: useWorkspaceKey('workspace'),
    queryFn: async () => (await api.get<{ workspace: Workspace }>('/api/v1/workspace')).workspace,
  });
  return query.data?.staleAfterDays;
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

/** For one contact: the outcome in one sentence (queued / would be asked / why not). */
function OneContactOutcome({ report, sent }: { report: RepermissionReport; sent: boolean }) {
  const { t } = useTranslation();
  if (sent ? report.queued > 0 : report.wouldQueue > 0)
    return <Text fw={600}>{sent ? t('repermission.one.sent') : t('repermission.one.wouldSend')}</Text>;
  const reason = (Object.keys(REASON_KEYS) as Array<keyof typeof REASON_KEYS>).find(
    (r) => report.skipped[r] > 0,
  );
  return <Text fw={600}>{t(ONE_REASON_KEYS[reason ?? 'confirmed'])}</Text>;
}

const ONE_REASON_KEYS = {
  'not-found': 'repermission.one.notFound',
  suppressed: 'repermission.one.suppressed',
  withdrawn: 'repermission.one.withdrawn',
  confirmed: 'repermission.one.confirmed',
  'recently-asked': 'repermission.one.recentlyAsked',
  'rate-limited': 'repermission.one.rateLimited',
} as const;

/**
 * The dialog behind both buttons: first counts who would get the ad-free confirmation mail (a dry
 * run), then sends after the user confirms. An empty freshness field means the workspace's
 * freshness period (the server's default).
 */
function RepermissionDialog({
  target,
  title,
  onClose,
}: {
  target: RepermissionTarget;
  title: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [freshness, setFreshness] = useState<number | string>('');
  const preview = useRepermission(target);
  const send = useRepermission(target);
  const staleDays = useWorkspaceStaleDays();
  const one = 'contactId' in target;
  const freshnessDays = typeof freshness === 'number' && freshness >= 1 ? freshness : undefined;
  const body = (dryRun: boolean) => ({ dryRun, ...(freshnessDays ? { freshnessDays } : {}) });
  // biome-ignore lint/correctness/useExhaustiveDependencies: count once when the dialog opens
  useEffect(() => {
    preview.mutate(body(true));
  }, []);
  const count = preview.data?.wouldQueue ?? 0;
  return (
    <Modal opened onClose={onClose} title={title}>
      <Stack>
        <Text size="sm">{one ? t('repermission.one.explain') : t('repermission.explain')}</Text>
        <NumberInput
          label={t('repermission.freshness')}
          description={
            staleDays
              ? t('repermission.freshnessDefault', { count: staleDays })
              : t('repermission.freshnessHint')
          }
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
            {one ? (
              <OneContactOutcome report={preview.data} sent={false} />
            ) : (
              <>
                <Text>
                  {t('repermission.eligible', {
                    count: preview.data.eligible,
                    selected: preview.data.selected,
                  })}
                </Text>
                <Text fw={600}>{t('repermission.wouldQueue', { count })}</Text>
                <Skipped report={preview.data} />
              </>
            )}
          </Stack>
        ) : null}
        {send.isError ? <Alert color="red">{messageOf(send.error, t)}</Alert> : null}
        {send.data ? (
          one ? (
            <Alert color={send.data.queued > 0 ? 'green' : 'yellow'}>
              <OneContactOutcome report={send.data} sent />
            </Alert>
          ) : (
            <Alert color="green" title={t('repermission.sent', { count: send.data.queued })}>
              <Skipped report={send.data} />
            </Alert>
          )
        ) : (
          <Button
            onClick={() => send.mutate(body(false))}
            loading={send.isPending}
            disabled={!preview.data || count === 0 || preview.isPending}
          >
            {one ? t('repermission.one.send') : t('repermission.send', { count })}
          </Button>
        )}
      </Stack>
    </Modal>
  );
}

/** "Ask for re-permission" for one segment (segments page). */
export function RepermissionButton({ segmentId, segmentName }: { segmentId: string; segmentName: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="subtle" size="compact-sm" onClick={() => setOpen(true)}>
        {t('repermission.action')}
      </Button>
      {open ? (
        <RepermissionDialog
          target={{ segmentId }}
          title={t('repermission.title', { name: segmentName })}
          onClose={() => setOpen(false)}
        />
      ) : null}
    </>
  );
}

/** "Ask to re-confirm consent" for one contact (its consents and quality tabs). */
export function ContactRepermissionButton({
  contactId,
  contactName,
  onDone,
  describedBy,
}: {
  contactId: string;
  contactName: string;
  /** Called when the dialog closes (the page reloads the contact's consents). */
  onDone?: () => void;
  /** The id of a help text under the button. */
  describedBy?: string;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size="xs" variant="default" onClick={() => setOpen(true)} aria-describedby={describedBy}>
        {t('repermission.one.action')}
      </Button>
      {open ? (
        <RepermissionDialog
          target={{ contactId }}
          title={t('repermission.one.title', { name: contactName })}
          onClose={() => {
            setOpen(false);
            onDone?.();
          }}
        />
      ) : null}
    </>
  );
}
