import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { MessageStatus } from './mail-api.js';

const COLORS: Record<MessageStatus, string> = {
  queued: 'gray',
  sending: 'blue',
  deferred: 'yellow',
  sent: 'teal',
  delivered: 'green',
  skipped: 'gray',
  failed: 'red',
  bounced: 'orange',
  complained: 'red',
};

export function StatusBadge({ status }: { status: MessageStatus }) {
  const { t } = useTranslation();
  return (
    <Badge color={COLORS[status]} variant="light">
      {t(`mail.status.${status}`)}
    </Badge>
  );
}
