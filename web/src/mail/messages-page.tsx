import {
  Anchor,
  Badge,
  Center,
  Drawer,
  Group,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Timeline,
} from '@mantine/core';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorState } from '../ui/error-state.js';
import { useFormatters } from '../ui/format.js';
import { LoadMoreButton } from '../ui/load-more.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { MESSAGE_STATUSES, type Message, type MessageStatus, useMessage, useMessages } from './mail-api.js';
import { MailTabs } from './mail-tabs.js';
import { StatusBadge } from './status-badge.js';

/** The message log: every mail, its status and reason, per recipient. */
export function MessagesPage() {
  const { t } = useTranslation();
  const { dateTime, number } = useFormatters();
  const [status, setStatus] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const messages = useMessages({ status, search });
  const counts = messages.data?.pages[0]?.counts ?? {};
  const items = messages.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Page title={t('mail.messages.title')} description={t('mail.messages.description')}>
      <MailTabs />
      <Group align="flex-end" wrap="wrap">
        <Select
          label={t('mail.messages.status')}
          placeholder={t('mail.messages.allStatuses')}
          clearable
          value={status}
          onChange={setStatus}
          data={MESSAGE_STATUSES.map((s) => ({
            value: s,
            label: `${t(`mail.status.${s}`)} (${number(counts[s] ?? 0)})`,
          }))}
        />
        <TextInput
          label={t('mail.messages.search')}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
        />
      </Group>
      {messages.isPending ? (
        <Loading />
      ) : messages.isError ? (
        <ErrorState error={messages.error} onRetry={() => void messages.refetch()} />
      ) : items.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('mail.messages.empty')}</Text>
        </Paper>
      ) : (
        <>
          <Paper p={0}>
            <Table.ScrollContainer minWidth={900}>
              <Table highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('mail.messages.created')}</Table.Th>
                    <Table.Th scope="col">{t('mail.messages.to')}</Table.Th>
                    <Table.Th scope="col">{t('mail.messages.subject')}</Table.Th>
                    <Table.Th scope="col">{t('mail.messages.status')}</Table.Th>
                    <Table.Th scope="col">{t('mail.messages.reason')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((m) => (
                    <Table.Tr key={m.id}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <time dateTime={m.createdAt}>{dateTime(m.createdAt)}</time>
                      </Table.Td>
                      <Table.Td>
                        <Anchor component="button" type="button" onClick={() => setOpen(m.id)}>
                          {m.to}
                        </Anchor>
                        {m.isTest ? (
                          <Badge ml="xs" size="xs" variant="outline">
                            {t('mail.messages.test')}
                          </Badge>
                        ) : null}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{m.subject ?? m.templateName ?? '—'}</Text>
                        <Text size="xs" c="dimmed">
                          {t(`mail.kind.${m.kind}`)}
                          {m.purpose ? ` · ${m.purpose}` : ''}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={m.status} />
                        <Engagement message={m} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" lineClamp={2} maw={320}>
                          {reasonOf(m, t)}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
          <Center>
            <LoadMoreButton query={messages} />
          </Center>
        </>
      )}
      <MessageDrawer id={open} onClose={() => setOpen(null)} />
    </Page>
  );
}

function reasonOf(m: Message, t: TFunction): string {
  if (!m.statusReason) return '';
  if (m.status === 'skipped')
    return t(`mail.skip.${m.statusReason as 'suppressed'}`, { defaultValue: m.statusReason });
  return m.bounceType ? `${t(`mail.bounce.${m.bounceType as 'hard'}`)}: ${m.statusReason}` : m.statusReason;
}

/** Opens and clicks: recorded only for contacts with a tracking consent. */
function Engagement({ message }: { message: Message }) {
  const { t } = useTranslation();
  if (!message.tracking) return null;
  return (
    <Text size="xs" c="dimmed">
      {t('mail.messages.engagement', { opens: message.openCount, clicks: message.clickCount })}
    </Text>
  );
}

function MessageDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const detail = useMessage(id);
  return (
    <Drawer
      opened={id !== null}
      onClose={onClose}
      position="right"
      size="lg"
      title={t('mail.messages.detail')}
    >
      {detail.isPending ? (
        <Loading />
      ) : detail.isError ? (
        <ErrorState error={detail.error} />
      ) : (
        <Stack>
          <Group>
            <StatusBadge status={detail.data.message.status as MessageStatus} />
            <Text size="sm">{detail.data.message.to}</Text>
          </Group>
          <Text size="sm">{detail.data.message.subject}</Text>
          {detail.data.message.statusReason ? (
            <Paper withBorder p="sm">
              <Text size="sm" style={{ wordBreak: 'break-word' }}>
                {reasonOf(detail.data.message, t)}
              </Text>
            </Paper>
          ) : null}
          <Text size="xs" c="dimmed">
            {t('mail.messages.attempts', { count: detail.data.message.attempts })}
            {detail.data.message.messageIdHeader
              ? ` · Message-ID <${detail.data.message.messageIdHeader}>`
              : ''}
          </Text>
          {detail.data.message.contentRedactedAt ? (
            <Text size="xs" c="dimmed">
              {t('mail.messages.redacted', { date: dateTime(detail.data.message.contentRedactedAt) })}
            </Text>
          ) : null}
          {!detail.data.message.tracking ? (
            <Text size="xs" c="dimmed">
              {t('mail.messages.noTracking')}
            </Text>
          ) : null}
          <Timeline active={detail.data.events.length} bulletSize={14} lineWidth={2}>
            {detail.data.events.map((e) => (
              <Timeline.Item
                key={`${e.type}-${e.occurredAt}-${JSON.stringify(e.data)}`}
                title={t(`mail.event.${e.type as 'queued'}`, { defaultValue: e.type })}
              >
                <Text size="xs" c="dimmed">
                  <time dateTime={e.occurredAt}>{dateTime(e.occurredAt)}</time>
                </Text>
                {Object.keys(e.data).length > 0 ? (
                  <Text size="xs" style={{ wordBreak: 'break-word' }}>
                    {Object.entries(e.data)
                      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
                      .join(' · ')}
                  </Text>
                ) : null}
              </Timeline.Item>
            ))}
          </Timeline>
          {detail.data.outboxId ? (
            <Anchor component={Link} to={`/emails/outbox/${detail.data.outboxId}`}>
              {t('mail.messages.openInOutbox')}
            </Anchor>
          ) : null}
        </Stack>
      )}
    </Drawer>
  );
}
