import {
  Badge,
  Button,
  Group,
  Modal,
  NativeSelect,
  Paper,
  Radio,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  QualificationSummary,
  type SummaryBant,
  type SummaryScores,
} from '../scoring/qualification-summary.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import {
  type InboxView,
  type Lead,
  REJECT_REASONS,
  type RejectReason,
  useLeadAction,
  useLeads,
  useMarkRead,
  useNotifications,
  useReps,
} from './sales-api.js';
import { SalesTabs } from './sales-tabs.js';

/** "now" that moves on by itself, for the SLA countdown. */
function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

function SlaCountdown({ dueAt, now }: { dueAt: string; now: number }) {
  const { t, i18n } = useTranslation();
  const ms = new Date(dueAt).getTime() - now;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const rtf = new Intl.RelativeTimeFormat(i18n.language, { numeric: 'auto' });
  const value = minutes >= 120 ? Math.round(minutes / 60) : minutes;
  const unit = minutes >= 120 ? 'hour' : 'minute';
  const text = rtf.format(ms >= 0 ? value : -value, unit);
  return (
    <Badge color={ms < 0 ? 'red' : ms < 3_600_000 ? 'orange' : 'gray'} variant="light">
      {ms < 0 ? t('sales.inbox.overdue', { when: text }) : t('sales.inbox.due', { when: text })}
    </Badge>
  );
}

function who(lead: Lead): string {
  return lead.summary.who?.name || lead.summary.who?.email || lead.contactId;
}

function LeadCard({
  lead,
  now,
  manager,
  onReject,
  onConvert,
  onAssign,
}: {
  lead: Lead;
  now: number;
  manager: boolean;
  onReject: (lead: Lead) => void;
  onConvert: (lead: Lead) => void;
  onAssign: (lead: Lead) => void;
}) {
  const { t, i18n } = useTranslation();
  const { dateTime } = useFormatters();
  const action = useLeadAction();
  const s = lead.summary;
  const typeLabel = (type: string) => {
    const key = `contacts.timeline.types.${type}`;
    return i18n.exists(key) ? t(key as 'contacts.timeline.types.contacts.created') : type;
  };
  const purposeLabel = (purpose: string) => {
    const key = `forms.purposes.${purpose}`;
    return i18n.exists(key) ? t(key as 'forms.purposes.phone') : purpose;
  };
  const company = [s.company?.name, s.company?.industry, s.company?.size, s.company?.country]
    .filter(Boolean)
    .join(' · ');
  const accept = () =>
    action.mutate(
      { leadId: lead.id, action: 'accept' },
      {
        onSuccess: () =>
          notifications.show({ color: 'brand', message: t('sales.inbox.accepted', { who: who(lead) }) }),
        onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      },
    );
  return (
    <Paper p="md" component="article" aria-label={who(lead)}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="wrap">
          <Stack gap={2}>
            <Title order={3} size="h4">
              {who(lead)}
            </Title>
            <Text size="sm" c="dimmed">
              {[s.who?.jobTitle, company].filter(Boolean).join(' — ') || t('sales.inbox.noCompany')}
            </Text>
          </Stack>
          <Group gap="xs">
            <Badge variant="outline">{t(`sales.status.${lead.status}`)}</Badge>
            {lead.status === 'assigned' && lead.slaDueAt ? (
              <SlaCountdown dueAt={lead.slaDueAt} now={now} />
            ) : null}
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <Text size="sm">
            <strong>{t('sales.summary.source')}:</strong> {s.sourceChannel ?? '–'}
          </Text>
          <Text size="sm">
            <strong>{t('sales.summary.phone')}:</strong> {s.who?.phone ?? t('sales.summary.noPhoneConsent')}
          </Text>
          <Text size="sm">
            <strong>{t('sales.summary.assigned')}:</strong> {lead.assignedName ?? t('sales.inbox.nobody')}
          </Text>
          <Text size="sm">
            <strong>{t('sales.summary.received')}:</strong> {dateTime(lead.createdAt)}
          </Text>
          <Text size="sm">
            <strong>{t('sales.summary.consents')}:</strong>{' '}
            {s.consents
              ?.filter((c) => c.given)
              .map((c) => purposeLabel(c.purpose))
              .join(', ') || '–'}
          </Text>
        </SimpleGrid>
        <QualificationSummary scores={s.scores as SummaryScores | null} bant={s.bant as SummaryBant | null} />
        {s.lastInteractions?.length ? (
          <Text size="sm">
            <strong>{t('sales.summary.recent')}:</strong>{' '}
            {s.lastInteractions.map((a) => `${typeLabel(a.type)} (${dateTime(a.occurredAt)})`).join(', ')}
          </Text>
        ) : null}
        {lead.rejectReason ? (
          <Text size="sm">
            <strong>{t('sales.inbox.rejectedBecause')}:</strong> {t(`sales.reasons.${lead.rejectReason}`)} →{' '}
            {t(`sales.outcomes.${lead.rejectOutcome ?? 'recycled'}`)}
          </Text>
        ) : null}
        <Group gap="sm">
          {lead.status === 'assigned' ? (
            <Button size="sm" onClick={accept} loading={action.isPending}>
              {t('sales.inbox.accept')}
            </Button>
          ) : null}
          {lead.status === 'assigned' || lead.status === 'accepted' || lead.status === 'unassigned' ? (
            <Button size="sm" variant="default" onClick={() => onReject(lead)}>
              {t('sales.inbox.reject')}
            </Button>
          ) : null}
          {lead.status === 'accepted' ? (
            <Button size="sm" variant="light" onClick={() => onConvert(lead)}>
              {t('sales.inbox.convert')}
            </Button>
          ) : null}
          {manager && (lead.status === 'assigned' || lead.status === 'unassigned') ? (
            <Button size="sm" variant="subtle" onClick={() => onAssign(lead)}>
              {t('sales.inbox.assign')}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </Paper>
  );
}

function RejectModal({ lead, onClose }: { lead: Lead | null; onClose: () => void }) {
  const { t } = useTranslation();
  const action = useLeadAction();
  const [reason, setReason] = useState<RejectReason>('not_a_fit');
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState<'recycled' | 'disqualified'>('recycled');
  const noteMissing = reason === 'other' && !note.trim();
  const submit = () => {
    if (!lead || noteMissing) return;
    action.mutate(
      {
        leadId: lead.id,
        action: 'reject',
        body: { reason, outcome, ...(note.trim() ? { note: note.trim() } : {}) },
      },
      {
        onSuccess: () => {
          notifications.show({ color: 'brand', message: t('sales.inbox.rejected', { who: who(lead) }) });
          setNote('');
          onClose();
        },
        onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      },
    );
  };
  return (
    <Modal opened={!!lead} onClose={onClose} title={t('sales.reject.title', { who: lead ? who(lead) : '' })}>
      <Stack>
        <NativeSelect
          label={t('sales.reject.reason')}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value as RejectReason)}
          data={REJECT_REASONS.map((r) => ({ value: r, label: t(`sales.reasons.${r}`) }))}
        />
        <Textarea
          label={t('sales.reject.note')}
          description={reason === 'other' ? t('sales.reject.noteRequired') : undefined}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          maxLength={2000}
          autosize
          minRows={2}
          error={noteMissing && action.isError ? t('sales.reject.noteRequired') : undefined}
        />
        <Radio.Group
          label={t('sales.reject.outcome')}
          value={outcome}
          onChange={(v) => setOutcome(v as 'recycled' | 'disqualified')}
        >
          <Stack gap="xs" mt="xs">
            <Radio value="recycled" label={t('sales.outcomes.recycled')} />
            <Radio value="disqualified" label={t('sales.outcomes.disqualified')} />
          </Stack>
        </Radio.Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button color="red" onClick={submit} disabled={noteMissing} loading={action.isPending}>
            {t('sales.reject.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function ConvertModal({ lead, onClose }: { lead: Lead | null; onClose: () => void }) {
  const { t } = useTranslation();
  const action = useLeadAction();
  const [note, setNote] = useState('');
  const needsNote = lead?.stage !== 'sql';
  const submit = () => {
    if (!lead) return;
    action.mutate(
      { leadId: lead.id, action: 'convert', body: note.trim() ? { note: note.trim() } : {} },
      {
        onSuccess: () => {
          notifications.show({ color: 'brand', message: t('sales.convert.done', { who: who(lead) }) });
          setNote('');
          onClose();
        },
        onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      },
    );
  };
  return (
    <Modal opened={!!lead} onClose={onClose} title={t('sales.convert.title', { who: lead ? who(lead) : '' })}>
      <Stack>
        <Text size="sm">{needsNote ? t('sales.convert.qualifyByHand') : t('sales.convert.qualified')}</Text>
        <Textarea
          label={t('sales.convert.note')}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          maxLength={2000}
          autosize
          minRows={2}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button onClick={submit} disabled={needsNote && !note.trim()} loading={action.isPending}>
            {t('sales.convert.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function AssignModal({ lead, onClose }: { lead: Lead | null; onClose: () => void }) {
  const { t } = useTranslation();
  const reps = useReps();
  const action = useLeadAction();
  const options = (reps.data?.items ?? []).filter((m) => m.rep?.active);
  const [userId, setUserId] = useState('');
  const [note, setNote] = useState('');
  const chosen = userId || options[0]?.userId || '';
  const submit = () => {
    if (!lead || !chosen) return;
    action.mutate(
      {
        leadId: lead.id,
        action: 'assign',
        body: { userId: chosen, ...(note.trim() ? { note: note.trim() } : {}) },
      },
      {
        onSuccess: () => {
          notifications.show({ color: 'brand', message: t('sales.assign.done') });
          onClose();
        },
        onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      },
    );
  };
  return (
    <Modal opened={!!lead} onClose={onClose} title={t('sales.assign.title', { who: lead ? who(lead) : '' })}>
      <Stack>
        <NativeSelect
          label={t('sales.assign.rep')}
          value={chosen}
          onChange={(e) => setUserId(e.currentTarget.value)}
          data={options.map((m) => ({
            value: m.userId,
            label: `${m.name || m.email} (${t('sales.team.openLeads', { count: m.rep?.openLeads ?? 0 })})`,
          }))}
        />
        <Textarea
          label={t('sales.assign.note')}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button onClick={submit} disabled={!chosen} loading={action.isPending}>
            {t('sales.assign.submit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function NotificationsPanel() {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const list = useNotifications();
  const markRead = useMarkRead();
  if (!list.data || list.data.items.length === 0) return null;
  return (
    <Paper p="md" component="section" aria-labelledby="sales-notifications">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="sales-notifications">
          {t('sales.notifications.title', { count: list.data.unread })}
        </Title>
        {list.data.unread > 0 ? (
          <Button size="xs" variant="subtle" onClick={() => markRead.mutate(undefined)}>
            {t('sales.notifications.markAll')}
          </Button>
        ) : null}
      </Group>
      <Stack gap={4} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {list.data.items.slice(0, 8).map((n) => (
          <Text component="li" key={n.id} size="sm" fw={n.readAt ? 400 : 600}>
            {t(`sales.notifications.kinds.${n.kind.replace('.', '_')}`, {
              defaultValue: n.kind,
              who: n.data.who ?? '',
            })}{' '}
            · {dateTime(n.createdAt)}
          </Text>
        ))}
      </Stack>
    </Paper>
  );
}

/** The sales inbox: new leads with SLA countdown; accept, reject with a reason, convert, assign. */
export function SalesInboxPage() {
  const { t } = useTranslation();
  const [view, setView] = useState<InboxView>('mine');
  const leads = useLeads(view);
  const now = useNow();
  const [rejecting, setRejecting] = useState<Lead | null>(null);
  const [converting, setConverting] = useState<Lead | null>(null);
  const [assigning, setAssigning] = useState<Lead | null>(null);
  const manager = leads.data?.manager ?? false;
  const open = (leads.data?.items ?? []).filter((l) =>
    ['unassigned', 'assigned', 'accepted'].includes(l.status),
  );
  const done = (leads.data?.items ?? []).filter(
    (l) => !['unassigned', 'assigned', 'accepted'].includes(l.status),
  );

  const card = (lead: Lead) => (
    <LeadCard
      key={lead.id}
      lead={lead}
      now={now}
      manager={manager}
      onReject={setRejecting}
      onConvert={setConverting}
      onAssign={setAssigning}
    />
  );

  return (
    <Page title={t('sales.inbox.title')} description={t('sales.inbox.description')}>
      <SalesTabs />
      <NotificationsPanel />
      {manager ? (
        <SegmentedControl
          aria-label={t('sales.inbox.viewLabel')}
          value={view}
          onChange={(v) => setView(v as InboxView)}
          data={[
            { value: 'mine', label: t('sales.inbox.views.mine') },
            { value: 'unassigned', label: t('sales.inbox.views.unassigned') },
            { value: 'all', label: t('sales.inbox.views.all') },
          ]}
        />
      ) : null}
      {leads.isPending ? (
        <Loading />
      ) : leads.isError ? (
        <ErrorState error={leads.error} onRetry={() => void leads.refetch()} />
      ) : open.length === 0 && done.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('sales.inbox.empty')}</Text>
        </Paper>
      ) : (
        <Stack>
          <Title order={2} size="h3">
            {t('sales.inbox.open', { count: open.length })}
          </Title>
          {open.map(card)}
          {done.length > 0 ? (
            <>
              <Title order={2} size="h3">
                {t('sales.inbox.closed', { count: done.length })}
              </Title>
              {done.map(card)}
            </>
          ) : null}
        </Stack>
      )}
      <RejectModal lead={rejecting} onClose={() => setRejecting(null)} />
      <ConvertModal lead={converting} onClose={() => setConverting(null)} />
      <AssignModal lead={assigning} onClose={() => setAssigning(null)} />
    </Page>
  );
}
