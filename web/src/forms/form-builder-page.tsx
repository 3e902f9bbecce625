import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Code,
  Grid,
  Group,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ApiError } from '../api/client.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page, Section } from '../ui/page.js';
import { AddAssetButton } from './add-asset.js';
import { FormPreview } from './form-preview.js';
import {
  assetLabel,
  CHANNELS,
  type ConsentBoxDef,
  FIELD_TYPES,
  type FieldDef,
  type FieldType,
  type FormDefinition,
  type FormDetail,
  isBantField,
  type Localized,
  useAssets,
  useCreateShortLink,
  useForm,
  usePublishForm,
  useSaveForm,
  useShortLinks,
  useSubmissions,
} from './forms-api.js';
import { useCanWriteForms } from './forms-page.js';

export function FormBuilderPage() {
  const { id = '' } = useParams();
  const form = useForm(id);
  const { t } = useTranslation();
  if (form.isPending) return <Loading />;
  if (form.isError) return <ErrorState error={form.error} onRetry={() => void form.refetch()} />;
  return (
    <Page title={form.data.form.name} description={t(`forms.kinds.${form.data.form.kind}`)}>
      <Builder detail={form.data} />
    </Page>
  );
}

function LocalizedInput({
  label,
  value,
  onChange,
  multiline,
  disabled,
}: {
  label: string;
  value: Localized;
  onChange: (v: Localized) => void;
  multiline?: boolean;
  disabled?: boolean;
}) {
  const Input = multiline ? Textarea : TextInput;
  return (
    <Group grow align="flex-start">
      {(['de', 'en'] as const).map((l) => (
        <Input
          key={l}
          label={`${label} (${l.toUpperCase()})`}
          value={value[l]}
          disabled={disabled}
          autosize={multiline || undefined}
          onChange={(e) => onChange({ ...value, [l]: e.currentTarget.value })}
        />
      ))}
    </Group>
  );
}

function move<T>(list: T[], i: number, by: number): T[] {
  const j = i + by;
  if (j < 0 || j >= list.length) return list;
  const copy = [...list];
  [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  return copy;
}

function Builder({ detail }: { detail: FormDetail }) {
  const { t } = useTranslation();
  const canWrite = useCanWriteForms();
  const [def, setDef] = useState<FormDefinition>(detail.draft);
  const [origins, setOrigins] = useState(detail.form.allowedOrigins.join('\n'));
  const [previewLocale, setPreviewLocale] = useState<'de' | 'en'>(detail.draft.defaultLocale);
  const save = useSaveForm(detail.form.id);
  const publish = usePublishForm(detail.form.id);
  useEffect(() => setDef(detail.draft), [detail.draft]);
  const set = (patch: Partial<FormDefinition>) => setDef((d) => ({ ...d, ...patch }));
  const setField = (i: number, patch: Partial<FieldDef>) =>
    set({ fields: def.fields.map((f, j) => (j === i ? { ...f, ...patch } : f)) });
  const setBox = (i: number, patch: Partial<ConsentBoxDef>) =>
    set({ consents: def.consents.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const error = save.error ?? publish.error;
  const disabled = !canWrite;

  const doSave = (andPublish: boolean) =>
    save.mutate(
      { definition: def, allowedOrigins: origins.split(/\s+/).filter(Boolean) },
      {
        onSuccess: () => {
          if (!andPublish) {
            notifications.show({ color: 'brand', message: t('forms.saved') });
            return;
          }
          publish.mutate(undefined, {
            onSuccess: (d) =>
              notifications.show({
                color: 'brand',
                message: t('forms.publishedDone', { version: d.form.publishedVersion }),
              }),
          });
        },
      },
    );

  const addField = (type: FieldType) => {
    let key: string = type;
    for (let n = 2; def.fields.some((f) => f.key === key); n++) key = `${type}_${n}`;
    set({
      fields: [
        ...def.fields,
        {
          key,
          type,
          label: {
            de: t(`forms.fieldTypes.${type}`, { lng: 'de' }),
            en: t(`forms.fieldTypes.${type}`, { lng: 'en' }),
          },
          purpose: {
            de: t('forms.defaultPurpose', { lng: 'de' }),
            en: t('forms.defaultPurpose', { lng: 'en' }),
          },
          required: false,
          ...(type === 'select' ? { options: [{ value: 'a', label: { de: 'A', en: 'A' } }] } : {}),
        },
      ],
    });
  };
  const [newType, setNewType] = useState<FieldType>('text');

  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Group gap="xs">
          <Badge variant="light" color={detail.form.status === 'published' ? 'brand' : 'gray'}>
            {t(`forms.statuses.${detail.form.status}`)}
          </Badge>
          {detail.form.publishedVersion ? (
            <Text size="sm" c="dimmed">
              {t('forms.liveVersion', { version: detail.form.publishedVersion })}
            </Text>
          ) : null}
        </Group>
        {canWrite ? (
          <Group>
            <Button
              variant="default"
              onClick={() => doSave(false)}
              loading={save.isPending && !publish.isPending}
            >
              {t('forms.saveDraft')}
            </Button>
            <Button onClick={() => doSave(true)} loading={publish.isPending}>
              {t('forms.publish')}
            </Button>
          </Group>
        ) : null}
      </Group>
      {error ? (
        <Alert color="red" role="alert" title={error instanceof ApiError ? error.code : undefined}>
          {messageOf(error, t)}
          {error instanceof ApiError && error.fieldErrors.length > 0 ? (
            <ul>
              {error.fieldErrors.map((f) => (
                <li key={`${f.field}${f.message}`}>
                  <Code>{f.field}</Code> {f.message}
                </li>
              ))}
            </ul>
          ) : null}
        </Alert>
      ) : null}
      <Grid gap="xl">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Tabs defaultValue="fields" keepMounted={false}>
            <Tabs.List>
              <Tabs.Tab value="fields">{t('forms.tabs.fields')}</Tabs.Tab>
              <Tabs.Tab value="consents">{t('forms.tabs.consents')}</Tabs.Tab>
              <Tabs.Tab value="texts">{t('forms.tabs.texts')}</Tabs.Tab>
              <Tabs.Tab value="settings">{t('forms.tabs.settings')}</Tabs.Tab>
              <Tabs.Tab value="share">{t('forms.tabs.share')}</Tabs.Tab>
              <Tabs.Tab value="submissions">{t('forms.tabs.submissions')}</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="fields" pt="md">
              <Stack>
                {def.fields.map((f, i) => (
                  <Paper key={f.key} p="md" withBorder>
                    <Stack gap="xs">
                      <Group justify="space-between">
                        <Text fw={600}>
                          {f.label[previewLocale] || f.key} <Code>{f.key}</Code> ·{' '}
                          {t(`forms.fieldTypes.${f.type}`)}
                        </Text>
                        <Group gap={4}>
                          <ActionIcon
                            variant="subtle"
                            aria-label={t('forms.moveUp', { name: f.key })}
                            onClick={() => set({ fields: move(def.fields, i, -1) })}
                            disabled={disabled}
                          >
                            <IconArrowUp size={16} aria-hidden />
                          </ActionIcon>
                          <ActionIcon
                            variant="subtle"
                            aria-label={t('forms.moveDown', { name: f.key })}
                            onClick={() => set({ fields: move(def.fields, i, 1) })}
                            disabled={disabled}
                          >
                            <IconArrowDown size={16} aria-hidden />
                          </ActionIcon>
                          {f.type !== 'email' ? (
                            <ActionIcon
                              variant="subtle"
                              color="red"
                              aria-label={t('forms.remove', { name: f.key })}
                              onClick={() => set({ fields: def.fields.filter((_, j) => j !== i) })}
                              disabled={disabled}
                            >
                              <IconTrash size={16} aria-hidden />
                            </ActionIcon>
                          ) : null}
                        </Group>
                      </Group>
                      <LocalizedInput
                        label={t('forms.label')}
                        value={f.label}
                        onChange={(label) => setField(i, { label })}
                        disabled={disabled}
                      />
                      <LocalizedInput
                        label={t('forms.fieldPurpose')}
                        value={f.purpose}
                        onChange={(purpose) => setField(i, { purpose })}
                        disabled={disabled}
                      />
                      <Switch
                        label={t('forms.required')}
                        checked={f.required}
                        disabled={disabled || f.type === 'email'}
                        onChange={(e) => setField(i, { required: e.currentTarget.checked })}
                      />
                      {f.type === 'select' || f.type === 'product_interest' ? (
                        <Textarea
                          label={t('forms.options')}
                          description={t('forms.optionsHint')}
                          autosize
                          disabled={disabled}
                          value={(f.options ?? [])
                            .map((o) => `${o.value}|${o.label.de}|${o.label.en}`)
                            .join('\n')}
                          onChange={(e) =>
                            setField(i, {
                              options: e.currentTarget.value
                                .split('\n')
                                .filter((l) => l.trim())
                                .map((l) => {
                                  const [value = '', de = '', en = ''] = l.split('|');
                                  return {
                                    value: value.trim(),
                                    label: {
                                      de: de.trim() || value.trim(),
                                      en: en.trim() || de.trim() || value.trim(),
                                    },
                                  };
                                }),
                            })
                          }
                        />
                      ) : isBantField(f.type) ? (
                        <Text size="sm" c="dimmed">
                          {t('forms.bantHint')}
                        </Text>
                      ) : null}
                    </Stack>
                  </Paper>
                ))}
                {canWrite ? (
                  <Group align="flex-end">
                    <Select
                      label={t('forms.addFieldType')}
                      data={FIELD_TYPES.filter((x) => x !== 'email').map((x) => ({
                        value: x,
                        label: t(`forms.fieldTypes.${x}`),
                      }))}
                      value={newType}
                      onChange={(v) => v && setNewType(v as FieldType)}
                      allowDeselect={false}
                    />
                    <Button
                      variant="light"
                      leftSection={<IconPlus size={16} aria-hidden />}
                      onClick={() => addField(newType)}
                    >
                      {t('forms.addField')}
                    </Button>
                  </Group>
                ) : null}
                <Section title={t('forms.hiddenFields')} description={t('forms.hiddenFieldsHint')}>
                  <Textarea
                    aria-label={t('forms.hiddenFields')}
                    autosize
                    disabled={disabled}
                    value={def.hiddenFields
                      .map((h) => (h.fromQuery ? `${h.key}=?${h.fromQuery}` : `${h.key}=${h.value ?? ''}`))
                      .join('\n')}
                    onChange={(e) =>
                      set({
                        hiddenFields: e.currentTarget.value
                          .split('\n')
                          .filter((l) => l.includes('='))
                          .map((l) => {
                            const [key = '', value = ''] = l.split('=');
                            return value.startsWith('?')
                              ? { key: key.trim(), fromQuery: value.slice(1).trim() }
                              : { key: key.trim(), value: value.trim() };
                          }),
                      })
                    }
                  />
                </Section>
              </Stack>
            </Tabs.Panel>
            <Tabs.Panel value="consents" pt="md">
              <Stack>
                <Text size="sm" c="dimmed">
                  {t('forms.consentsHint')}
                </Text>
                {def.consents.map((c, i) => (
                  <Paper key={c.key} p="md" withBorder>
                    <Stack gap="xs">
                      <Group justify="space-between">
                        <Text fw={600}>
                          <Code>{c.purpose}</Code>
                        </Text>
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={t('forms.remove', { name: c.key })}
                          onClick={() => set({ consents: def.consents.filter((_, j) => j !== i) })}
                          disabled={disabled}
                        >
                          <IconTrash size={16} aria-hidden />
                        </ActionIcon>
                      </Group>
                      <TextInput
                        label={t('forms.consentPurpose')}
                        description={t('forms.consentPurposeHint')}
                        value={c.purpose}
                        disabled={disabled}
                        onChange={(e) => setBox(i, { purpose: e.currentTarget.value })}
                      />
                      <LocalizedInput
                        label={t('forms.consentText')}
                        value={c.text}
                        multiline
                        onChange={(text) => setBox(i, { text })}
                        disabled={disabled}
                      />
                      <Group grow>
                        <TextInput
                          label={t('forms.textVersion')}
                          value={c.textVersion}
                          disabled={disabled}
                          onChange={(e) => setBox(i, { textVersion: e.currentTarget.value })}
                        />
                        <Switch
                          label={t('forms.consentRequired')}
                          checked={c.required}
                          disabled={disabled}
                          onChange={(e) => setBox(i, { required: e.currentTarget.checked })}
                          mt="lg"
                        />
                      </Group>
                    </Stack>
                  </Paper>
                ))}
                {canWrite ? (
                  <Group>
                    {['newsletter', 'events', 'phone', 'tracking'].map((p) => (
                      <Button
                        key={p}
                        variant="light"
                        size="xs"
                        disabled={def.consents.some((c) => c.purpose === p)}
                        onClick={() =>
                          set({
                            consents: [
                              ...def.consents,
                              {
                                key: p,
                                purpose: p,
                                text: { de: '', en: '' },
                                textVersion: '1',
                                required: false,
                              },
                            ],
                          })
                        }
                      >
                        + {t(`forms.purposes.${p as 'newsletter' | 'events' | 'phone' | 'tracking'}`)}
                      </Button>
                    ))}
                  </Group>
                ) : null}
              </Stack>
            </Tabs.Panel>
            <Tabs.Panel value="texts" pt="md">
              <Stack>
                <LocalizedInput
                  label={t('forms.formTitle')}
                  value={def.title}
                  onChange={(title) => set({ title })}
                  disabled={disabled}
                />
                <LocalizedInput
                  label={t('forms.intro')}
                  value={def.intro}
                  multiline
                  onChange={(intro) => set({ intro })}
                  disabled={disabled}
                />
                <LocalizedInput
                  label={t('forms.submitLabel')}
                  value={def.submitLabel}
                  onChange={(submitLabel) => set({ submitLabel })}
                  disabled={disabled}
                />
                <LocalizedInput
                  label={t('forms.purposeStatement')}
                  value={def.purposeStatement}
                  multiline
                  onChange={(purposeStatement) => set({ purposeStatement })}
                  disabled={disabled}
                />
                <Title order={3}>{t('forms.art13')}</Title>
                <Group grow>
                  <TextInput
                    label={t('forms.controllerName')}
                    value={def.controller.name}
                    disabled={disabled}
                    onChange={(e) => set({ controller: { ...def.controller, name: e.currentTarget.value } })}
                  />
                  <TextInput
                    label={t('forms.controllerEmail')}
                    value={def.controller.email}
                    disabled={disabled}
                    onChange={(e) => set({ controller: { ...def.controller, email: e.currentTarget.value } })}
                  />
                </Group>
                <TextInput
                  label={t('forms.controllerAddress')}
                  value={def.controller.address}
                  disabled={disabled}
                  onChange={(e) => set({ controller: { ...def.controller, address: e.currentTarget.value } })}
                />
                <Group grow>
                  <TextInput
                    label={t('forms.privacyUrl')}
                    value={def.privacyNoticeUrl}
                    disabled={disabled}
                    onChange={(e) => set({ privacyNoticeUrl: e.currentTarget.value })}
                  />
                  <TextInput
                    label={t('forms.privacyVersion')}
                    value={def.privacyNoticeVersion}
                    disabled={disabled}
                    onChange={(e) => set({ privacyNoticeVersion: e.currentTarget.value })}
                  />
                </Group>
              </Stack>
            </Tabs.Panel>
            <Tabs.Panel value="settings" pt="md">
              <SettingsPanel
                def={def}
                set={set}
                origins={origins}
                setOrigins={setOrigins}
                disabled={disabled}
              />
            </Tabs.Panel>
            <Tabs.Panel value="share" pt="md">
              <SharePanel detail={detail} />
            </Tabs.Panel>
            <Tabs.Panel value="submissions" pt="md">
              <SubmissionsPanel formId={detail.form.id} />
            </Tabs.Panel>
          </Tabs>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="sm" pos="sticky" top={80}>
            <Group justify="space-between">
              <Title order={2} size="h4">
                {t('forms.preview.title')}
              </Title>
              <SegmentedControl
                aria-label={t('forms.preview.language')}
                size="xs"
                value={previewLocale}
                onChange={(v) => setPreviewLocale(v as 'de' | 'en')}
                data={[
                  { value: 'de', label: 'Deutsch' },
                  { value: 'en', label: 'English' },
                ]}
              />
            </Group>
            <FormPreview def={def} locale={previewLocale} bantChoices={detail.bantChoices} />
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function SettingsPanel({
  def,
  set,
  origins,
  setOrigins,
  disabled,
}: {
  def: FormDefinition;
  set: (p: Partial<FormDefinition>) => void;
  origins: string;
  setOrigins: (v: string) => void;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const assets = useAssets();
  return (
    <Stack>
      <Textarea
        label={t('forms.allowedOrigins')}
        description={t('forms.allowedOriginsHint')}
        autosize
        value={origins}
        disabled={disabled}
        onChange={(e) => setOrigins(e.currentTarget.value)}
      />
      <Switch
        label={t('forms.proofOfWork')}
        description={t('forms.proofOfWorkHint')}
        checked={def.proofOfWork}
        disabled={disabled}
        onChange={(e) => set({ proofOfWork: e.currentTarget.checked })}
      />
      <Select
        label={t('forms.asset')}
        description={t('forms.assetHint')}
        clearable
        disabled={disabled}
        data={(assets.data ?? []).map((a) => ({
          value: a.id,
          label: assetLabel(t, a),
        }))}
        value={def.assetId}
        onChange={(v) => set({ assetId: v })}
      />
      {!disabled ? (
        <Group>
          <AddAssetButton onAdded={(asset) => set({ assetId: asset.id })} />
        </Group>
      ) : null}
      <Switch
        label={t('forms.contentForConsent')}
        description={t('forms.contentForConsentHint')}
        checked={def.contentForConsent}
        disabled={disabled}
        onChange={(e) => set({ contentForConsent: e.currentTarget.checked })}
      />
      {def.contentForConsent ? (
        <LocalizedInput
          label={t('forms.couplingNotice')}
          value={def.couplingNotice}
          multiline
          onChange={(couplingNotice) => set({ couplingNotice })}
          disabled={disabled}
        />
      ) : null}
      <TextInput
        label={t('forms.eventName')}
        value={def.eventName ?? ''}
        disabled={disabled}
        onChange={(e) => set({ eventName: e.currentTarget.value || undefined })}
      />
      <Paper p="md" withBorder>
        <Stack gap="xs">
          <Switch
            label={t('forms.progressive')}
            description={t('forms.progressiveHint')}
            checked={def.progressive.enabled}
            disabled={disabled}
            onChange={(e) => set({ progressive: { ...def.progressive, enabled: e.currentTarget.checked } })}
          />
          <TextInput
            label={t('forms.progressiveQueue')}
            description={t('forms.progressiveQueueHint')}
            value={def.progressive.queue.join(', ')}
            disabled={disabled || !def.progressive.enabled}
            onChange={(e) =>
              set({
                progressive: {
                  ...def.progressive,
                  queue: e.currentTarget.value.split(/[\s,]+/).filter(Boolean),
                },
              })
            }
          />
          <NumberInput
            label={t('forms.progressivePerVisit')}
            min={1}
            max={2}
            value={def.progressive.perVisit}
            disabled={disabled || !def.progressive.enabled}
            onChange={(v) => set({ progressive: { ...def.progressive, perVisit: Number(v) === 2 ? 2 : 1 } })}
          />
        </Stack>
      </Paper>
    </Stack>
  );
}

function SharePanel({ detail }: { detail: FormDetail }) {
  const { t } = useTranslation();
  const links = useShortLinks();
  const create = useCreateShortLink();
  const canWrite = useCanWriteForms();
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<string>('banner');
  const [campaign, setCampaign] = useState('');
  const mine = (links.data ?? []).filter((l) => l.formId === detail.form.id);
  return (
    <Stack>
      <Text size="sm">{t('forms.share.hosted')}</Text>
      <Code block>{detail.snippets.hosted}</Code>
      <Text size="sm">{t('forms.share.embed')}</Text>
      <Code block>{detail.snippets.embed}</Code>
      <Text size="sm">{t('forms.share.html')}</Text>
      <Code block>{`<form method="post" action="${detail.snippets.hosted}/submit">`}</Code>
      <Title order={3}>{t('forms.share.shortLinks')}</Title>
      {mine.length > 0 ? (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('forms.name')}</Table.Th>
              <Table.Th scope="col">{t('forms.share.channel')}</Table.Th>
              <Table.Th scope="col">URL</Table.Th>
              <Table.Th scope="col" ta="right">
                {t('forms.share.clicks')}
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {mine.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td>{l.name}</Table.Td>
                <Table.Td>{t(`forms.channels.${l.channel as (typeof CHANNELS)[number]}`)}</Table.Td>
                <Table.Td>
                  <Code>{l.url}</Code>
                </Table.Td>
                <Table.Td ta="right">{l.clicks}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {canWrite ? (
        <Group align="flex-end">
          <TextInput label={t('forms.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select
            label={t('forms.share.channel')}
            data={CHANNELS.map((c) => ({ value: c, label: t(`forms.channels.${c}`) }))}
            value={channel}
            onChange={(v) => v && setChannel(v)}
            allowDeselect={false}
          />
          <TextInput
            label="utm_campaign"
            value={campaign}
            onChange={(e) => setCampaign(e.currentTarget.value)}
          />
          <Button
            variant="light"
            disabled={!name.trim()}
            loading={create.isPending}
            onClick={() =>
              create.mutate(
                {
                  name: name.trim(),
                  formId: detail.form.id,
                  channel,
                  utm: campaign ? { utm_campaign: campaign } : {},
                },
                {
                  onSuccess: () => setName(''),
                  onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
                },
              )
            }
          >
            {t('forms.share.createLink')}
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}

function SubmissionsPanel({ formId }: { formId: string }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const subs = useSubmissions(formId);
  if (subs.isPending) return <Loading />;
  if (subs.isError) return <ErrorState error={subs.error} />;
  if (subs.data.length === 0) return <Text c="dimmed">{t('forms.noSubmissions')}</Text>;
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('forms.submittedAt')}</Table.Th>
            <Table.Th scope="col">{t('forms.share.channel')}</Table.Th>
            <Table.Th scope="col">utm_campaign</Table.Th>
            <Table.Th scope="col">{t('forms.version')}</Table.Th>
            <Table.Th scope="col">{t('forms.outcome')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {subs.data.map((s) => (
            <Table.Tr key={s.id}>
              <Table.Td>{dateTime(s.submittedAt)}</Table.Td>
              <Table.Td>{t(`forms.channels.${s.channel as (typeof CHANNELS)[number]}`)}</Table.Td>
              <Table.Td>{s.utm.campaign ?? '–'}</Table.Td>
              <Table.Td>v{s.formVersion}</Table.Td>
              <Table.Td>
                <Code>{s.outcome}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
