import {
  ActionIcon,
  Alert,
  Button,
  ColorInput,
  Grid,
  Group,
  NumberInput,
  Paper,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import { type MailSettings, useMailSettings, useSaveMailSettings } from './mail-api.js';
import { MailTabs } from './mail-tabs.js';

/** Sender, layout (logo, colour, imprint), tracking and sending rates of the workspace. */
export function MailSettingsPage() {
  const { t } = useTranslation();
  const settings = useMailSettings();
  return (
    <Page title={t('mail.settings.title')} description={t('mail.settings.description')}>
      <MailTabs />
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

function SettingsForm({ settings }: { settings: MailSettings }) {
  const { t } = useTranslation();
  const save = useSaveMailSettings();
  const [form, setForm] = useState(settings);
  useEffect(() => setForm(settings), [settings]);
  const set = <K extends keyof MailSettings>(key: K, value: MailSettings[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const error = (field: string) => fieldErrorsOf(save.error, t)[field];
  const [domainRates, setDomainRates] = useState<DomainRate[]>(() => rowsOf(settings.domainRates));
  useEffect(() => setDomainRates(rowsOf(settings.domainRates)), [settings]);

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(
          {
            fromName: form.fromName,
            fromEmail: form.fromEmail || null,
            replyTo: form.replyTo || null,
            imprint: form.imprint,
            logoUrl: form.logoUrl || null,
            accentColor: form.accentColor,
            trackingEnabled: form.trackingEnabled,
            ratePerMinute: form.ratePerMinute,
            domainRatePerMinute: form.domainRatePerMinute,
            domainRates: Object.fromEntries(
              domainRates
                .filter((r) => r.domain.trim() && r.rate)
                .map((r) => [r.domain.trim().toLowerCase(), r.rate!]),
            ),
            softBounceLimit: form.softBounceLimit,
          },
          { onSuccess: () => notifications.show({ message: t('common.saved'), color: 'green' }) },
        );
      }}
    >
      <Stack gap="xl">
        {!settings.canSendMarketing ? (
          <Alert color="orange" title={t('mail.settings.noImprintTitle')}>
            {t('mail.settings.noImprintText')}
          </Alert>
        ) : null}
        <Section id="mail-sender" title={t('mail.settings.sender')}>
          <Paper p="md">
            <Grid>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <TextInput
                  label={t('mail.settings.fromName')}
                  value={form.fromName}
                  onChange={(e) => set('fromName', e.currentTarget.value)}
                />
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <TextInput
                  label={t('mail.settings.fromEmail')}
                  description={t('mail.settings.fromEmailHelp', { address: settings.defaultFrom })}
                  type="email"
                  value={form.fromEmail ?? ''}
                  onChange={(e) => set('fromEmail', e.currentTarget.value)}
                  error={error('fromEmail')}
                />
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <TextInput
                  label={t('mail.settings.replyTo')}
                  type="email"
                  value={form.replyTo ?? ''}
                  onChange={(e) => set('replyTo', e.currentTarget.value)}
                  error={error('replyTo')}
                />
              </Grid.Col>
            </Grid>
            <Text size="xs" c="dimmed" mt="sm">
              {t(
                settings.transport === 'smtp'
                  ? 'mail.settings.transportSmtp'
                  : 'mail.settings.transportOutbox',
              )}
            </Text>
          </Paper>
        </Section>
        <Section
          id="mail-layout"
          title={t('mail.settings.layout')}
          description={t('mail.settings.layoutHelp')}
        >
          <Paper p="md">
            <Stack>
              <Textarea
                label={t('mail.settings.imprint')}
                description={t('mail.settings.imprintHelp')}
                value={form.imprint}
                onChange={(e) => set('imprint', e.currentTarget.value)}
                autosize
                minRows={5}
                error={error('imprint')}
              />
              <Grid>
                <Grid.Col span={{ base: 12, md: 8 }}>
                  <TextInput
                    label={t('mail.settings.logoUrl')}
                    description={t('mail.settings.logoUrlHelp')}
                    value={form.logoUrl ?? ''}
                    onChange={(e) => set('logoUrl', e.currentTarget.value)}
                    error={error('logoUrl')}
                  />
                </Grid.Col>
                <Grid.Col span={{ base: 12, md: 4 }}>
                  <ColorInput
                    label={t('mail.settings.accentColor')}
                    value={form.accentColor}
                    onChange={(v) => set('accentColor', v)}
                    format="hex"
                    withEyeDropper={false}
                    error={error('accentColor')}
                  />
                </Grid.Col>
              </Grid>
            </Stack>
          </Paper>
        </Section>
        <Section id="mail-tracking" title={t('mail.settings.tracking')}>
          <Paper p="md">
            <Switch
              label={t('mail.settings.trackingEnabled')}
              description={t('mail.settings.trackingHelp')}
              checked={form.trackingEnabled}
              onChange={(e) => set('trackingEnabled', e.currentTarget.checked)}
            />
          </Paper>
        </Section>
        <Section id="mail-rates" title={t('mail.settings.rates')} description={t('mail.settings.ratesHelp')}>
          <Paper p="md">
            <Grid>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <NumberInput
                  label={t('mail.settings.ratePerMinute')}
                  min={1}
                  value={form.ratePerMinute ?? ''}
                  onChange={(v) => set('ratePerMinute', typeof v === 'number' ? v : null)}
                />
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <NumberInput
                  label={t('mail.settings.domainRatePerMinute')}
                  min={1}
                  value={form.domainRatePerMinute ?? ''}
                  onChange={(v) => set('domainRatePerMinute', typeof v === 'number' ? v : null)}
                />
              </Grid.Col>
              <Grid.Col span={{ base: 12, md: 4 }}>
                <NumberInput
                  label={t('mail.settings.softBounceLimit')}
                  description={t('mail.settings.softBounceLimitHelp')}
                  min={1}
                  max={100}
                  value={form.softBounceLimit}
                  onChange={(v) => set('softBounceLimit', typeof v === 'number' ? v : 3)}
                />
              </Grid.Col>
            </Grid>
            <DomainRatesEditor rows={domainRates} onChange={setDomainRates} />
          </Paper>
        </Section>
        {save.isError ? (
          <Text c="var(--mantine-color-error)" size="sm" role="alert">
            {messageOf(save.error, t)}
          </Text>
        ) : null}
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

interface DomainRate {
  key: number;
  domain: string;
  rate: number | null;
}

let nextRowKey = 0;
const rowsOf = (rates: Record<string, number>): DomainRate[] =>
  Object.entries(rates).map(([domain, rate]) => ({ key: nextRowKey++, domain, rate }));

/** Per-domain overrides (e.g. gmx.de and web.de throttle early): a domain and its mails per minute. */
function DomainRatesEditor({
  rows,
  onChange,
}: {
  rows: DomainRate[];
  onChange: (rows: DomainRate[]) => void;
}) {
  const { t } = useTranslation();
  const update = (key: number, patch: Partial<DomainRate>) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <Stack gap="xs" mt="md" role="group" aria-labelledby="mail-domain-rates">
      <Text size="sm" fw={500} id="mail-domain-rates">
        {t('mail.settings.domainRates')}
      </Text>
      <Text size="xs" c="dimmed">
        {t('mail.settings.domainRatesHelp')}
      </Text>
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('mail.settings.domainRatesNone')}
        </Text>
      ) : null}
      {rows.map((r, i) => {
        const name = r.domain.trim() || `#${i + 1}`;
        return (
          <Group key={r.key} align="flex-end" wrap="nowrap">
            <TextInput
              label={t('mail.settings.domainRatesDomain')}
              placeholder="gmx.de"
              value={r.domain}
              onChange={(e) => update(r.key, { domain: e.currentTarget.value })}
            />
            <NumberInput
              label={t('mail.settings.domainRatesRate', { domain: name })}
              min={1}
              value={r.rate ?? ''}
              onChange={(v) => update(r.key, { rate: typeof v === 'number' ? v : null })}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              size="lg"
              aria-label={t('mail.settings.domainRatesRemove', { domain: name })}
              onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
            >
              ×
            </ActionIcon>
          </Group>
        );
      })}
      <Group>
        <Button
          variant="default"
          size="xs"
          onClick={() => onChange([...rows, { key: nextRowKey++, domain: '', rate: null }])}
        >
          {t('mail.settings.domainRatesAdd')}
        </Button>
      </Group>
    </Stack>
  );
}
