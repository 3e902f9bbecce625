import {
  Alert,
  Anchor,
  Button,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { type Contact, displayName, useCustomFields } from '../contacts/contacts-api.js';
import { useCanWriteContacts } from '../contacts/contacts-page.js';
import { CustomFieldInput } from '../contacts/custom-field-input.js';
import { StageBadge } from '../contacts/stage-badge.js';
import { CompanyScore } from '../scoring/company-score.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import {
  type Company,
  type CompanyDetail,
  useCompanies,
  useCompany,
  useCompanyContacts,
  useDeleteCompany,
  useMergeCompany,
  useSaveCompany,
} from './companies-api.js';

const TEXT = ['name', 'website', 'industry', 'size', 'city', 'country', 'phone'] as const;
type Draft = Record<(typeof TEXT)[number] | 'description', string> & {
  domains: string[];
  customFields: Record<string, unknown>;
};

/** A company: its data (editable), its contacts, the roll-up of their activity, merge and delete. */
export function CompanyPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const detail = useCompany(id);
  if (detail.isPending) return <Loading />;
  if (detail.isError)
    return (
      <Page title={t('companies.title')}>
        <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />
      </Page>
    );
  return <CompanyView key={detail.data.company.updatedAt} detail={detail.data} />;
}

function CompanyView({ detail }: { detail: CompanyDetail }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const canWrite = useCanWriteContacts();
  const c = detail.company;
  const [merging, setMerging] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const del = useDeleteCompany();
  return (
    <Page
      title={c.name}
      description={c.domains.join(', ') || undefined}
      actions={
        <Group gap="sm">
          <Anchor component={Link} to="/companies" size="sm">
            {t('companies.backToList')}
          </Anchor>
          {canWrite ? (
            <>
              <Button variant="default" onClick={() => setMerging(true)}>
                {t('companies.merge')}
              </Button>
              <Button color="red" onClick={() => setDeleting(true)}>
                {t('common.delete')}
              </Button>
            </>
          ) : null}
        </Group>
      }
    >
      <Rollup detail={detail} />
      <CompanyScore companyId={c.id} />
      <CompanyContacts detail={detail} />
      <CompanyForm company={c} canWrite={canWrite} />
      {merging ? <MergeModal company={c} onClose={() => setMerging(false)} /> : null}
      <ConfirmDialog
        opened={deleting}
        title={t('companies.deleteTitle')}
        text={t('companies.deleteText', { name: c.name })}
        confirmLabel={t('common.delete')}
        loading={del.isPending}
        onClose={() => setDeleting(false)}
        onConfirm={() =>
          del.mutate(c.id, {
            onSuccess: () => navigate('/companies'),
            onError: (e) => notifications.show({ color: 'red', message: messageOf(e, t) }),
          })
        }
      />
    </Page>
  );
}

function Rollup({ detail }: { detail: CompanyDetail }) {
  const { t, i18n } = useTranslation();
  const fmt = useFormatters();
  const { stages, activityByType, lastActivityAt } = detail.rollup;
  const typeLabel = (type: string) => {
    const key = `contacts.timeline.types.${type}`;
    return i18n.exists(key) ? t(key as 'contacts.timeline.types.contacts.created') : type;
  };
  return (
    <Paper p="md">
      <Title order={2} size="h4" mb="sm">
        {t('companies.rollup')}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <div>
          <Text size="sm" fw={600} mb={4}>
            {t('companies.stages')}
          </Text>
          {Object.keys(stages).length === 0 ? (
            <Text size="sm" c="dimmed">
              –
            </Text>
          ) : (
            <Stack gap={4}>
              {Object.entries(stages).map(([stage, n]) => (
                <Group key={stage} gap="xs">
                  <StageBadge stage={stage} />
                  <Text size="sm">{fmt.number(n)}</Text>
                </Group>
              ))}
            </Stack>
          )}
        </div>
        <div>
          <Text size="sm" fw={600} mb={4}>
            {t('companies.activity90')}
          </Text>
          {Object.keys(activityByType).length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('companies.noActivity')}
            </Text>
          ) : (
            <Stack gap={2}>
              {Object.entries(activityByType).map(([type, n]) => (
                <Text key={type} size="sm">
                  {typeLabel(type)}: {fmt.number(n)}
                </Text>
              ))}
            </Stack>
          )}
        </div>
        <div>
          <Text size="sm" fw={600} mb={4}>
            {t('companies.lastActivity')}
          </Text>
          <Text size="sm">{lastActivityAt ? fmt.dateTime(lastActivityAt) : t('common.never')}</Text>
        </div>
      </SimpleGrid>
    </Paper>
  );
}

function CompanyContacts({ detail }: { detail: CompanyDetail }) {
  const { t } = useTranslation();
  const more = useCompanyContacts(detail.company.id, detail);
  const rows: Contact[] = [...detail.contacts, ...(more.data?.pages.flatMap((p) => p.items) ?? [])];
  const hasMore = more.data ? more.hasNextPage : detail.nextCursor !== null;
  return (
    <Paper p="md">
      <Title order={2} size="h4" mb="sm">
        {t('companies.contacts')}
      </Title>
      {rows.length === 0 ? (
        <Text c="dimmed">{t('companies.noContacts')}</Text>
      ) : (
        <Table aria-label={t('companies.contacts')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('contacts.columns.name')}</Table.Th>
              <Table.Th scope="col">{t('contacts.columns.email')}</Table.Th>
              <Table.Th scope="col">{t('contacts.columns.job_title')}</Table.Th>
              <Table.Th scope="col">{t('contacts.columns.lifecycle_stage')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/contacts/${c.id}`}>
                    {displayName(c)}
                  </Anchor>
                </Table.Td>
                <Table.Td>{c.email}</Table.Td>
                <Table.Td>{c.jobTitle ?? '–'}</Table.Td>
                <Table.Td>
                  <StageBadge stage={c.lifecycleStage} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {hasMore ? (
        <Button
          mt="sm"
          size="xs"
          variant="default"
          loading={more.isFetching}
          onClick={() => void (more.data ? more.fetchNextPage() : more.refetch())}
        >
          {t('common.loadMore')}
        </Button>
      ) : null}
    </Paper>
  );
}

function CompanyForm({ company, canWrite }: { company: Company; canWrite: boolean }) {
  const { t } = useTranslation();
  const save = useSaveCompany(company.id);
  const defs = useCustomFields('company');
  const [draft, setDraft] = useState<Draft>(() => ({
    ...(Object.fromEntries(TEXT.map((f) => [f, company[f] ?? ''])) as Record<(typeof TEXT)[number], string>),
    description: company.description ?? '',
    domains: company.domains,
    customFields: company.customFields,
  }));
  const set = (patch: Partial<typeof draft>) => setDraft({ ...draft, ...patch });
  const errors = fieldErrorsOf(save.error, t);
  return (
    <Paper p="md">
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          const body: Record<string, unknown> = { domains: draft.domains };
          for (const f of [...TEXT, 'description'] as const) {
            const v = draft[f].trim();
            body[f] = f === 'name' ? v : v || null;
          }
          const custom: Record<string, unknown> = {};
          for (const d of defs.data ?? []) custom[d.key] = draft.customFields[d.key] ?? null;
          if ((defs.data ?? []).length > 0) body.customFields = custom;
          save.mutate(body, {
            onSuccess: () => notifications.show({ color: 'brand', message: t('common.saved') }),
          });
        }}
      >
        <Stack>
          <Title order={2} size="h4">
            {t('companies.details')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {TEXT.map((f) => (
              <TextInput
                key={f}
                label={t(`companies.fields.${f}`)}
                value={draft[f]}
                onChange={(e) => set({ [f]: e.currentTarget.value })}
                required={f === 'name'}
                maxLength={f === 'country' ? 2 : 500}
                error={errors[f]}
                disabled={!canWrite}
              />
            ))}
            <TagsInput
              label={t('companies.fields.domains')}
              value={draft.domains}
              onChange={(domains) => set({ domains })}
              error={errors.domains}
              disabled={!canWrite}
            />
            {(defs.data ?? []).map((d) => (
              <CustomFieldInput
                key={d.key}
                def={d}
                value={draft.customFields[d.key] ?? null}
                onChange={(v) => set({ customFields: { ...draft.customFields, [d.key]: v } })}
                disabled={!canWrite}
              />
            ))}
          </SimpleGrid>
          <Textarea
            label={t('companies.fields.description')}
            value={draft.description}
            onChange={(e) => set({ description: e.currentTarget.value })}
            autosize
            minRows={2}
            maxLength={5000}
            disabled={!canWrite}
          />
          {save.isError && Object.keys(errors).length === 0 ? (
            <Alert color="red" role="alert">
              {messageOf(save.error, t)}
            </Alert>
          ) : null}
          {canWrite ? (
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                {t('common.save')}
              </Button>
            </Group>
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}

function MergeModal({ company, onClose }: { company: Company; onClose: () => void }) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const candidates = useCompanies(q);
  const merge = useMergeCompany(company.id);
  const [otherId, setOtherId] = useState<string | null>(null);
  const options = (candidates.data?.pages.flatMap((p) => p.items) ?? [])
    .filter((c) => c.id !== company.id)
    .map((c) => ({ value: c.id, label: `${c.name}${c.domains.length ? ` (${c.domains.join(', ')})` : ''}` }));
  const other = options.find((o) => o.value === otherId);
  return (
    <Modal opened onClose={onClose} title={t('companies.mergeTitle', { name: company.name })}>
      <Stack>
        <Text size="sm">{t('companies.mergeText', { name: company.name })}</Text>
        <Select
          label={t('companies.mergeOther')}
          data={options}
          value={otherId}
          onChange={setOtherId}
          searchable
          searchValue={search}
          onSearchChange={setSearch}
          filter={({ options: o }) => o}
          nothingFoundMessage={t('companies.empty')}
          data-autofocus
        />
        {merge.isError ? (
          <Alert color="red" role="alert">
            {messageOf(merge.error, t)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button
            color="red"
            disabled={!otherId}
            loading={merge.isPending}
            onClick={() =>
              otherId &&
              merge.mutate(otherId, {
                onSuccess: () => {
                  notifications.show({
                    color: 'brand',
                    message: t('companies.merged', { name: other?.label ?? '' }),
                  });
                  onClose();
                },
              })
            }
          >
            {t('companies.mergeSubmit')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
