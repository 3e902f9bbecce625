import {
  Accordion,
  Alert,
  Badge,
  Button,
  Code,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertTriangle,
  IconCircleCheck,
  IconDownload,
  IconPrinter,
  IconSearch,
} from '@tabler/icons-react';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useApi } from '../api/context.js';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, isEmail, messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import {
  type ConsentSettings,
  type ContactLedger,
  fetchEvidence,
  findLedgerContact,
  type LedgerEvent,
  useAdminChange,
  useConsentSettings,
  useContactLedger,
  useObjection,
  useSaveConsentSettings,
  useVerifyWorkspace,
  type Verification,
} from './consent-api.js';

const STATUS_COLOR: Record<string, string> = {
  confirmed: 'green',
  pending: 'yellow',
  withdrawn: 'gray',
  expired: 'gray',
};

/** The data-protection officer's page: consent evidence per address, the chain check, retention. */
export function PrivacyPage() {
  const { t } = useTranslation();
  // Other pages (e.g. a contact's profile) link here with ?contact=<id> to open its ledger.
  const [params] = useSearchParams();
  const [contactId, setContactId] = useState<string | null>(params.get('contact'));
  return (
    <Page title={t('consent.title')} description={t('consent.description')}>
      <Section id="consent-lookup" title={t('consent.lookupTitle')} description={t('consent.lookupHint')}>
        <LookupForm onFound={setContactId} />
      </Section>
      {contactId ? <LedgerView contactId={contactId} /> : null}
      <Section id="consent-chain" title={t('consent.chainTitle')} description={t('consent.chainHint')}>
        <WorkspaceVerification />
      </Section>
      <Section
        id="consent-retention"
        title={t('consent.settingsTitle')}
        description={t('consent.settingsHint')}
      >
        <SettingsForm />
      </Section>
    </Page>
  );
}

function LookupForm({ onFound }: { onFound: (contactId: string | null) => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [notFound, setNotFound] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setNotFound(false);
    if (!isEmail(email)) return setError(t('consent.emailInvalid'));
    setError(undefined);
    setBusy(true);
    try {
      const found = await findLedgerContact(api, email.trim());
      setNotFound(found === null);
      onFound(found);
    } catch (err) {
      setError(messageOf(err, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper p="lg">
      <form onSubmit={submit} noValidate>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label={t('consent.email')}
            type="email"
            autoComplete="off"
            value={email}
            error={error}
            onChange={(e) => setEmail(e.currentTarget.value)}
            miw={320}
          />
          <Button type="submit" loading={busy} leftSection={<IconSearch size={18} aria-hidden />}>
            {t('consent.search')}
          </Button>
        </Group>
      </form>
      {notFound ? (
        <Text role="status" mt="md" c="dimmed">
          {t('consent.notFound')}
        </Text>
      ) : null}
    </Paper>
  );
}

function VerificationAlert({ verification }: { verification: Verification }) {
  const { t } = useTranslation();
  if (verification.intact)
    return (
      <Alert color="green" variant="light" icon={<IconCircleCheck aria-hidden />} role="status">
        {t('consent.intact', { count: verification.checked })}
      </Alert>
    );
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertTriangle aria-hidden />}
      role="alert"
      title={t('consent.broken')}
    >
      <Stack gap={4}>
        {verification.breaks.map((b) => (
          <Text size="sm" key={`${b.eventId}-${b.problem}`}>
            {t(`consent.problems.${b.problem === 'chain_broken' ? 'chain_broken' : 'content_changed'}`, {
              event: b.eventId,
              contact: b.contactId ?? '—',
            })}
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}

function LedgerView({ contactId }: { contactId: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const ledger = useContactLedger(contactId);
  const [exporting, setExporting] = useState<'html' | 'pdf' | 'json' | null>(null);

  async function exportEvidence(format: 'html' | 'pdf' | 'json') {
    // Opened before the request, so the browser does not treat it as an unrequested pop-up.
    const target = format === 'html' ? window.open('', '_blank') : null;
    setExporting(format);
    try {
      const { blob, fileName } = await fetchEvidence(api, contactId, format);
      const url = URL.createObjectURL(blob);
      if (target) target.location.href = url;
      else {
        const a = document.createElement('a');
        a.href = url;
        a.download = fileName;
        a.click();
      }
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      target?.close();
      notifications.show({ color: 'red', message: messageOf(err, t) });
    } finally {
      setExporting(null);
    }
  }

  if (ledger.isPending) return <Loading />;
  if (ledger.isError) return <ErrorState error={ledger.error} onRetry={() => void ledger.refetch()} />;
  const data = ledger.data;
  return (
    <Section
      id="consent-ledger"
      title={t('consent.ledgerTitle', { email: data.email })}
      description={data.contactExists ? undefined : t('consent.erased')}
      actions={
        <>
          <Button
            variant="default"
            leftSection={<IconPrinter size={18} aria-hidden />}
            loading={exporting === 'html'}
            onClick={() => void exportEvidence('html')}
          >
            {t('consent.printEvidence')}
          </Button>
          <Button
            variant="default"
            leftSection={<IconDownload size={18} aria-hidden />}
            loading={exporting === 'pdf'}
            onClick={() => void exportEvidence('pdf')}
          >
            {t('consent.downloadPdf')}
          </Button>
          <Button
            variant="default"
            leftSection={<IconDownload size={18} aria-hidden />}
            loading={exporting === 'json'}
            onClick={() => void exportEvidence('json')}
          >
            {t('consent.downloadJson')}
          </Button>
        </>
      }
    >
      <Stack gap="md">
        <VerificationAlert verification={data.verification} />
        <ConsentTable ledger={data} />
        <EventList events={data.events} />
        {data.contactExists ? <AdminActions contactId={contactId} /> : null}
      </Stack>
    </Section>
  );
}

function ConsentTable({ ledger }: { ledger: ContactLedger }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  if (ledger.consents.length === 0)
    return (
      <Paper p="lg">
        <Text c="dimmed">{t('consent.noConsents')}</Text>
      </Paper>
    );
  const when = (iso: string | null) => (iso ? dateTime(iso) : '—');
  return (
    <Paper p={0}>
      <Table.ScrollContainer minWidth={720}>
        <Table aria-label={t('consent.currentState')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('consent.purpose')}</Table.Th>
              <Table.Th scope="col">{t('consent.status')}</Table.Th>
              <Table.Th scope="col">{t('consent.legalBasis')}</Table.Th>
              <Table.Th scope="col">{t('consent.requestedAt')}</Table.Th>
              <Table.Th scope="col">{t('consent.confirmedAt')}</Table.Th>
              <Table.Th scope="col">{t('consent.withdrawnAt')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {ledger.consents.map((c) => (
              <Table.Tr key={c.purpose}>
                <Table.Td>
                  <Code>{c.purpose}</Code>
                </Table.Td>
                <Table.Td>
                  <Badge color={STATUS_COLOR[c.status] ?? 'gray'} variant="light">
                    {t(`consent.statuses.${c.status}`)}
                  </Badge>
                </Table.Td>
                <Table.Td>{t(`consent.bases.${c.legalBasis}`)}</Table.Td>
                <Table.Td>{when(c.requestedAt)}</Table.Td>
                <Table.Td>{when(c.confirmedAt)}</Table.Td>
                <Table.Td>{when(c.withdrawnAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

const PROOF_FIELDS = [
  'occurredAt',
  'email',
  'formId',
  'formVersion',
  'pageUrl',
  'consentText',
  'consentTextVersion',
  'privacyNoticeVersion',
  'checkedBoxes',
  'ip',
  'userAgent',
  'messageId',
  'templateId',
  'tokenRef',
  'actorUserId',
  'details',
  'prevHash',
  'hash',
] as const;

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function EventList({ events }: { events: LedgerEvent[] }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  return (
    <Paper p="md">
      <Text fw={600} mb="xs" component="h3" size="md">
        {t('consent.events', { count: events.length })}
      </Text>
      <Accordion multiple chevronPosition="left">
        {events.map((e) => (
          <Accordion.Item key={e.id} value={e.id}>
            <Accordion.Control>
              <Group gap="sm" wrap="wrap">
                <Text size="sm" ff="monospace">
                  #{e.id}
                </Text>
                <Text size="sm" fw={600}>
                  {t(`consent.eventTypes.${e.event}`, { defaultValue: e.event })}
                </Text>
                <Code>{e.purpose}</Code>
                <Text size="sm" c="dimmed">
                  <time dateTime={e.occurredAt}>{dateTime(e.occurredAt)}</time>
                </Text>
              </Group>
            </Accordion.Control>
            <Accordion.Panel>
              <Stack gap={4} component="dl" m={0}>
                {PROOF_FIELDS.map((field) => (
                  <Group key={field} gap="xs" wrap="nowrap" align="flex-start">
                    <Text component="dt" size="sm" fw={600} miw={200}>
                      {t(`consent.fields.${field}`)}
                    </Text>
                    <Text component="dd" size="sm" m={0} style={{ overflowWrap: 'anywhere' }}>
                      {field === 'occurredAt' ? e.occurredAt : show(e[field])}
                    </Text>
                  </Group>
                ))}
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </Paper>
  );
}

function AdminActions({ contactId }: { contactId: string }) {
  const { t } = useTranslation();
  const { role, canManage } = useCurrentWorkspace();
  const change = useAdminChange(contactId);
  const objection = useObjection(contactId);
  const [purpose, setPurpose] = useState('newsletter');
  const [status, setStatus] = useState<'confirmed' | 'withdrawn'>('withdrawn');
  const [legalBasis, setLegalBasis] = useState<'consent' | 'existing_customer'>('consent');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  if (!canManage && role !== 'dpo') return null;

  function submit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!/^[a-z0-9][a-z0-9_.:-]{0,62}$/.test(purpose)) problems.purpose = t('consent.purposeInvalid');
    if (note.trim().length < 3) problems.note = t('consent.noteRequired');
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    change.mutate(
      { purpose, status, note: note.trim(), ...(status === 'confirmed' ? { legalBasis } : {}) },
      {
        onSuccess: () => {
          setNote('');
          notifications.show({ color: 'brand', message: t('consent.changeSaved') });
        },
        onError: (error) => setErrors(fieldErrorsOf(error, t)),
      },
    );
  }

  function object() {
    if (note.trim().length < 3) return setErrors({ note: t('consent.noteRequired') });
    objection.mutate(note.trim(), {
      onSuccess: () => {
        setNote('');
        notifications.show({ color: 'brand', message: t('consent.objectionSaved') });
      },
    });
  }

  return (
    <Paper p="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Text fw={600} component="h3" size="md">
            {t('consent.adminTitle')}
          </Text>
          <Text size="sm" c="dimmed">
            {t('consent.adminHint')}
          </Text>
          <Group align="flex-start" wrap="wrap">
            <TextInput
              label={t('consent.purpose')}
              value={purpose}
              error={errors.purpose}
              onChange={(e) => setPurpose(e.currentTarget.value)}
            />
            <Select
              label={t('consent.newStatus')}
              data={[
                { value: 'withdrawn', label: t('consent.statuses.withdrawn') },
                { value: 'confirmed', label: t('consent.statuses.confirmed') },
              ]}
              value={status}
              allowDeselect={false}
              onChange={(v) => v && setStatus(v as 'confirmed' | 'withdrawn')}
            />
            {status === 'confirmed' ? (
              <Select
                label={t('consent.legalBasis')}
                data={[
                  { value: 'consent', label: t('consent.bases.consent') },
                  { value: 'existing_customer', label: t('consent.bases.existing_customer') },
                ]}
                value={legalBasis}
                allowDeselect={false}
                onChange={(v) => v && setLegalBasis(v as 'consent' | 'existing_customer')}
              />
            ) : null}
          </Group>
          <Textarea
            label={t('consent.note')}
            description={t('consent.noteHint')}
            required
            autosize
            minRows={2}
            value={note}
            error={errors.note}
            onChange={(e) => setNote(e.currentTarget.value)}
          />
          {change.isError || objection.isError ? (
            <Alert color="red" variant="light" role="alert">
              {messageOf(change.error ?? objection.error, t)}
            </Alert>
          ) : null}
          <Group justify="space-between" wrap="wrap">
            <Button color="red.9" variant="outline" loading={objection.isPending} onClick={object}>
              {t('consent.recordObjection')}
            </Button>
            <Button type="submit" loading={change.isPending}>
              {t('consent.saveChange')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function WorkspaceVerification() {
  const { t } = useTranslation();
  const verify = useVerifyWorkspace();
  return (
    <Paper p="lg">
      <Stack gap="md">
        <Group>
          <Button variant="default" loading={verify.isPending} onClick={() => verify.mutate()}>
            {t('consent.verifyAll')}
          </Button>
        </Group>
        {verify.data ? <VerificationAlert verification={verify.data} /> : null}
        {verify.isError ? (
          <Alert color="red" variant="light" role="alert">
            {messageOf(verify.error, t)}
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}

function SettingsForm() {
  const { t } = useTranslation();
  const settings = useConsentSettings();
  const save = useSaveConsentSettings();
  const { role, canManage } = useCurrentWorkspace();
  const editable = canManage || role === 'dpo';
  const [values, setValues] = useState<ConsentSettings | null>(null);
  useEffect(() => {
    if (settings.data) setValues(settings.data);
  }, [settings.data]);

  if (settings.isPending || !values) return <Loading />;
  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />;

  const field = (key: keyof ConsentSettings, min: number, max: number) => (
    <NumberInput
      label={t(`consent.settings.${key}`)}
      description={t(`consent.settings.${key}Hint`)}
      min={min}
      max={max}
      allowDecimal={false}
      readOnly={!editable}
      value={values[key]}
      onChange={(v) => setValues({ ...values, [key]: typeof v === 'number' ? v : Number(v) })}
    />
  );

  return (
    <Paper p="lg" maw={640}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(values, {
            onSuccess: () => notifications.show({ color: 'brand', message: t('common.saved') }),
          });
        }}
      >
        <Stack gap="md">
          {field('optInTokenTtlHours', 1, 720)}
          {field('unconfirmedRetentionDays', 1, 365)}
          {field('proofRetentionDays', 30, 3650)}
          {save.isError ? (
            <Alert color="red" variant="light" role="alert">
              {messageOf(save.error, t)}
            </Alert>
          ) : null}
          {editable ? (
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                {t('common.save')}
              </Button>
            </Group>
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}
