import {
  ActionIcon,
  Avatar,
  Badge,
  Button,
  Group,
  NativeSelect,
  Paper,
  Table,
  Text,
  Tooltip,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconTrash, IconUserPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Member, ROLES, type Role } from '../api/types.js';
import { useSignedInSession } from '../auth/session.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import { AddMemberModal } from './add-member-modal.js';
import { useChangeRole, useMembers, useRemoveMember } from './members-api.js';

export function MembersPage() {
  const { t } = useTranslation();
  const { canManage } = useCurrentWorkspace();
  const members = useMembers();
  const [adding, { open, close }] = useDisclosure(false);

  return (
    <Page
      title={t('members.title')}
      description={t('members.description')}
      actions={
        canManage ? (
          <Button leftSection={<IconUserPlus size={18} aria-hidden />} onClick={open}>
            {t('members.add')}
          </Button>
        ) : null
      }
    >
      {members.isPending ? (
        <Loading />
      ) : members.isError ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : (
        <MembersTable members={members.data} canManage={canManage} />
      )}
      <AddMemberModal opened={adding} onClose={close} />
    </Page>
  );
}

function MembersTable({ members, canManage }: { members: Member[]; canManage: boolean }) {
  const { t } = useTranslation();
  const { date } = useFormatters();
  const { user } = useSignedInSession();
  const changeRole = useChangeRole();
  const remove = useRemoveMember();
  const [removing, setRemoving] = useState<Member | null>(null);

  const onRoleChange = (member: Member, role: Role) =>
    changeRole.mutate(
      { userId: member.userId, role },
      {
        onSuccess: () =>
          notifications.show({
            color: 'brand',
            message: t('members.roleChanged', {
              name: member.name || member.email,
              role: t(`roles.${role}`),
            }),
          }),
        onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      },
    );

  const onRemove = () => {
    if (!removing) return;
    const name = removing.name || removing.email;
    remove.mutate(removing.userId, {
      onSuccess: () => notifications.show({ color: 'brand', message: t('members.removed', { name }) }),
      onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      onSettled: () => setRemoving(null),
    });
  };

  if (members.length === 0) {
    return (
      <Paper p="xl">
        <Text c="dimmed">{t('members.empty')}</Text>
      </Paper>
    );
  }

  return (
    <Paper p={0}>
      <Table.ScrollContainer minWidth={640}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('members.name')}</Table.Th>
              <Table.Th scope="col">{t('members.role')}</Table.Th>
              <Table.Th scope="col">{t('members.since')}</Table.Th>
              {canManage ? (
                <Table.Th scope="col" ta="right">
                  {t('common.actions')}
                </Table.Th>
              ) : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.map((member) => {
              const name = member.name || member.email;
              const isMe = member.userId === user.id;
              return (
                <Table.Tr key={member.userId}>
                  <Table.Td>
                    <Group gap="sm" wrap="nowrap">
                      <Avatar radius="xl" size={34} color="brand" aria-hidden>
                        {name.slice(0, 1).toUpperCase()}
                      </Avatar>
                      <div>
                        <Text size="sm" fw={500}>
                          {member.name || '—'}{' '}
                          {isMe ? (
                            <Badge size="xs" variant="light" ml={4}>
                              {t('members.you')}
                            </Badge>
                          ) : null}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {member.email}
                        </Text>
                      </div>
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    {canManage ? (
                      <NativeSelect
                        aria-label={t('members.roleOf', { name })}
                        size="xs"
                        w={200}
                        value={member.role}
                        data={ROLES.map((role) => ({ value: role, label: t(`roles.${role}`) }))}
                        disabled={changeRole.isPending && changeRole.variables?.userId === member.userId}
                        onChange={(e) => onRoleChange(member, e.currentTarget.value as Role)}
                      />
                    ) : (
                      <Badge variant="light" color="gray">
                        {t(`roles.${member.role}`)}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{date(member.createdAt)}</Text>
                  </Table.Td>
                  {canManage ? (
                    <Table.Td ta="right">
                      <Tooltip label={t('members.remove')} withArrow>
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={t('members.removeLabel', { name })}
                          onClick={() => setRemoving(member)}
                        >
                          <IconTrash size={18} aria-hidden />
                        </ActionIcon>
                      </Tooltip>
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmDialog
        opened={removing !== null}
        title={t('members.removeTitle')}
        text={t('members.removeText', { name: removing?.name || removing?.email || '' })}
        confirmLabel={t('members.remove')}
        loading={remove.isPending}
        onConfirm={onRemove}
        onClose={() => setRemoving(null)}
      />
    </Paper>
  );
}
