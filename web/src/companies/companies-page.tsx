import { Alert, Anchor, Button, Group, Modal, Paper, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { IconPlus, IconSearch } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useCanWriteContacts } from '../contacts/contacts-page.js';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCompanies, useSaveCompany } from './companies-api.js';

/** Companies by name, searchable, 50 at a time. */
export function CompaniesPage() {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const companies = useCompanies(q);
  const canWrite = useCanWriteContacts();
  const [creating, createModal] = useDisclosure(false);
  const items = companies.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page
      title={t('companies.title')}
      description={t('companies.description')}
      actions={
        canWrite ? (
          <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={createModal.open}>
            {t('companies.create')}
          </Button>
        ) : null
      }
    >
      <TextInput
        label={t('companies.search')}
        leftSection={<IconSearch size={16} aria-hidden />}
        type="search"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        maxLength={200}
        w={320}
      />
      {companies.isPending ? (
        <Loading />
      ) : companies.isError ? (
        <ErrorState error={companies.error} onRetry={() => void companies.refetch()} />
      ) : items.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('companies.empty')}</Text>
        </Paper>
      ) : (
        <Paper p={0}>
          <Table.ScrollContainer minWidth={720}>
            <Table aria-label={t('companies.title')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('companies.fields.name')}</Table.Th>
                  <Table.Th scope="col">{t('companies.fields.domains')}</Table.Th>
                  <Table.Th scope="col">{t('companies.fields.industry')}</Table.Th>
                  <Table.Th scope="col">{t('companies.fields.city')}</Table.Th>
                  <Table.Th scope="col" ta="right">
                    {t('companies.contactCount')}
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/companies/${c.id}`} fw={500}>
                        {c.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{c.domains.join(', ') || '–'}</Table.Td>
                    <Table.Td>{c.industry ?? '–'}</Table.Td>
                    <Table.Td>{c.city ?? '–'}</Table.Td>
                    <Table.Td ta="right">{fmt.number(c.contactCount ?? 0)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {companies.hasNextPage ? (
            <Group p="sm">
              <Button
                variant="default"
                size="xs"
                loading={companies.isFetchingNextPage}
                onClick={() => void companies.fetchNextPage()}
              >
                {t('common.loadMore')}
              </Button>
            </Group>
          ) : null}
        </Paper>
      )}
      <CreateCompanyModal opened={creating} onClose={createModal.close} />
    </Page>
  );
}

function CreateCompanyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const save = useSaveCompany(undefined);
  const [name, setName] = useState('');
  const [domain, setDomain] = useState('');
  const errors = fieldErrorsOf(save.error, t);
  return (
    <Modal opened={opened} onClose={onClose} title={t('companies.create')}>
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          save.mutate(
            { name: name.trim(), ...(domain.trim() ? { domains: [domain.trim().toLowerCase()] } : {}) },
            {
              onSuccess: (c) => {
                onClose();
                navigate(`/companies/${c.id}`);
              },
            },
          );
        }}
      >
        <Stack>
          <TextInput
            label={t('companies.fields.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            maxLength={300}
            error={errors.name}
            data-autofocus
          />
          <TextInput
            label={t('companies.fields.domain')}
            description={t('companies.domainHint')}
            value={domain}
            onChange={(e) => setDomain(e.currentTarget.value)}
            error={errors.domains}
          />
          {save.isError && Object.keys(errors).length === 0 ? (
            <Alert color="red" role="alert">
              {messageOf(save.error, t)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
