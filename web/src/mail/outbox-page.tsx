import { Alert, Button, Grid, NavLink, Paper, ScrollArea, Stack, Table, Tabs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorState } from '../ui/error-state.js';
import { useFormatters } from '../ui/format.js';
import { LoadMoreButton } from '../ui/load-more.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useOutbox, useOutboxMail } from './mail-api.js';
import { MailFrame } from './mail-frame.js';
import { MailTabs } from './mail-tabs.js';

/** The built-in outbox, like a mail client: the list on the left, the open mail on the right. */
export function OutboxPage() {
  const { t } = useTranslation();
  const { id = null } = useParams();
  const navigate = useNavigate();
  const { dateTime } = useFormatters();
  const outbox = useOutbox();
  const items = outbox.data?.pages.flatMap((p) => p.items) ?? [];
  const smtp = outbox.data?.pages[0]?.transport === 'smtp';

  return (
    <Page title={t('mail.outbox.title')} description={t('mail.outbox.description')}>
      <MailTabs />
      {smtp ? (
        <Alert color="blue" title={t('mail.outbox.smtpTitle')}>
          {t('mail.outbox.smtpText')}
        </Alert>
      ) : null}
      {outbox.isPending ? (
        <Loading />
      ) : outbox.isError ? (
        <ErrorState error={outbox.error} onRetry={() => void outbox.refetch()} />
      ) : items.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('mail.outbox.empty')}</Text>
        </Paper>
      ) : (
        <Grid gap="lg">
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Paper p={0}>
              <nav aria-label={t('mail.outbox.list')}>
                <ScrollArea.Autosize mah={720}>
                  {items.map((item) => (
                    <NavLink
                      key={item.id}
                      component={Link}
                      to={`/emails/outbox/${item.id}`}
                      active={item.id === id}
                      aria-current={item.id === id ? 'true' : undefined}
                      label={item.subject}
                      description={`${item.to} · ${dateTime(item.createdAt)}`}
                    />
                  ))}
                </ScrollArea.Autosize>
              </nav>
              <LoadMoreButton query={outbox} fullWidth variant="subtle" />
            </Paper>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 8 }}>
            {id ? (
              <MailViewer id={id} />
            ) : (
              <Paper p="xl">
                <Text c="dimmed">{t('mail.outbox.choose')}</Text>
                <Button
                  mt="md"
                  variant="default"
                  onClick={() => items[0] && navigate(`/emails/outbox/${items[0].id}`)}
                >
                  {t('mail.outbox.openNewest')}
                </Button>
              </Paper>
            )}
          </Grid.Col>
        </Grid>
      )}
    </Page>
  );
}

function MailViewer({ id }: { id: string }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const mail = useOutboxMail(id);
  if (mail.isPending) return <Loading />;
  if (mail.isError) return <ErrorState error={mail.error} onRetry={() => void mail.refetch()} />;
  const m = mail.data;
  return (
    <Paper p="md" role="region" aria-label={t('mail.outbox.viewer')}>
      <Stack gap="xs">
        <Text fw={700} size="lg" component="h2" m={0}>
          {m.subject}
        </Text>
        <Table withRowBorders={false} verticalSpacing={2} fz="sm">
          <Table.Tbody>
            <Table.Tr>
              <Table.Th scope="row" w={90}>
                {t('mail.outbox.from')}
              </Table.Th>
              <Table.Td>{m.from}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th scope="row">{t('mail.outbox.to')}</Table.Th>
              <Table.Td>{m.to}</Table.Td>
            </Table.Tr>
            {m.date ? (
              <Table.Tr>
                <Table.Th scope="row">{t('mail.outbox.date')}</Table.Th>
                <Table.Td>
                  <time dateTime={m.date}>{dateTime(m.date)}</time>
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Table.Tbody>
        </Table>
        <Tabs defaultValue="html">
          <Tabs.List aria-label={t('mail.outbox.parts')}>
            <Tabs.Tab value="html">HTML</Tabs.Tab>
            <Tabs.Tab value="text">{t('mail.outbox.text')}</Tabs.Tab>
            <Tabs.Tab value="headers">{t('mail.outbox.headers')}</Tabs.Tab>
            <Tabs.Tab value="source">{t('mail.outbox.source')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="html" pt="sm">
            {m.html ? (
              <MailFrame
                html={m.html}
                title={t('mail.outbox.htmlFrame', { subject: m.subject })}
                width="100%"
                height={720}
              />
            ) : (
              <Text c="dimmed">—</Text>
            )}
          </Tabs.Panel>
          <Tabs.Panel value="text" pt="sm">
            <Text component="pre" size="sm" style={{ whiteSpace: 'pre-wrap', margin: 0 }}>
              {m.text}
            </Text>
          </Tabs.Panel>
          <Tabs.Panel value="headers" pt="sm">
            <Table.ScrollContainer minWidth={500}>
              <Table fz="xs" striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('mail.outbox.headerName')}</Table.Th>
                    <Table.Th scope="col">{t('mail.outbox.headerValue')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {m.headers.map((h, i) => (
                    // Headers repeat (Received, DKIM-Signature) and have no id: their position is their identity.
                    // biome-ignore lint/suspicious/noArrayIndexKey: a static list that never reorders
                    <Table.Tr key={`${h.name}-${i}`}>
                      <Table.Td ff="monospace" style={{ whiteSpace: 'nowrap', verticalAlign: 'top' }}>
                        {h.name}
                      </Table.Td>
                      <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                        {h.value}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Tabs.Panel>
          <Tabs.Panel value="source" pt="sm">
            <ScrollArea.Autosize mah={720}>
              <Text
                component="pre"
                size="xs"
                ff="monospace"
                style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: 0 }}
              >
                {m.raw}
              </Text>
            </ScrollArea.Autosize>
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </Paper>
  );
}
