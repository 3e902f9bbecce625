import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Modal,
  NumberInput,
  Paper,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { type Rep, useAddAbsence, useRemoveAbsence, useReps, useSaveRep } from './sales-api.js';
import { SalesTabs } from './sales-tabs.js';
import { fromSimpleHours, toSimpleHours, WorkingHoursInput } from './working-hours-input.js';

function RepModal({ member, onClose }: { member: Rep | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const save = useSaveRep();
  const addAbsence = useAddAbsence();
  const removeAbsence = useRemoveAbsence();
  const rep = member?.rep;
  const [active, setActive] = useState(rep?.active ?? true);
  const [isManager, setIsManager] = useState(rep?.isManager ?? false);
  const [weight, setWeight] = useState<number | string>(rep?.weight ?? 1);
  const [capacity, setCapacity] = useState<number | string>(rep?.capacity ?? '');
  const [timezone, setTimezone] = useState(rep?.timezone ?? 'Europe/Berlin');
  const [hours, setHours] = useState(toSimpleHours(rep?.workingHours ?? {}));
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  if (!member) return null;
  const onError = (error: unknown) => notifications.show({ color: 'red', message: messageOf(error, t) });
  const submit = () =>
    save.mutate(
      {
        userId: member.userId,
        body: {
          active,
          isManager,
          weight: Number(weight) || 1,
          capacity: capacity === '' ? null : Number(capacity),
          timezone: timezone.trim(),
          workingHours: fromSimpleHours(hours),
        },
      },
      {
        onSuccess: () => {
          notifications.show({
            color: 'brand',
            message: t('sales.team.saved', { name: member.name || member.email }),
          });
          onClose();
        },
        onError,
      },
    );
  const add = () =>
    addAbsence.mutate(
      {
        userId: member.userId,
        body: { startsAt: new Date(from).toISOString(), endsAt: new Date(to).toISOString() },
      },
      {
        onSuccess: () => {
          setFrom('');
          setTo('');
        },
        onError,
      },
    );
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('sales.team.edit', { name: member.name || member.email })}
      size="lg"
    >
      <Stack>
        <Switch
          label={t('sales.team.active')}
          checked={active}
          onChange={(e) => setActive(e.currentTarget.checked)}
        />
        <Switch
          label={t('sales.team.manager')}
          checked={isManager}
          onChange={(e) => setIsManager(e.currentTarget.checked)}
        />
        <Group grow>
          <NumberInput label={t('sales.team.weight')} min={1} max={100} value={weight} onChange={setWeight} />
          <NumberInput
            label={t('sales.team.capacity')}
            description={t('sales.team.capacityHint')}
            min={0}
            value={capacity}
            onChange={setCapacity}
          />
        </Group>
        <TextInput
          label={t('sales.team.timezone')}
          value={timezone}
          onChange={(e) => setTimezone(e.currentTarget.value)}
        />
        <WorkingHoursInput value={hours} onChange={setHours} idPrefix={`rep-${member.userId}`} />
        {rep ? (
          <Stack gap="xs">
            <Text fw={600}>{t('sales.team.absences')}</Text>
            {rep.absences.length === 0 ? <Text size="sm">{t('sales.team.noAbsences')}</Text> : null}
            {rep.absences.map((a) => (
              <Group key={a.id} gap="xs">
                <Text size="sm">
                  {dateTime(a.startsAt)} – {dateTime(a.endsAt)}
                </Text>
                <ActionIcon
                  variant="subtle"
                  color="red"
                  aria-label={t('sales.team.removeAbsence')}
                  onClick={() => removeAbsence.mutate({ userId: member.userId, id: a.id }, { onError })}
                >
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            ))}
            <Group align="flex-end">
              <TextInput
                type="datetime-local"
                label={t('sales.team.absentFrom')}
                value={from}
                onChange={(e) => setFrom(e.currentTarget.value)}
              />
              <TextInput
                type="datetime-local"
                label={t('sales.team.absentTo')}
                value={to}
                onChange={(e) => setTo(e.currentTarget.value)}
              />
              <Button variant="default" onClick={add} disabled={!from || !to}>
                {t('sales.team.addAbsence')}
              </Button>
            </Group>
          </Stack>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button onClick={submit} loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Reps: who takes leads, how many (capacity), how often (weight), and when (hours, absences). */
export function TeamPage() {
  const { t } = useTranslation();
  const reps = useReps();
  const [editing, setEditing] = useState<Rep | null>(null);
  return (
    <Page title={t('sales.team.title')} description={t('sales.team.description')}>
      <SalesTabs />
      {reps.isPending ? (
        <Loading />
      ) : reps.isError ? (
        <ErrorState error={reps.error} onRetry={() => void reps.refetch()} />
      ) : (
        <Paper p={0}>
          <Table.ScrollContainer minWidth={640}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('members.name')}</Table.Th>
                  <Table.Th scope="col">{t('sales.team.status')}</Table.Th>
                  <Table.Th scope="col">{t('sales.team.weight')}</Table.Th>
                  <Table.Th scope="col">{t('sales.team.capacity')}</Table.Th>
                  <Table.Th scope="col">{t('sales.team.timezone')}</Table.Th>
                  {reps.data.manager ? (
                    <Table.Th scope="col" ta="right">
                      {t('common.actions')}
                    </Table.Th>
                  ) : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {reps.data.items.map((m) => (
                  <Table.Tr key={m.userId}>
                    <Table.Td>{m.name || m.email}</Table.Td>
                    <Table.Td>
                      {m.rep ? (
                        <Group gap={4}>
                          <Badge variant="light" color={m.rep.active ? 'brand' : 'gray'}>
                            {m.rep.active ? t('sales.team.activeBadge') : t('sales.team.inactiveBadge')}
                          </Badge>
                          {m.rep.isManager ? (
                            <Badge variant="outline">{t('sales.team.managerBadge')}</Badge>
                          ) : null}
                        </Group>
                      ) : (
                        <Text size="sm" c="dimmed">
                          {t('sales.team.notRep')}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{m.rep?.weight ?? '–'}</Table.Td>
                    <Table.Td>{m.rep ? `${m.rep.openLeads} / ${m.rep.capacity ?? '∞'}` : '–'}</Table.Td>
                    <Table.Td>{m.rep?.timezone ?? '–'}</Table.Td>
                    {reps.data.manager ? (
                      <Table.Td ta="right">
                        <Button size="xs" variant="default" onClick={() => setEditing(m)}>
                          {m.rep ? t('sales.team.editShort') : t('sales.team.makeRep')}
                        </Button>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      {editing ? (
        <RepModal
          key={editing.userId}
          member={reps.data?.items.find((m) => m.userId === editing.userId) ?? editing}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </Page>
  );
}
