import {
  ActionIcon,
  Button,
  Group,
  Indicator,
  Popover,
  Stack,
  Text,
  UnstyledButton,
  VisuallyHidden,
} from '@mantine/core';
import { IconBell } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useFormatters } from '../ui/format.js';
import { type AppNotification, useMarkRead, useNotifications } from './sales-api.js';

/**
 * The header's bell: in-app lead notifications (new lead, reminder, escalation, nobody available)
 * with the unread count; opening one marks it read and goes to the sales inbox.
 */
export function NotificationBell() {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const [opened, setOpened] = useState(false);
  const list = useNotifications(30_000);
  const markRead = useMarkRead();
  const navigate = useNavigate();
  const unread = list.data?.unread ?? 0;
  const items = list.data?.items ?? [];
  const text = (n: AppNotification) =>
    t(`sales.notifications.kinds.${n.kind.replace('.', '_')}`, {
      defaultValue: n.kind,
      who: n.data.who ?? '',
    });

  return (
    <Popover
      opened={opened}
      onChange={setOpened}
      position="bottom-end"
      width={340}
      shadow="md"
      withinPortal={false}
    >
      {/* The target is the button itself (Popover sets aria-expanded on it); the badge wraps it. */}
      <Indicator label={unread} size={16} disabled={unread === 0} offset={4} color="red">
        <Popover.Target>
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            onClick={() => setOpened((o) => !o)}
            aria-label={t('sales.notifications.bell', { count: unread })}
            data-testid="notification-bell"
          >
            <IconBell size={20} aria-hidden />
          </ActionIcon>
        </Popover.Target>
      </Indicator>
      <Popover.Dropdown>
        <Group justify="space-between" mb="xs">
          <Text fw={600} size="sm" component="h2" m={0}>
            {t('sales.notifications.title', { count: unread })}
          </Text>
          {unread > 0 ? (
            <Button size="compact-xs" variant="subtle" onClick={() => markRead.mutate(undefined)}>
              {t('sales.notifications.markAll')}
            </Button>
          ) : null}
        </Group>
        {items.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('sales.notifications.empty')}
          </Text>
        ) : (
          <Stack gap={2} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {items.slice(0, 10).map((n) => (
              <li key={n.id}>
                <UnstyledButton
                  w="100%"
                  p={6}
                  onClick={() => {
                    if (!n.readAt) markRead.mutate(n.id);
                    setOpened(false);
                    navigate('/leads');
                  }}
                >
                  <Text size="sm" fw={n.readAt ? 400 : 600}>
                    {n.readAt ? null : <VisuallyHidden>{t('sales.notifications.unread')} </VisuallyHidden>}
                    {text(n)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {dateTime(n.createdAt)}
                  </Text>
                </UnstyledButton>
              </li>
            ))}
          </Stack>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}
