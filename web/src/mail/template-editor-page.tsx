import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  List,
  Paper,
  SegmentedControl,
  Stack,
  Tabs,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import {
  type MailKind,
  type MailLocale,
  type MailTemplate,
  type Preview,
  type TemplateVariant,
  useArchiveTemplate,
  useMailSettings,
  usePreview,
  useSendTest,
  useStartSend,
  useTemplate,
  useUpdateTemplate,
  type VariantInput,
} from './mail-api.js';
import { MailFrame } from './mail-frame.js';
import { MailTabs } from './mail-tabs.js';
import { StarterBody } from './starter.js';

const LOCALES: MailLocale[] = ['de', 'en'];
type Drafts = Partial<Record<MailLocale, VariantInput>>;

/** The template editor: MJML with Liquid on the left, the live preview (desktop, mobile, text) on the right. */
export function TemplateEditorPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const query = useTemplate(id);
  if (query.isPending) return <Loading />;
  if (query.isError)
    return (
      <Page title={t('mail.editor.title')}>
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      </Page>
    );
  return (
    <Editor
      key={`${id}:${query.data.template.version}`}
      template={query.data.template}
      variants={query.data.variants}
    />
  );
}

function toDrafts(variants: TemplateVariant[]): Drafts {
  return Object.fromEntries(
    variants.map((v) => [v.locale, { subject: v.subject, preheader: v.preheader, bodyMjml: v.bodyMjml }]),
  );
}

function Editor({ template, variants }: { template: MailTemplate; variants: TemplateVariant[] }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const settings = useMailSettings();
  const [name, setName] = useState(template.name);
  const [kind, setKind] = useState<MailKind>(template.kind);
  const [purpose, setPurpose] = useState(template.purpose ?? 'newsletter');
  const [drafts, setDrafts] = useState<Drafts>(() => toDrafts(variants));
  const [removed, setRemoved] = useState<MailLocale[]>([]);
  const [locale, setLocale] = useState<MailLocale>(variants[0]?.locale ?? 'de');
  const [view, setView] = useState<'desktop' | 'mobile' | 'text'>('desktop');
  const [confirmSend, setConfirmSend] = useState(false);
  const [confirmArchive, setConfirmArchive] = useState(false);
  const update = useUpdateTemplate(template.id);
  const sendTest = useSendTest(template.id);
  const startSend = useStartSend(template.id);
  const archive = useArchiveTemplate();
  const preview = usePreview();
  const draft = drafts[locale];

  // The live preview follows the text with a short pause, so typing stays smooth.
  const previewInput = useMemo(
    () =>
      draft
        ? { kind, locale, subject: draft.subject, preheader: draft.preheader ?? '', bodyMjml: draft.bodyMjml }
        : null,
    [draft, kind, locale],
  );
  const [shown, setShown] = useState<Preview | null>(null);
  const { mutate: runPreview } = preview;
  useEffect(() => {
    if (!previewInput) return;
    const timer = setTimeout(() => runPreview(previewInput, { onSuccess: setShown }), 400);
    return () => clearTimeout(timer);
  }, [previewInput, runPreview]);

  const setDraft = (patch: Partial<VariantInput>) =>
    setDrafts((d) => ({ ...d, [locale]: { ...(d[locale] as VariantInput), ...patch } }));

  const addLocale = (l: MailLocale) => {
    const from = drafts[locale];
    setDrafts((d) => ({
      ...d,
      [l]: from ? { ...from } : { subject: t('mail.editor.starterSubject'), bodyMjml: StarterBody[l] },
    }));
    setRemoved((r) => r.filter((x) => x !== l));
    setLocale(l);
  };

  const removeLocale = (l: MailLocale) => {
    setDrafts((d) => {
      const next = { ...d };
      delete next[l];
      return next;
    });
    setRemoved((r) => [...r, l]);
    const other = LOCALES.find((x) => x !== l && drafts[x]);
    if (other) setLocale(other);
  };

  const save = () => {
    const variantsPatch: Partial<Record<MailLocale, VariantInput | null>> = { ...drafts };
    for (const l of removed) if (!drafts[l]) variantsPatch[l] = null;
    update.mutate(
      { name, kind, purpose: kind === 'marketing' ? purpose : null, variants: variantsPatch },
      { onSuccess: () => notifications.show({ message: t('common.saved'), color: 'green' }) },
    );
  };

  const present = LOCALES.filter((l) => drafts[l]);
  const missing = LOCALES.filter((l) => !drafts[l]);

  return (
    <Page
      title={name || t('mail.editor.title')}
      description={t('mail.editor.description')}
      actions={
        <>
          <Button
            variant="default"
            onClick={() =>
              sendTest.mutate(locale, {
                onSuccess: (r) =>
                  notifications.show({ message: t('mail.editor.testSent', { to: r.to }), color: 'green' }),
                onError: (err) => notifications.show({ message: messageOf(err, t), color: 'red' }),
              })
            }
            loading={sendTest.isPending}
          >
            {t('mail.editor.sendTest')}
          </Button>
          {template.kind === 'marketing' ? (
            <Button
              variant="default"
              onClick={() => setConfirmSend(true)}
              disabled={!settings.data?.canSendMarketing}
            >
              {t('mail.editor.sendToAll')}
            </Button>
          ) : null}
          <Button onClick={save} loading={update.isPending}>
            {t('common.save')}
          </Button>
        </>
      }
    >
      <MailTabs />
      {update.isError ? (
        <Alert color="red" role="alert" title={t('mail.editor.saveFailed')}>
          {messageOf(update.error, t)}
        </Alert>
      ) : null}
      <Paper p="md">
        <Grid>
          <Grid.Col span={{ base: 12, md: 5 }}>
            <TextInput
              label={t('mail.templates.name')}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              required
            />
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Stack gap={4}>
              <Text size="sm" fw={500} id="template-kind">
                {t('mail.templates.kind')}
              </Text>
              <SegmentedControl
                aria-labelledby="template-kind"
                value={kind}
                onChange={(v) => setKind(v as MailKind)}
                data={[
                  { value: 'marketing', label: t('mail.kind.marketing') },
                  { value: 'transactional', label: t('mail.kind.transactional') },
                ]}
              />
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 3 }}>
            {kind === 'marketing' ? (
              <TextInput
                label={t('mail.templates.purpose')}
                value={purpose}
                onChange={(e) => setPurpose(e.currentTarget.value)}
                required
              />
            ) : (
              <Text size="sm" c="dimmed" mt="lg">
                {t('mail.kind.transactionalHelp')}
              </Text>
            )}
          </Grid.Col>
        </Grid>
      </Paper>

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, xl: 6 }}>
          <Paper p="md">
            <Tabs value={locale} onChange={(v) => v && setLocale(v as MailLocale)}>
              <Group justify="space-between" wrap="wrap">
                <Tabs.List aria-label={t('mail.editor.languages')}>
                  {present.map((l) => (
                    <Tabs.Tab key={l} value={l}>
                      {t(`mail.locale.${l}`)}
                    </Tabs.Tab>
                  ))}
                </Tabs.List>
                <Group gap="xs">
                  {missing.map((l) => (
                    <Button key={l} size="xs" variant="light" onClick={() => addLocale(l)}>
                      {t('mail.editor.addLanguage', { language: t(`mail.locale.${l}`) })}
                    </Button>
                  ))}
                  {present.length > 1 ? (
                    <Button size="xs" variant="subtle" color="red" onClick={() => removeLocale(locale)}>
                      {t('mail.editor.removeLanguage', { language: t(`mail.locale.${locale}`) })}
                    </Button>
                  ) : null}
                </Group>
              </Group>
            </Tabs>
            {draft ? (
              <Stack mt="md" lang={locale}>
                <TextInput
                  label={t('mail.editor.subject')}
                  value={draft.subject}
                  onChange={(e) => setDraft({ subject: e.currentTarget.value })}
                  required
                />
                <TextInput
                  label={t('mail.editor.preheader')}
                  description={t('mail.editor.preheaderHelp')}
                  value={draft.preheader ?? ''}
                  onChange={(e) => setDraft({ preheader: e.currentTarget.value })}
                />
                <Textarea
                  label={t('mail.editor.body')}
                  description={t('mail.editor.bodyHelp')}
                  value={draft.bodyMjml}
                  onChange={(e) => setDraft({ bodyMjml: e.currentTarget.value })}
                  autosize
                  minRows={18}
                  maxRows={40}
                  spellCheck={false}
                  styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
                />
                <Text size="xs" c="dimmed">
                  {t('mail.editor.placeholders')}
                </Text>
              </Stack>
            ) : null}
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, xl: 6 }}>
          <Paper p="md" role="region" aria-label={t('mail.editor.preview')}>
            <Group justify="space-between" mb="sm" wrap="wrap">
              <Text fw={600}>{t('mail.editor.preview')}</Text>
              <SegmentedControl
                aria-label={t('mail.editor.previewWidth')}
                size="xs"
                value={view}
                onChange={(v) => setView(v as typeof view)}
                data={[
                  { value: 'desktop', label: t('mail.editor.desktop') },
                  { value: 'mobile', label: t('mail.editor.mobile') },
                  { value: 'text', label: t('mail.editor.text') },
                ]}
              />
            </Group>
            {preview.isError ? (
              <Alert color="red" role="alert" title={t('mail.editor.previewFailed')}>
                {messageOf(preview.error, t)}
              </Alert>
            ) : null}
            {shown ? (
              <Stack gap="sm">
                <Text size="sm">
                  <Text span fw={600}>
                    {t('mail.editor.subject')}:
                  </Text>{' '}
                  {shown.subject}
                </Text>
                {shown.warnings.length > 0 ? (
                  <Alert color="yellow" title={t('mail.editor.warnings')}>
                    <List size="sm">
                      {shown.warnings.map((w) => (
                        <List.Item key={`${w.line}:${w.message}`}>
                          {t('mail.editor.warningLine', { line: w.line, message: w.message })}
                        </List.Item>
                      ))}
                    </List>
                  </Alert>
                ) : null}
                {view === 'text' ? (
                  <Paper withBorder p="sm">
                    <Text component="pre" size="sm" style={{ whiteSpace: 'pre-wrap', margin: 0 }}>
                      {shown.text}
                    </Text>
                  </Paper>
                ) : (
                  <Group
                    justify={view === 'mobile' ? 'center' : 'flex-start'}
                    wrap="nowrap"
                    style={{ overflowX: 'auto' }}
                  >
                    <MailFrame
                      html={shown.html}
                      title={t(
                        view === 'desktop' ? 'mail.editor.previewDesktop' : 'mail.editor.previewMobile',
                      )}
                      width={view === 'desktop' ? 640 : 375}
                    />
                  </Group>
                )}
                <Group gap="xs">
                  <Badge variant="light">{t('mail.editor.sampleContact')}</Badge>
                </Group>
              </Stack>
            ) : (
              <Loading />
            )}
          </Paper>
        </Grid.Col>
      </Grid>
      <Group>
        <Button variant="subtle" color="red" onClick={() => setConfirmArchive(true)}>
          {t('mail.editor.archive')}
        </Button>
      </Group>
      <ConfirmDialog
        opened={confirmSend}
        title={t('mail.editor.sendToAllTitle')}
        text={t('mail.editor.sendToAllText', { purpose: template.purpose ?? '' })}
        confirmLabel={t('mail.editor.sendToAll')}
        loading={startSend.isPending}
        onClose={() => setConfirmSend(false)}
        onConfirm={() =>
          startSend.mutate(undefined, {
            onSuccess: () => {
              setConfirmSend(false);
              notifications.show({ message: t('mail.editor.sendStarted'), color: 'green' });
              navigate('/emails');
            },
            onError: (err) => notifications.show({ message: messageOf(err, t), color: 'red' }),
          })
        }
      />
      <ConfirmDialog
        opened={confirmArchive}
        title={t('mail.editor.archiveTitle')}
        text={t('mail.editor.archiveText')}
        confirmLabel={t('mail.editor.archive')}
        loading={archive.isPending}
        onClose={() => setConfirmArchive(false)}
        onConfirm={() => archive.mutate(template.id, { onSuccess: () => navigate('/emails') })}
      />
    </Page>
  );
}
