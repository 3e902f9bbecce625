import {
  Button,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import {
  type Territory,
  useDeleteTerritory,
  useReps,
  useSaveTerritory,
  useTerritories,
} from './sales-api.js';
import { SalesTabs } from './sales-tabs.js';

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** "80000-87999, 90000-96999" ↔ ranges. */
const ranges = (s: string) =>
  list(s).map((r) => {
    const [from, to] = r.split('-').map((x) => x.trim());
    return { from: from ?? '', to: to ?? from ?? '' };
  });

function TerritoryModal({ territory, onClose }: { territory: Territory | 'new'; onClose: () => void }) {
  const { t } = useTranslation();
  const reps = useReps();
  const save = useSaveTerritory();
  const current = territory === 'new' ? null : territory;
  const [name, setName] = useState(current?.name ?? '');
  const [priority, setPriority] = useState<number | string>(current?.priority ?? 100);
  const [countries, setCountries] = useState(current?.countries.join(', ') ?? '');
  const [postcodes, setPostcodes] = useState(
    current?.postcodeRanges.map((r) => `${r.from}-${r.to}`).join(', ') ?? '',
  );
  const [industries, setIndustries] = useState(current?.industries.join(', ') ?? '');
  const [sizes, setSizes] = useState(current?.companySizes.join(', ') ?? '');
  const [userIds, setUserIds] = useState<string[]>(current?.userIds ?? []);
  const submit = () =>
    save.mutate(
      {
        id: current?.id ?? null,
        body: {
          name: name.trim(),
          priority: Number(priority) || 0,
          countries: list(countries).map((c) => c.toUpperCase()),
          postcodeRanges: ranges(postcodes),
          industries: list(industries),
          companySizes: list(sizes),
          userIds,
        },
      },
      {
        onSuccess: () => {
          notifications.show({ color: 'brand', message: t('sales.territories.saved', { name }) });
          onClose();
        },
        onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      },
    );
  return (
    <Modal opened onClose={onClose} title={current ? current.name : t('sales.territories.new')} size="lg">
      <Stack>
        <TextInput
          label={t('sales.territories.name')}
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <NumberInput
          label={t('sales.territories.priority')}
          description={t('sales.territories.priorityHint')}
          value={priority}
          onChange={setPriority}
          min={0}
        />
        <TextInput
          label={t('sales.territories.countries')}
          description={t('sales.territories.listHint')}
          value={countries}
          onChange={(e) => setCountries(e.currentTarget.value)}
        />
        <TextInput
          label={t('sales.territories.postcodes')}
          description={t('sales.territories.postcodesHint')}
          value={postcodes}
          onChange={(e) => setPostcodes(e.currentTarget.value)}
        />
        <TextInput
          label={t('sales.territories.industries')}
          description={t('sales.territories.listHint')}
          value={industries}
          onChange={(e) => setIndustries(e.currentTarget.value)}
        />
        <TextInput
          label={t('sales.territories.sizes')}
          description={t('sales.territories.listHint')}
          value={sizes}
          onChange={(e) => setSizes(e.currentTarget.value)}
        />
        <Checkbox.Group label={t('sales.territories.reps')} value={userIds} onChange={setUserIds}>
          <Stack gap="xs" mt="xs">
            {(reps.data?.items ?? [])
              .filter((m) => m.rep)
              .map((m) => (
                <Checkbox key={m.userId} value={m.userId} label={m.name || m.email} />
              ))}
          </Stack>
        </Checkbox.Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button onClick={submit} disabled={!name.trim()} loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Territories, tried in priority order before round robin: country, postcode range, industry, size. */
export function TerritoriesPage() {
  const { t } = useTranslation();
  const territories = useTerritories();
  const reps = useReps();
  const remove = useDeleteTerritory();
  const [editing, setEditing] = useState<Territory | 'new' | null>(null);
  const names = new Map((reps.data?.items ?? []).map((m) => [m.userId, m.name || m.email]));
  const manager = reps.data?.manager ?? false;
  return (
    <Page
      title={t('sales.territories.title')}
      description={t('sales.territories.description')}
      actions={
        manager ? <Button onClick={() => setEditing('new')}>{t('sales.territories.new')}</Button> : null
      }
    >
      <SalesTabs />
      {territories.isPending ? (
        <Loading />
      ) : territories.isError ? (
        <ErrorState error={territories.error} onRetry={() => void territories.refetch()} />
      ) : territories.data.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('sales.territories.empty')}</Text>
        </Paper>
      ) : (
        <Paper p={0}>
          <Table.ScrollContainer minWidth={640}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('sales.territories.priority')}</Table.Th>
                  <Table.Th scope="col">{t('sales.territories.name')}</Table.Th>
                  <Table.Th scope="col">{t('sales.territories.rules')}</Table.Th>
                  <Table.Th scope="col">{t('sales.territories.reps')}</Table.Th>
                  {manager ? (
                    <Table.Th scope="col" ta="right">
                      {t('common.actions')}
                    </Table.Th>
                  ) : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {territories.data.map((tr) => (
                  <Table.Tr key={tr.id}>
                    <Table.Td>{tr.priority}</Table.Td>
                    <Table.Td>{tr.name}</Table.Td>
                    <Table.Td>
                      {[
                        tr.countries.join(', '),
                        tr.postcodeRanges.map((r) => `${r.from}–${r.to}`).join(', '),
                        tr.industries.join(', '),
                        tr.companySizes.join(', '),
                      ]
                        .filter(Boolean)
                        .join(' · ') || t('sales.territories.any')}
                    </Table.Td>
                    <Table.Td>{tr.userIds.map((id) => names.get(id) ?? id).join(', ')}</Table.Td>
                    {manager ? (
                      <Table.Td ta="right">
                        <Group gap="xs" justify="flex-end">
                          <Button size="xs" variant="default" onClick={() => setEditing(tr)}>
                            {t('sales.team.editShort')}
                          </Button>
                          <Button
                            size="xs"
                            variant="subtle"
                            color="red"
                            onClick={() =>
                              remove.mutate(tr.id, {
                                onError: (error) =>
                                  notifications.show({ color: 'red', message: messageOf(error, t) }),
                              })
                            }
                          >
                            {t('sales.territories.delete')}
                          </Button>
                        </Group>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      {editing ? <TerritoryModal territory={editing} onClose={() => setEditing(null)} /> : null}
    </Page>
  );
}
