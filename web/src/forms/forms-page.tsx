import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import { FORM_KINDS, type FormKind, type FormSummary, useCreateForm, useForms } from './forms-api.js';

/** Marketing may build forms; viewers and sales only look. */
export function useCanWriteForms(): boolean {
  const { role, canManage } = useCurrentWorkspace();
  return canManage || role === 'marketing';
}

export function FormsPage() {
  const { t } = useTranslation();
  const forms = useForms();
  const canWrite = useCanWriteForms();
  const [creating, { open, close }] = useDisclosure(false);
  return (
    <Page
      title={t('forms.title')}
      description={t('forms.description')}
      actions={
        canWrite ? (
          <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={open}>
            {t('forms.create')}
          </Button>
        ) : null
      }
    >
      {forms.isPending ? (
        <Loading />
      ) : forms.isError ? (
        <ErrorState error={forms.error} onRetry={() => void forms.refetch()} />
      ) : (
        <FormsTable forms={forms.data} />
      )}
      <CreateFormModal opened={creating} onClose={close} />
    </Page>
  );
}

function percent(rate: number | null, format: (n: number) => string): string {
  return rate === null ? '–' : `${format(Math.round(rate * 1000) / 10)} %`;
}

function FormsTable({ forms }: { forms: FormSummary[] }) {
  const { t } = useTranslation();
  const { number } = useFormatters();
  if (forms.length === 0)
    return (
      <Paper p="xl">
        <Text c="dimmed">{t('forms.empty')}</Text>
      </Paper>
    );
  return (
    <Paper p={0}>
      <Table.ScrollContainer minWidth={820}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('forms.name')}</Table.Th>
              <Table.Th scope="col">{t('forms.kind')}</Table.Th>
              <Table.Th scope="col">{t('forms.status')}</Table.Th>
              <Table.Th scope="col" ta="right">
                {t('forms.views')}
              </Table.Th>
              <Table.Th scope="col" ta="right">
                {t('forms.submissions')}
              </Table.Th>
              <Table.Th scope="col" ta="right">
                {t('forms.confirmations')}
              </Table.Th>
              <Table.Th scope="col" ta="right">
                {t('forms.confirmationRate')}
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {forms.map((f) => (
              <Table.Tr key={f.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/forms/${f.id}`} fw={500}>
                    {f.name}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    /f/{f.slug}
                  </Text>
                </Table.Td>
                <Table.Td>{t(`forms.kinds.${f.kind}`)}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={f.status === 'published' ? 'brand' : 'gray'}>
                    {t(`forms.statuses.${f.status}`)}
                    {f.publishedVersion ? ` · v${f.publishedVersion}` : ''}
                  </Badge>
                </Table.Td>
                <Table.Td ta="right">{number(f.stats.views)}</Table.Td>
                <Table.Td ta="right">{number(f.stats.submissions)}</Table.Td>
                <Table.Td ta="right">{number(f.stats.confirmations)}</Table.Td>
                <Table.Td ta="right">{percent(f.stats.confirmationRate, number)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

function slugify(value: string): string {
  return value
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

function CreateFormModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const create = useCreateForm();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [kind, setKind] = useState<FormKind>('newsletter');
  const errors = fieldErrorsOf(create.error, t);
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    create.mutate(
      { name: name.trim(), slug: slug || slugify(name), kind },
      {
        onSuccess: ({ form }) => {
          onClose();
          navigate(`/forms/${form.id}`);
        },
      },
    );
  };
  return (
    <Modal opened={opened} onClose={onClose} title={t('forms.create')}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label={t('forms.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            error={errors.name}
          />
          <TextInput
            label={t('forms.slug')}
            description={t('forms.slugHint')}
            value={slug}
            placeholder={slugify(name)}
            onChange={(e) => setSlug(e.currentTarget.value)}
            error={errors.slug}
          />
          <Select
            label={t('forms.kind')}
            data={FORM_KINDS.map((k) => ({ value: k, label: t(`forms.kinds.${k}`) }))}
            value={kind}
            onChange={(v) => v && setKind(v as FormKind)}
            allowDeselect={false}
          />
          {create.isError && !Object.keys(errors).length ? (
            <Alert color="red" role="alert">
              {messageOf(create.error, t)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('forms.createSubmit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
