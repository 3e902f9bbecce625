import {
  Alert,
  Button,
  Code,
  Group,
  NativeSelect,
  NumberInput,
  Paper,
  Stack,
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
  type SalesSettings,
  useRotateWebhookSecret,
  useSalesSettings,
  useSaveSalesSettings,
} from './sales-api.js';
import { SalesTabs } from './sales-tabs.js';
import { fromSimpleHours, toSimpleHours, WorkingHoursInput } from './working-hours-input.js';

function SettingsForm({ settings }: { settings: SalesSettings }) {
  const { t } = useTranslation();
  const save = useSaveSalesSettings();
  const rotate = useRotateWebhookSecret();
  const [sla, setSla] = useState<number | string>(settings.slaMinutes);
  const [reminder, setReminder] = useState<number | string>(settings.reminderMinutes);
  const [escalation, setEscalation] = useState(settings.escalation);
  const [timezone, setTimezone] = useState(settings.timezone);
  const [hours, setHours] = useState(toSimpleHours(settings.workingHours));
  const [webhookUrl, setWebhookUrl] = useState(settings.webhookUrl ?? '');
  const [secret, setSecret] = useState<string | null>(null);
  const onError = (error: unknown) => notifications.show({ color: 'red', message: messageOf(error, t) });
  const submit = () =>
    save.mutate(
      {
        slaMinutes: Number(sla),
        reminderMinutes: Number(reminder),
        escalation,
        timezone: timezone.trim(),
        workingHours: fromSimpleHours(hours),
        webhookUrl: webhookUrl.trim() || null,
      },
      {
        onSuccess: () => notifications.show({ color: 'brand', message: t('sales.settings.saved') }),
        onError,
      },
    );
  return (
    <Paper p="lg">
      <Stack>
        <Group grow>
          <NumberInput
            label={t('sales.settings.sla')}
            description={t('sales.settings.slaHint')}
            min={5}
            value={sla}
            onChange={setSla}
          />
          <NumberInput
            label={t('sales.settings.reminder')}
            description={t('sales.settings.reminderHint')}
            min={0}
            value={reminder}
            onChange={setReminder}
          />
        </Group>
        <NativeSelect
          label={t('sales.settings.escalation')}
          value={escalation}
          onChange={(e) => setEscalation(e.currentTarget.value as SalesSettings['escalation'])}
          data={[
            { value: 'reassign', label: t('sales.settings.reassign') },
            { value: 'notify_manager', label: t('sales.settings.notifyManager') },
          ]}
        />
        <TextInput
          label={t('sales.team.timezone')}
          value={timezone}
          onChange={(e) => setTimezone(e.currentTarget.value)}
        />
        <WorkingHoursInput value={hours} onChange={setHours} idPrefix="workspace" />
        <TextInput
          label={t('sales.settings.webhookUrl')}
          description={t('sales.settings.webhookHint')}
          type="url"
          value={webhookUrl}
          onChange={(e) => setWebhookUrl(e.currentTarget.value)}
        />
        {secret ? (
          <Alert color="yellow" title={t('sales.settings.secretOnce')}>
            <Code>{secret}</Code>
          </Alert>
        ) : null}
        <Group justify="space-between">
          <Button
            variant="default"
            disabled={!settings.webhookUrl}
            onClick={() => rotate.mutate(undefined, { onSuccess: (r) => setSecret(r.secret), onError })}
          >
            {t('sales.settings.rotateSecret')}
          </Button>
          <Button onClick={submit} loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

/** SLA (working-hours aware), escalation, and the webhook for sales events. */
export function SalesSettingsPage() {
  const { t } = useTranslation();
  const settings = useSalesSettings();
  return (
    <Page title={t('sales.settings.title')} description={t('sales.settings.description')}>
      <SalesTabs />
      {settings.isPending ? (
        <Loading />
      ) : settings.isError ? (
        <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />
      ) : (
        <SettingsForm settings={settings.data} />
      )}
    </Page>
  );
}
