import {
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import { type MailKind, useCreateTemplate, useMailSettings, useSends, useTemplates } from './mail-api.js';
import { MailTabs } from './mail-tabs.js';
import { StarterBody } from './starter.js';

/** Templates of the workspace, and the bulk sends made with them. */
export function TemplatesPage() {
  const { t } = useTranslation();
  const templates = useTemplates();
  const settings = useMailSettings();
  const sends = useSends();
  const { dateTime, number } = useFormatters();
  const [creating, setCreating] = useState(false);

  return (
    <Page
      title={t('mail.templates.title')}
      description={t('mail.templates.description')}
      actions={
        <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={() => setCreating(true)}>
          {t('mail.templates.new')}
        </Button>
      }
    >
      <MailTabs />
      {settings.data && !settings.data.canSendMarketing ? (
        <Paper p="md" withBorder role="note">
          <Text size="sm">
            {t('mail.templates.noImprint')}{' '}
            <Link to="/emails/settings">{t('mail.templates.toSettings')}</Link>
          </Text>
        </Paper>
      ) : null}
      {templates.isPending ? (
        <Loading />
      ) : templates.isError ? (
        <ErrorState error={templates.error} onRetry={() => void templates.refetch()} />
      ) : templates.data.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('mail.templates.empty')}</Text>
        </Paper>
      ) : (
        <Paper p={0}>
          <Table.ScrollContainer minWidth={700}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('mail.templates.name')}</Table.Th>
                  <Table.Th scope="col">{t('mail.templates.kind')}</Table.Th>
                  <Table.Th scope="col">{t('mail.templates.languages')}</Table.Th>
                  <Table.Th scope="col">{t('mail.templates.updated')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {templates.data.map((tpl) => (
                  <Table.Tr key={tpl.id}>
                    <Table.Td>
                      <Link to={`/emails/templates/${tpl.id}`}>{tpl.name}</Link>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={tpl.kind === 'marketing' ? 'grape' : 'blue'}>
                        {t(`mail.kind.${tpl.kind}`)}
                      </Badge>
                      {tpl.purpose ? (
                        <Text span size="xs" c="dimmed" ml="xs">
                          {tpl.purpose}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>{tpl.locales.map((l) => l.toUpperCase()).join(' · ')}</Table.Td>
                    <Table.Td>
                      <time dateTime={tpl.updatedAt}>{dateTime(tpl.updatedAt)}</time>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      {sends.data && sends.data.length > 0 ? (
        <Section id="mail-sends" title={t('mail.sends.title')}>
          <Paper p={0}>
            <Table.ScrollContainer minWidth={700}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">{t('mail.sends.started')}</Table.Th>
                    <Table.Th scope="col">{t('mail.templates.name')}</Table.Th>
                    <Table.Th scope="col">{t('mail.sends.recipients')}</Table.Th>
                    <Table.Th scope="col">{t('mail.sends.outcome')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {sends.data.map((s) => (
                    <Table.Tr key={s.id}>
                      <Table.Td>
                        <time dateTime={s.createdAt}>{dateTime(s.createdAt)}</time>
                      </Table.Td>
                      <Table.Td>{s.templateName ?? '—'}</Table.Td>
                      <Table.Td>{number(s.recipients)}</Table.Td>
                      <Table.Td>
                        <Text size="sm">
                          {Object.entries(s.counts)
                            .map(([status, n]) => `${t(`mail.status.${status as 'sent'}`)}: ${number(n)}`)
                            .join(' · ')}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        </Section>
      ) : null}
      <CreateTemplateModal opened={creating} onClose={() => setCreating(false)} />
    </Page>
  );
}

function CreateTemplateModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const create = useCreateTemplate();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<MailKind>('marketing');
  const [purpose, setPurpose] = useState('newsletter');
  const locale = i18n.language.startsWith('de') ? 'de' : 'en';

  const submit = () => {
    create.mutate(
      {
        name,
        kind,
        purpose: kind === 'marketing' ? purpose : null,
        variants: { [locale]: { subject: t('mail.editor.starterSubject'), bodyMjml: StarterBody[locale] } },
      },
      {
        onSuccess: (res) => {
          onClose();
          navigate(`/emails/templates/${res.template.id}`);
        },
      },
    );
  };

  return (
    <Modal opened={opened} onClose={onClose} title={t('mail.templates.new')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Stack>
          <TextInput
            label={t('mail.templates.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            data-autofocus
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="new-template-kind">
              {t('mail.templates.kind')}
            </Text>
            <SegmentedControl
              aria-labelledby="new-template-kind"
              value={kind}
              onChange={(v) => setKind(v as MailKind)}
              data={[
                { value: 'marketing', label: t('mail.kind.marketing') },
                { value: 'transactional', label: t('mail.kind.transactional') },
              ]}
            />
            <Text size="xs" c="dimmed">
              {t(`mail.kind.${kind}Help`)}
            </Text>
          </Stack>
          {kind === 'marketing' ? (
            <TextInput
              label={t('mail.templates.purpose')}
              description={t('mail.templates.purposeHelp')}
              value={purpose}
              onChange={(e) => setPurpose(e.currentTarget.value)}
              required
            />
          ) : null}
          {create.isError ? (
            <Text c="var(--mantine-color-error)" size="sm" role="alert">
              {messageOf(create.error, t)}
            </Text>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
