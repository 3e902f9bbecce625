import { Avatar, Badge, Group, Menu, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconLogout } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useLogout, useSignedInSession } from '../auth/session.js';
import { messageOf } from '../ui/errors.js';
import classes from './shell.module.css';

function initialsOf(name: string, email: string): string {
  const parts = (name.trim() || email).split(/[\s.@_-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase() || '?';
}

export function UserMenu() {
  const { t } = useTranslation();
  const { user } = useSignedInSession();
  const logout = useLogout();
  const navigate = useNavigate();
  const displayName = user.name || user.email;

  const onLogout = () =>
    logout.mutate(undefined, {
      onSuccess: () => navigate('/login', { replace: true }),
      onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
    });

  return (
    <Menu withinPortal={false} position="bottom-end" width={260} shadow="md">
      <Menu.Target>
        <UnstyledButton p={4} className={classes.userButton} data-testid="user-menu">
          <Group gap={8} wrap="nowrap">
            <Avatar color="brand" radius="xl" size={32} aria-hidden>
              {initialsOf(user.name, user.email)}
            </Avatar>
            {/* The name is the button's label; on small screens it is read but not shown. */}
            <VisuallyHidden>{t('shell.userMenu')} </VisuallyHidden>
            <Text size="sm" fw={500} maw={160} truncate className={classes.userName}>
              {displayName}
            </Text>
            <IconChevronDown size={14} aria-hidden className={classes.hideOnPhone} />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('shell.signedInAs')}</Menu.Label>
        <Group px="sm" pb="xs" gap={6} wrap="nowrap">
          <div style={{ minWidth: 0 }}>
            <Text size="sm" fw={600} truncate>
              {displayName}
            </Text>
            <Text size="xs" c="dimmed" truncate>
              {user.email}
            </Text>
          </div>
          {user.isSuperadmin ? (
            <Badge size="xs" variant="light" ml="auto">
              {t('shell.superadmin')}
            </Badge>
          ) : null}
        </Group>
        <Menu.Divider />
        <Menu.Item
          leftSection={<IconLogout size={16} aria-hidden />}
          onClick={onLogout}
          disabled={logout.isPending}
        >
          {t('shell.logout')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
