import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  FileInput,
  Group,
  Paper,
  Progress,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconUpload } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useApi } from '../api/context.js';
import { fetchText, useCustomFields } from '../contacts/contacts-api.js';
import { useCanWriteContacts } from '../contacts/contacts-page.js';
import { ContactsTabs } from '../contacts/contacts-tabs.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import {
  downloadImportReport,
  type ImportJob,
  type ImportReview,
  type ImportSettings,
  PROFILE_TARGETS,
  parseCsv,
  REPORT_PREVIEW_ROWS,
  RUNNING,
  useImport,
  useImportAction,
  useImports,
  useUpload,
} from './imports-api.js';

/** CSV import: upload → map columns and choose the rules → progress and the per-row report. */
export function ImportsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const current = params.get('import');
  const canWrite = useCanWriteContacts();
  const [mapping, setMapping] = useState<Record<string, string> | null>(null);
  const open = (id: string | null, suggested?: Record<string, string>) => {
    setMapping(suggested ?? null);
    setParams(id ? { import: id } : {});
  };
  return (
    <Page title={t('imports.title')} description={t('imports.description')}>
      <ContactsTabs />
      {current ? (
        <ImportView id={current} suggested={mapping} onBack={() => open(null)} />
      ) : (
        <>
          {canWrite ? <UploadForm onUploaded={(id, m) => open(id, m)} /> : null}
          <RecentImports onOpen={(id) => open(id)} />
        </>
      )}
    </Page>
  );
}

function UploadForm({ onUploaded }: { onUploaded: (id: string, mapping: Record<string, string>) => void }) {
  const { t } = useTranslation();
  const upload = useUpload();
  const [file, setFile] = useState<File | null>(null);
  const [preset, setPreset] = useState<string | null>(null);
  return (
    <Paper p="md">
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          if (file)
            upload.mutate(
              { file, preset },
              { onSuccess: (r) => onUploaded(r.import.id, r.suggestedMapping) },
            );
        }}
      >
        <Stack>
          <Title order={2} size="h4">
            {t('imports.upload')}
          </Title>
          <Group align="flex-end" wrap="wrap">
            <FileInput
              label={t('imports.file')}
              description={t('imports.fileHint')}
              accept=".csv,.xlsx,text/csv,text/plain"
              value={file}
              onChange={setFile}
              clearable
              w={340}
              leftSection={<IconUpload size={16} aria-hidden />}
            />
            <Select
              label={t('imports.preset')}
              data={[
                { value: 'hubspot', label: 'HubSpot' },
                { value: 'mautic', label: 'Mautic' },
              ]}
              value={preset}
              onChange={setPreset}
              clearable
              placeholder={t('imports.noPreset')}
              w={200}
            />
            <Button type="submit" disabled={!file} loading={upload.isPending}>
              {t('imports.uploadSubmit')}
            </Button>
          </Group>
          {upload.isError ? (
            <Alert color="red" role="alert">
              {messageOf(upload.error, t)}
            </Alert>
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}

function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  const color =
    status === 'done' ? 'green' : status === 'failed' ? 'red' : status === 'cancelled' ? 'gray' : 'blue';
  return (
    <Badge variant="light" color={color} tt="none">
      {t(`imports.statuses.${status as 'done'}`, { defaultValue: status })}
    </Badge>
  );
}

function RecentImports({ onOpen }: { onOpen: (id: string) => void }) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const imports = useImports();
  if (imports.isPending) return <Loading />;
  if (imports.isError) return <ErrorState error={imports.error} onRetry={() => void imports.refetch()} />;
  return (
    <Paper p="md">
      <Title order={2} size="h4" mb="sm">
        {t('imports.recent')}
      </Title>
      {imports.data.length === 0 ? (
        <Text c="dimmed">{t('imports.none')}</Text>
      ) : (
        <Table aria-label={t('imports.recent')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('imports.file')}</Table.Th>
              <Table.Th scope="col">{t('imports.status')}</Table.Th>
              <Table.Th scope="col">{t('imports.rows')}</Table.Th>
              <Table.Th scope="col">{t('imports.createdAt')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {imports.data.map((i) => (
              <Table.Tr key={i.id}>
                <Table.Td>
                  <Anchor component="button" type="button" onClick={() => onOpen(i.id)} fw={500}>
                    {i.fileName}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={i.status} />
                </Table.Td>
                <Table.Td>{fmt.number(i.totalRows)}</Table.Td>
                <Table.Td>{fmt.dateTime(i.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}

function ImportView({
  id,
  suggested,
  onBack,
}: {
  id: string;
  suggested: Record<string, string> | null;
  onBack: () => void;
}) {
  const { t } = useTranslation();
  const imp = useImport(id);
  return (
    <Stack>
      <Anchor component="button" type="button" onClick={onBack} size="sm" w="fit-content">
        {t('imports.backToList')}
      </Anchor>
      {imp.isPending ? (
        <Loading />
      ) : imp.isError ? (
        <ErrorState error={imp.error} onRetry={() => void imp.refetch()} />
      ) : imp.data.status === 'uploaded' ? (
        <MappingForm imp={imp.data} suggested={suggested ?? {}} />
      ) : (
        <ImportProgress imp={imp.data} />
      )}
    </Stack>
  );
}

function MappingForm({ imp, suggested }: { imp: ImportJob; suggested: Record<string, string> }) {
  const { t } = useTranslation();
  const defs = useCustomFields('contact');
  const start = useImportAction();
  const [mapping, setMapping] = useState<Record<string, string>>(suggested);
  const [existing, setExisting] = useState<ImportSettings['existing']>('fill_empty');
  const [mode, setMode] = useState<ImportSettings['mode']>('all_or_nothing');
  const [encoding, setEncoding] = useState<string>(imp.encoding);
  const [tags, setTags] = useState<string[]>([]);
  const [withConsent, setWithConsent] = useState(false);
  const [purpose, setPurpose] = useState('newsletter');
  const [legalBasis, setLegalBasis] = useState<'consent' | 'existing_customer'>('consent');
  const [proof, setProof] = useState('');
  const targets = [
    ...PROFILE_TARGETS.map((p) => ({ value: p, label: t(`imports.targets.${p}`) })),
    ...(defs.data ?? []).map((d) => ({
      value: `custom:${d.key}`,
      label: `${d.label} (${t('imports.customField')})`,
    })),
  ];
  const mapsEmail = Object.values(mapping).includes('email');
  const mapsConsent = Object.values(mapping).includes('consent');
  const proofOk = !withConsent || proof.trim().length >= 10;
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    const settings: ImportSettings = {
      mapping: Object.fromEntries(Object.entries(mapping).filter(([, v]) => v)),
      existing,
      mode,
      review: true,
      ...(encoding === 'utf-8' || encoding === 'windows-1252' || encoding === 'iso-8859-1'
        ? { encoding }
        : {}),
      ...(tags.length > 0 ? { tags } : {}),
      ...(withConsent && mapsConsent ? { consent: { purpose, legalBasis, proof: proof.trim() } } : {}),
    };
    start.mutate({ id: imp.id, action: 'start', settings });
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <Paper p="md">
          <Title order={2} size="h4" mb="xs">
            {t('imports.mapping')}
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            {t('imports.mappingHint', { file: imp.fileName })}
          </Text>
          <Table.ScrollContainer minWidth={700}>
            <Table aria-label={t('imports.mapping')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('imports.column')}</Table.Th>
                  <Table.Th scope="col">{t('imports.preview')}</Table.Th>
                  <Table.Th scope="col">{t('imports.target')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {imp.header.map((column, i) => (
                  <Table.Tr key={column}>
                    <Table.Td fw={500}>{column}</Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
                        {imp.preview
                          .slice(0, 3)
                          .map((r) => r[i] ?? '')
                          .filter(Boolean)
                          .join(' · ') || '–'}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Select
                        aria-label={t('imports.targetFor', { column })}
                        data={targets}
                        value={mapping[column] ?? null}
                        onChange={(v) => setMapping((m) => ({ ...m, [column]: v ?? '' }))}
                        placeholder={t('imports.ignore')}
                        clearable
                        searchable
                        w={240}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {!mapsEmail ? (
            <Alert color="yellow" mt="sm">
              {t('imports.needEmail')}
            </Alert>
          ) : null}
        </Paper>
        <Paper p="md">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <ImportModeChoices existing={existing} setExisting={setExisting} mode={mode} setMode={setMode} />
            <Select
              label={t('imports.encoding')}
              data={['utf-8', 'windows-1252', 'iso-8859-1']}
              value={encoding}
              onChange={(v) => v && setEncoding(v)}
              allowDeselect={false}
            />
            <TagsInput label={t('imports.tags')} value={tags} onChange={setTags} maxTags={20} />
          </SimpleGrid>
        </Paper>
        <Paper p="md">
          <Title order={2} size="h4" mb="xs">
            {t('imports.consent')}
          </Title>
          <Text size="sm" mb="sm">
            {t('imports.consentRule')}
          </Text>
          <Checkbox
            label={t('imports.withConsent')}
            checked={withConsent}
            onChange={(e) => setWithConsent(e.currentTarget.checked)}
            disabled={!mapsConsent}
            description={mapsConsent ? undefined : t('imports.consentColumnNeeded')}
          />
          {withConsent && mapsConsent ? (
            <SimpleGrid cols={{ base: 1, sm: 2 }} mt="sm">
              <TextInput
                label={t('imports.purpose')}
                value={purpose}
                onChange={(e) => setPurpose(e.currentTarget.value)}
                required
              />
              <Select
                label={t('imports.legalBasis')}
                data={[
                  { value: 'consent', label: t('imports.legalBases.consent') },
                  { value: 'existing_customer', label: t('imports.legalBases.existing_customer') },
                ]}
                value={legalBasis}
                onChange={(v) => v && setLegalBasis(v as 'consent' | 'existing_customer')}
                allowDeselect={false}
              />
              <Textarea
                label={t('imports.proof')}
                description={t('imports.proofHint')}
                value={proof}
                onChange={(e) => setProof(e.currentTarget.value)}
                required
                minLength={10}
                maxLength={2000}
                autosize
                minRows={2}
                error={proof && !proofOk ? t('imports.proofTooShort') : undefined}
              />
            </SimpleGrid>
          ) : null}
        </Paper>
        {start.isError ? (
          <Alert color="red" role="alert">
            {messageOf(start.error, t)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" disabled={!mapsEmail || !proofOk} loading={start.isPending}>
            {t('imports.start')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ImportProgress({ imp }: { imp: ImportJob }) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const api = useApi();
  const action = useImportAction();
  const running = RUNNING.includes(imp.status);
  const hasReport = imp.errorRows > 0 || imp.skipped > 0 || imp.suppressed > 0;
  const report = useQuery({
    queryKey: useWorkspaceKey('imports', imp.id, 'report', imp.status),
    // Only the rows shown are fetched (the header and REPORT_PREVIEW_ROWS); the download has them all.
    queryFn: async () =>
      parseCsv(
        await fetchText(api, `/api/v1/imports/${imp.id}/report.csv?limit=${REPORT_PREVIEW_ROWS}`),
        REPORT_PREVIEW_ROWS + 1,
      ),
    enabled: !running && hasReport,
  });
  const percent =
    imp.status === 'done'
      ? 100
      : imp.status === 'applying' && imp.totalRows > 0
        ? Math.min(100, Math.round((imp.appliedRows / imp.totalRows) * 100))
        : 0;
  const fail = (e: unknown) => notifications.show({ color: 'red', message: messageOf(e, t) });
  const stats: [string, number][] = [
    [t('imports.stats.total'), imp.totalRows],
    [t('imports.stats.errors'), imp.errorRows],
    [t('imports.stats.created'), imp.created],
    [t('imports.stats.updated'), imp.updated],
    [t('imports.stats.skipped'), imp.skipped],
    [t('imports.stats.suppressed'), imp.suppressed],
    [t('imports.stats.consents'), imp.consents],
  ];
  return (
    <Stack>
      {imp.status === 'staged' && imp.review ? <ImportReviewPanel imp={imp} review={imp.review} /> : null}
      <Paper p="md">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4">
            {imp.fileName}
          </Title>
          <StatusBadge status={imp.status} />
        </Group>
        <Progress value={percent} animated={running} aria-label={t('imports.progress')} size="lg" />
        <Text size="sm" mt="xs" role="status" aria-live="polite" data-testid="import-status">
          {imp.status === 'staging'
            ? t('imports.stagingText', { rows: fmt.number(imp.totalRows) })
            : imp.status === 'staged'
              ? t('imports.stagedText')
              : imp.status === 'applying'
                ? t('imports.applyingText', {
                    applied: fmt.number(imp.appliedRows),
                    total: fmt.number(imp.totalRows),
                  })
                : t(
                    `imports.statusText.${imp.status === 'done' || imp.status === 'failed' || imp.status === 'cancelled' ? imp.status : 'other'}`,
                  )}
        </Text>
        {imp.failure ? (
          <Alert color="red" mt="sm" role="alert">
            {imp.failure}
          </Alert>
        ) : null}
        <SimpleGrid cols={{ base: 2, sm: 4, md: 7 }} mt="md">
          {stats.map(([label, n]) => (
            <div key={label}>
              <Text size="xs" c="dimmed">
                {label}
              </Text>
              <Text fw={700}>{fmt.number(n)}</Text>
            </div>
          ))}
        </SimpleGrid>
        <Group mt="md">
          {running ? (
            <Button
              variant="default"
              onClick={() => action.mutate({ id: imp.id, action: 'cancel' }, { onError: fail })}
              loading={action.isPending}
            >
              {t('imports.cancel')}
            </Button>
          ) : null}
          {imp.status === 'cancelled' ? (
            <Button
              onClick={() => action.mutate({ id: imp.id, action: 'resume' }, { onError: fail })}
              loading={action.isPending}
            >
              {t('imports.resume')}
            </Button>
          ) : null}
          {hasReport && !running ? (
            <Button
              variant="default"
              leftSection={<IconDownload size={18} aria-hidden />}
              onClick={() => downloadImportReport(api, imp.id).catch(fail)}
            >
              {t('imports.downloadReport')}
            </Button>
          ) : null}
        </Group>
      </Paper>
      {report.data && report.data.length > 1 ? (
        <Paper p="md">
          <Title order={2} size="h4" mb="sm">
            {t('imports.report')}
          </Title>
          <Table aria-label={t('imports.report')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('imports.reportRow')}</Table.Th>
                <Table.Th scope="col">{t('imports.reportEmail')}</Table.Th>
                <Table.Th scope="col">{t('imports.reportOutcome')}</Table.Th>
                <Table.Th scope="col">{t('imports.reportError')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.data.slice(1).map((r) => (
                <Table.Tr key={r[0]}>
                  <Table.Td>{r[0]}</Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{r[1]}</Table.Td>
                  <Table.Td>{r[2]}</Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{r[3]}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {report.data.length > REPORT_PREVIEW_ROWS ? (
            <Text size="sm" c="dimmed" mt="xs">
              {t('imports.reportMore')}
            </Text>
          ) : null}
        </Paper>
      ) : null}
    </Stack>
  );
}

/** The dry run: what the import would do, the first errors, and the user's go (or cancel). */
function ImportReviewPanel({ imp, review }: { imp: ImportJob; review: ImportReview }) {
  const { t } = useTranslation();
  const fmt = useFormatters();
  const action = useImportAction();
  const initial = imp.settings as Partial<ImportSettings>;
  const [existing, setExisting] = useState<ImportSettings['existing']>(initial.existing ?? 'fill_empty');
  const [mode, setMode] = useState<ImportSettings['mode']>(initial.mode ?? 'all_or_nothing');
  const known = review.update + review.skip;
  const counts: [string, number][] = [
    [t('imports.reviewCreate'), review.create],
    [existing === 'skip' ? t('imports.reviewSkip') : t('imports.reviewUpdate'), known],
    [t('imports.reviewSuppressed'), review.suppressed],
    [t('imports.reviewRejected'), review.rejected],
  ];
  const blocked = mode === 'all_or_nothing' && review.rejected > 0;
  const fail = (e: unknown) => notifications.show({ color: 'red', message: messageOf(e, t) });
  return (
    <Paper p="md" data-testid="import-review">
      <Title order={2} size="h4" mb="xs">
        {t('imports.reviewTitle')}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {t('imports.reviewHint', { rows: fmt.number(review.rows) })}
      </Text>
      <SimpleGrid cols={{ base: 2, sm: 4 }} mb="md">
        {counts.map(([label, n]) => (
          <div key={label}>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text fw={700}>{fmt.number(n)}</Text>
          </div>
        ))}
      </SimpleGrid>
      {review.errors.length > 0 ? (
        <Table.ScrollContainer minWidth={500} mb="md">
          <Table aria-label={t('imports.reviewErrors')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('imports.reportRow')}</Table.Th>
                <Table.Th scope="col">{t('imports.reportEmail')}</Table.Th>
                <Table.Th scope="col">{t('imports.reportError')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {review.errors.map((e) => (
                <Table.Tr key={e.row}>
                  <Table.Td>{e.row}</Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{e.email}</Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{e.error}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <ImportModeChoices existing={existing} setExisting={setExisting} mode={mode} setMode={setMode} />
      </SimpleGrid>
      {blocked ? (
        <Alert color="yellow" mt="md">
          {t('imports.reviewBlocked', { rows: fmt.number(review.rejected) })}
        </Alert>
      ) : null}
      <Group justify="flex-end" mt="md">
        <Button
          onClick={() =>
            action.mutate({ id: imp.id, action: 'confirm', settings: { existing, mode } }, { onError: fail })
          }
          disabled={blocked}
          loading={action.isPending}
        >
          {t('imports.confirm')}
        </Button>
      </Group>
    </Paper>
  );
}

/** What to do with existing contacts and with rejected rows: asked before staging and again in the review. */
function ImportModeChoices({
  existing,
  setExisting,
  mode,
  setMode,
}: {
  existing: ImportSettings['existing'];
  setExisting: (v: ImportSettings['existing']) => void;
  mode: ImportSettings['mode'];
  setMode: (v: ImportSettings['mode']) => void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <Radio.Group
        label={t('imports.existing')}
        value={existing}
        onChange={(v) => setExisting(v as ImportSettings['existing'])}
      >
        <Stack gap={6} mt="xs">
          {(['fill_empty', 'update', 'skip'] as const).map((v) => (
            <Radio key={v} value={v} label={t(`imports.existingModes.${v}`)} />
          ))}
        </Stack>
      </Radio.Group>
      <Radio.Group
        label={t('imports.mode')}
        value={mode}
        onChange={(v) => setMode(v as ImportSettings['mode'])}
      >
        <Stack gap={6} mt="xs">
          {(['all_or_nothing', 'valid_rows'] as const).map((v) => (
            <Radio key={v} value={v} label={t(`imports.modes.${v}`)} />
          ))}
        </Stack>
      </Radio.Group>
    </>
  );
}
