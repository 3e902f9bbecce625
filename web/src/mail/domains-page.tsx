import { Badge, Button, Code, CopyButton, Group, Paper, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import {
  type DnsRecord,
  type SendingDomain,
  useAddDomain,
  useCheckDns,
  useDnsReport,
  useDomains,
  useRemoveDomain,
} from './mail-api.js';
import { MailTabs } from './mail-tabs.js';

const STATUS_COLOR: Record<DnsRecord['status'], string> = {
  ok: 'green',
  missing: 'red',
  mismatch: 'orange',
  unchecked: 'gray',
};

/** Sending domains: DKIM key, return path, and the DNS records each one needs. */
export function DomainsPage() {
  const { t } = useTranslation();
  const domains = useDomains();
  const add = useAddDomain();
  const [domain, setDomain] = useState('');

  return (
    <Page title={t('mail.domains.title')} description={t('mail.domains.description')}>
      <MailTabs />
      <Paper p="md">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate({ domain }, { onSuccess: () => setDomain('') });
          }}
        >
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label={t('mail.domains.domain')}
              description={t('mail.domains.domainHelp')}
              value={domain}
              onChange={(e) => setDomain(e.currentTarget.value)}
              required
            />
            <Button type="submit" loading={add.isPending}>
              {t('mail.domains.add')}
            </Button>
          </Group>
          {add.isError ? (
            <Text c="var(--mantine-color-error)" size="sm" role="alert" mt="xs">
              {messageOf(add.error, t)}
            </Text>
          ) : null}
        </form>
      </Paper>
      {domains.isPending ? (
        <Loading />
      ) : domains.isError ? (
        <ErrorState error={domains.error} onRetry={() => void domains.refetch()} />
      ) : domains.data.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('mail.domains.empty')}</Text>
        </Paper>
      ) : (
        domains.data.map((d) => <DomainReport key={d.id} domain={d} />)
      )}
    </Page>
  );
}

function DomainReport({ domain }: { domain: SendingDomain }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const report = useDnsReport(domain.id);
  const check = useCheckDns(domain.id);
  const remove = useRemoveDomain();
  const [confirm, setConfirm] = useState(false);
  return (
    <Section
      id={`domain-${domain.id}`}
      title={domain.domain}
      description={t('mail.domains.summary', {
        selector: domain.selector,
        returnPath: domain.returnPathDomain,
      })}
      actions={
        <>
          <Button variant="default" onClick={() => check.mutate()} loading={check.isPending}>
            {t('mail.domains.check')}
          </Button>
          <Button variant="subtle" color="red" onClick={() => setConfirm(true)}>
            {t('mail.domains.remove')}
          </Button>
        </>
      }
    >
      <Paper p={0}>
        {report.isPending ? (
          <Loading />
        ) : report.isError ? (
          <ErrorState error={report.error} />
        ) : (
          <Stack gap={0}>
            <Table.ScrollContainer minWidth={800}>
              <Table verticalSpacing="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('mail.domains.record')}</Table.Th>
                    <Table.Th scope="col">{t('mail.domains.name')}</Table.Th>
                    <Table.Th scope="col">{t('mail.domains.value')}</Table.Th>
                    <Table.Th scope="col">{t('mail.domains.status')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {report.data.records.map((r) => (
                    <Table.Tr key={`${r.purpose}-${r.name}`}>
                      <Table.Td style={{ verticalAlign: 'top' }}>
                        <Text size="sm" fw={600}>
                          {t(`mail.domains.purpose.${r.purpose}`)}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {r.type}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ verticalAlign: 'top' }}>
                        <Code style={{ wordBreak: 'break-all' }}>{r.name}</Code>
                      </Table.Td>
                      <Table.Td style={{ verticalAlign: 'top', maxWidth: 420 }}>
                        <Code block style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
                          {r.value}
                        </Code>
                        <CopyButton value={r.value}>
                          {({ copied, copy }) => (
                            <Button
                              size="xs"
                              variant="subtle"
                              onClick={copy}
                              mt={4}
                              aria-label={t('mail.domains.copyValue', { name: r.name })}
                            >
                              {copied ? t('common.copied') : t('common.copy')}
                            </Button>
                          )}
                        </CopyButton>
                        <Text size="xs" c="dimmed">
                          {t(`mail.domains.note.${r.purpose}`)}
                        </Text>
                      </Table.Td>
                      <Table.Td style={{ verticalAlign: 'top' }}>
                        <Badge color={STATUS_COLOR[r.status]} variant="light">
                          {t(`mail.domains.dnsStatus.${r.status}`)}
                        </Badge>
                        {r.found.length > 0 && r.status !== 'ok' ? (
                          <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                            {t('mail.domains.found')}: {r.found.join(' | ')}
                          </Text>
                        ) : null}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Text size="xs" c="dimmed" p="sm">
              {report.data.checkedAt
                ? t('mail.domains.checkedAt', { date: dateTime(report.data.checkedAt) })
                : t('mail.domains.neverChecked')}
            </Text>
          </Stack>
        )}
      </Paper>
      <ConfirmDialog
        opened={confirm}
        title={t('mail.domains.removeTitle', { domain: domain.domain })}
        text={t('mail.domains.removeText')}
        confirmLabel={t('mail.domains.remove')}
        loading={remove.isPending}
        onClose={() => setConfirm(false)}
        onConfirm={() => remove.mutate(domain.id, { onSuccess: () => setConfirm(false) })}
      />
    </Section>
  );
}
