import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import { useCaptureStatus, useResumeCapture } from './forms-api.js';
import { useCanWriteForms } from './forms-page.js';

/**
 * The banner shown while confirmation mails are paused (a sign-up wave tripped the circuit breaker)
 * or sign-ups are held. The app shell shows it above every page, so an admin sees it wherever they
 * work, not only under Forms.
 */
export function CaptureBanner() {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const { workspace } = useCurrentWorkspace();
  const status = useCaptureStatus(workspace !== null);
  const resume = useResumeCapture();
  const canWrite = useCanWriteForms();
  if (!status.data?.paused && !status.data?.heldSubmissions) return null;
  const breaker = status.data.breakers[0];
  const act = (held: 'release' | 'discard') =>
    resume.mutate(held, {
      onSuccess: () => notifications.show({ color: 'brand', message: t(`forms.breaker.${held}Done`) }),
      onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
    });
  return (
    <Alert
      color="red"
      variant="light"
      role="alert"
      icon={<IconAlertTriangle aria-hidden />}
      title={t('forms.breaker.title')}
      data-testid="capture-breaker"
    >
      <Stack gap="xs">
        <Text size="sm">
          {breaker
            ? t('forms.breaker.text', { reason: breaker.reason, until: dateTime(breaker.closesAt) })
            : t('forms.breaker.closedText')}
        </Text>
        <Text size="sm">{t('forms.breaker.held', { count: status.data.heldSubmissions })}</Text>
        {canWrite ? (
          <Group gap="sm">
            <Button size="xs" onClick={() => act('release')} loading={resume.isPending}>
              {t('forms.breaker.release')}
            </Button>
            <Button size="xs" variant="default" onClick={() => act('discard')} loading={resume.isPending}>
              {t('forms.breaker.discard')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Alert>
  );
}
