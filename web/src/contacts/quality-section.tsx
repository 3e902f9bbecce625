import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useApi } from '../api/context.js';
import { ContactRepermissionButton, useCanSendMail } from '../consent/repermission-dialog.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import type { ContactSectionProps } from './contact-section.js';
import { displayName, useInvalidateContacts } from './contacts-api.js';

/** A quality finding in words: "Role address (email)". Unknown codes show as they are. */
export function useReasonLabel() {
  const { t, i18n } = useTranslation();
  return (code: string) => {
    const key = `contacts.quality.reasons.${code}`;
    return i18n.exists(key) ? t(key as 'contacts.quality.reasons.role_address') : code;
  };
}

/** The quality score with its reasons, completeness, stale fields and the freshness of each field. */
export function QualitySection({ detail, canWrite }: ContactSectionProps) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const api = useApi();
  const invalidate = useInvalidateContacts();
  const reasonLabel = useReasonLabel();
  const canSendMail = useCanSendMail();
  const c = detail.contact;
  const reconfirm = useMutation({
    mutationFn: () =>
      api.post<{ count: number }>('/api/v1/contacts/bulk/reconfirm', { selection: { ids: [c.id] } }),
    onSuccess: invalidate,
  });
  const score = c.qualityScore;
  const color = score === null ? 'gray' : score >= 80 ? 'green' : score >= 50 ? 'yellow' : 'red';
  const fields = Object.entries(c.fieldMeta).sort(([a], [b]) => a.localeCompare(b));
  // The consent mail is offered where some data has gone stale (the Consents tab offers it always).
  const showMail = canSendMail && detail.quality.stale.length > 0;
  return (
    <Stack>
      <Paper p="md">
        <Group justify="space-between" align="flex-start">
          <Stack gap={4}>
            <Title order={2} size="h4">
              {t('contacts.quality.score')}
            </Title>
            <Text size="xl" fw={700} data-testid="quality-score">
              {score === null ? '–' : `${fmt.number(score)} / 100`}
            </Text>
          </Stack>
          <Stack gap={4} miw={220}>
            <Text size="sm">
              {t('contacts.quality.completeness', { percent: Math.round(detail.quality.completeness * 100) })}
            </Text>
            <Progress
              value={detail.quality.completeness * 100}
              color={color}
              aria-label={t('contacts.quality.completenessLabel')}
            />
            {detail.quality.domainStatus ? (
              <Text size="sm">{t('contacts.quality.domain', { status: detail.quality.domainStatus })}</Text>
            ) : null}
          </Stack>
        </Group>
        {c.reconfirmRequestedAt ? (
          <Alert mt="md" color="yellow" variant="light">
            {t('contacts.quality.reconfirmRequested', { at: fmt.dateTime(c.reconfirmRequestedAt) })}
          </Alert>
        ) : null}
      </Paper>
      <Paper p="md">
        <Title order={2} size="h4" mb="sm">
          {t('contacts.quality.reasonsTitle')}
        </Title>
        {c.qualityReasons.length === 0 ? (
          <Text c="dimmed">{t('contacts.quality.noReasons')}</Text>
        ) : (
          <Table aria-label={t('contacts.quality.reasonsTitle')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('contacts.quality.reason')}</Table.Th>
                <Table.Th scope="col">{t('contacts.quality.field')}</Table.Th>
                <Table.Th scope="col" ta="right">
                  {t('contacts.quality.impact')}
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {c.qualityReasons.map((r) => (
                <Table.Tr key={`${r.code}-${r.field ?? ''}`}>
                  <Table.Td>{reasonLabel(r.code)}</Table.Td>
                  <Table.Td>{r.field ?? '–'}</Table.Td>
                  <Table.Td ta="right">{r.impact > 0 ? `−${fmt.number(r.impact)}` : '0'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Paper>
      <Paper p="md">
        <Title order={2} size="h4" mb="sm">
          {t('contacts.quality.freshness')}
        </Title>
        {fields.length === 0 ? (
          <Text c="dimmed">{t('contacts.quality.noFreshness')}</Text>
        ) : (
          <Table aria-label={t('contacts.quality.freshness')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('contacts.quality.field')}</Table.Th>
                <Table.Th scope="col">{t('contacts.quality.confirmedAt')}</Table.Th>
                <Table.Th scope="col">{t('contacts.quality.source')}</Table.Th>
                <Table.Th scope="col">{t('contacts.quality.state')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {fields.map(([field, meta]) => {
                const stale = detail.quality.stale.includes(field);
                return (
                  <Table.Tr key={field}>
                    <Table.Td>{field}</Table.Td>
                    <Table.Td>{fmt.dateTime(meta.at)}</Table.Td>
                    <Table.Td>{meta.source}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={stale ? 'orange' : 'green'} tt="none">
                        {stale ? t('contacts.quality.stale') : t('contacts.quality.fresh')}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        )}
        {detail.quality.missing.length > 0 ? (
          <Text size="sm" mt="sm">
            {t('contacts.quality.missing', { fields: detail.quality.missing.join(', ') })}
          </Text>
        ) : null}
      </Paper>
      {showMail || canWrite ? (
        <Paper p="md" component="section" aria-labelledby="reconfirm-title">
          <Title order={2} size="h4" mb="sm" id="reconfirm-title">
            {t('contacts.quality.reconfirmTitle')}
          </Title>
          {/* Two different things side by side: a mail to the person, or only a flag for us. */}
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {showMail ? (
              <Stack gap={4} align="flex-start">
                <ContactRepermissionButton
                  contactId={c.id}
                  contactName={displayName(c)}
                  onDone={invalidate}
                  describedBy="reconfirm-mail-help"
                />
                <Text size="sm" c="dimmed" id="reconfirm-mail-help">
                  {t('contacts.quality.reconfirmMailHelp')}
                </Text>
              </Stack>
            ) : null}
            {canWrite ? (
              <Stack gap={4} align="flex-start">
                <Button
                  size="xs"
                  variant="default"
                  loading={reconfirm.isPending}
                  aria-describedby="reconfirm-flag-help"
                  onClick={() =>
                    reconfirm.mutate(undefined, {
                      onSuccess: () =>
                        notifications.show({ color: 'brand', message: t('contacts.quality.reconfirmDone') }),
                      onError: (e) => notifications.show({ color: 'red', message: messageOf(e, t) }),
                    })
                  }
                >
                  {t('contacts.quality.reconfirm')}
                </Button>
                <Text size="sm" c="dimmed" id="reconfirm-flag-help">
                  {t('contacts.quality.reconfirmHelp')}
                </Text>
              </Stack>
            ) : null}
          </SimpleGrid>
        </Paper>
      ) : null}
    </Stack>
  );
}

/** The consents of the contact (and of contacts merged into it), with the way to the full ledger. */
export function ConsentsSection({ detail }: ContactSectionProps) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const canSendMail = useCanSendMail();
  const invalidate = useInvalidateContacts();
  return (
    <Paper p="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {t('contacts.consents.title')}
        </Title>
        <Group gap="sm">
          {canSendMail ? (
            <ContactRepermissionButton
              contactId={detail.contact.id}
              contactName={displayName(detail.contact)}
              onDone={invalidate}
            />
          ) : null}
          <Anchor component={Link} to={`/privacy?contact=${detail.contact.id}`} size="sm">
            {t('contacts.consents.ledger')}
          </Anchor>
        </Group>
      </Group>
      {detail.consents.length === 0 ? (
        <Text c="dimmed">{t('contacts.consents.none')}</Text>
      ) : (
        <Table aria-label={t('contacts.consents.title')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('contacts.consents.purpose')}</Table.Th>
              <Table.Th scope="col">{t('contacts.consents.status')}</Table.Th>
              <Table.Th scope="col">{t('contacts.consents.legalBasis')}</Table.Th>
              <Table.Th scope="col">{t('contacts.consents.updatedAt')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {detail.consents.map((c) => (
              <Table.Tr key={`${c.purpose}-${c.fromContactId ?? ''}`}>
                <Table.Td>
                  {c.purpose}
                  {c.fromEmail ? (
                    <Text size="xs" c="dimmed">
                      {t('contacts.consents.from', { email: c.fromEmail })}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={c.status === 'confirmed' ? 'green' : 'gray'} tt="none">
                    {c.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{c.legalBasis}</Table.Td>
                <Table.Td>{fmt.dateTime(c.updatedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
