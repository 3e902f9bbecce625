import {
  Alert,
  Button,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  TagsInput,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';
import { useCompanies } from '../companies/companies-api.js';
import { useMembers } from '../members/members-api.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import type { ContactSectionProps } from './contact-section.js';
import { type Contact, type LifecycleStage, useCustomFields, useUpdateContact } from './contacts-api.js';
import { CustomFieldInput } from './custom-field-input.js';
import { useStageOptions } from './stage-names.js';

const TEXT_FIELDS = [
  'firstName',
  'lastName',
  'email',
  'companyName',
  'jobTitle',
  'phone',
  'city',
  'country',
] as const;
type TextField = (typeof TEXT_FIELDS)[number];

function draftOf(c: Contact) {
  return {
    ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, c[f] ?? ''])),
    locale: c.locale,
    lifecycleStage: c.lifecycleStage,
    stageReason: '',
    ownerUserId: c.ownerUserId,
    companyId: c.companyId,
    sourceChannel: c.sourceChannel ?? '',
    tags: c.tags,
    customFields: c.customFields,
  } as Record<TextField, string> & {
    locale: string | null;
    lifecycleStage: string;
    stageReason: string;
    ownerUserId: string | null;
    companyId: string | null;
    sourceChannel: string;
    tags: string[];
    customFields: Record<string, unknown>;
  };
}

/** Profile fields, stage, owner, tags and typed custom fields, edited in one form. */
export function ProfileSection({ detail, canWrite }: ContactSectionProps) {
  const { t } = useTranslation();
  const stageOptions = useStageOptions();
  const c = detail.contact;
  const update = useUpdateContact(c.id);
  const defs = useCustomFields('contact');
  const members = useMembers();
  const [draft, setDraft] = useState(() => draftOf(c));
  const [version, setVersion] = useState(c.updatedAt);
  if (version !== c.updatedAt) {
    setVersion(c.updatedAt);
    setDraft(draftOf(c));
  }
  const errors = fieldErrorsOf(update.error, t);
  const set = (patch: Partial<typeof draft>) => setDraft((d) => ({ ...d, ...patch }));
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    const body: Record<string, unknown> = {};
    for (const f of TEXT_FIELDS) {
      const v = draft[f].trim();
      if (v !== (c[f] ?? '')) body[f] = f === 'email' ? v : v || null;
    }
    if (draft.locale !== c.locale) body.locale = draft.locale;
    if (draft.lifecycleStage !== c.lifecycleStage) {
      body.lifecycleStage = draft.lifecycleStage as LifecycleStage;
      if (draft.stageReason.trim()) body.stageReason = draft.stageReason.trim();
    }
    if (draft.ownerUserId !== c.ownerUserId) body.ownerUserId = draft.ownerUserId;
    if (draft.companyId !== c.companyId) body.companyId = draft.companyId;
    if (draft.sourceChannel.trim() !== (c.sourceChannel ?? ''))
      body.sourceChannel = draft.sourceChannel.trim() || null;
    if (JSON.stringify(draft.tags) !== JSON.stringify(c.tags)) body.tags = draft.tags;
    const custom: Record<string, unknown> = {};
    for (const def of defs.data ?? []) {
      const v = draft.customFields[def.key] ?? null;
      if (JSON.stringify(v) !== JSON.stringify(c.customFields[def.key] ?? null)) custom[def.key] = v;
    }
    if (Object.keys(custom).length > 0) body.customFields = custom;
    update.mutate(body, {
      onSuccess: () => notifications.show({ color: 'brand', message: t('common.saved') }),
    });
  };
  const customErrors = Object.fromEntries(
    (update.error instanceof ApiError ? update.error.fieldErrors : [])
      .filter((f) => f.field.startsWith('customFields.'))
      .map((f) => [f.field.slice('customFields.'.length), f.message]),
  );
  return (
    <form onSubmit={submit}>
      <Stack>
        <Paper p="md">
          <Title order={2} size="h4" mb="sm">
            {t('contacts.profile')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {TEXT_FIELDS.map((f) => (
              <TextInput
                key={f}
                label={t(`contacts.fields.${f}`)}
                value={draft[f]}
                onChange={(e) => set({ [f]: e.currentTarget.value } as Partial<typeof draft>)}
                required={f === 'email'}
                error={errors[f]}
                disabled={!canWrite}
                maxLength={f === 'country' ? 2 : 300}
                description={f === 'country' ? t('contacts.countryHint') : undefined}
              />
            ))}
            <Select
              label={t('contacts.fields.locale')}
              data={[
                { value: 'de', label: t('language.de') },
                { value: 'en', label: t('language.en') },
              ]}
              value={draft.locale}
              onChange={(locale) => set({ locale })}
              clearable
              disabled={!canWrite}
            />
            <TextInput
              label={t('contacts.fields.sourceChannel')}
              value={draft.sourceChannel}
              onChange={(e) => set({ sourceChannel: e.currentTarget.value })}
              disabled={!canWrite}
            />
          </SimpleGrid>
        </Paper>
        <Paper p="md">
          <Title order={2} size="h4" mb="sm">
            {t('contacts.ownership')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label={t('contacts.fields.lifecycleStage')}
              data={stageOptions}
              value={draft.lifecycleStage}
              onChange={(v) => v && set({ lifecycleStage: v })}
              allowDeselect={false}
              disabled={!canWrite}
            />
            {draft.lifecycleStage !== c.lifecycleStage ? (
              <TextInput
                label={t('contacts.stageReason')}
                value={draft.stageReason}
                onChange={(e) => set({ stageReason: e.currentTarget.value })}
                maxLength={500}
              />
            ) : (
              <div />
            )}
            <Select
              label={t('contacts.fields.owner')}
              data={(members.data ?? []).map((m) => ({ value: m.userId, label: m.name || m.email }))}
              value={draft.ownerUserId}
              onChange={(ownerUserId) => set({ ownerUserId })}
              clearable
              searchable
              disabled={!canWrite}
            />
            <CompanyPicker
              current={detail.company}
              value={draft.companyId}
              onChange={(companyId) => set({ companyId })}
              disabled={!canWrite}
            />
            <TagsInput
              label={t('contacts.fields.tags')}
              value={draft.tags}
              onChange={(tags) => set({ tags })}
              disabled={!canWrite}
            />
          </SimpleGrid>
        </Paper>
        {(defs.data ?? []).length > 0 ? (
          <Paper p="md">
            <Title order={2} size="h4" mb="sm">
              {t('contacts.customFields')}
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {(defs.data ?? []).map((def) => (
                <CustomFieldInput
                  key={def.key}
                  def={def}
                  value={draft.customFields[def.key] ?? null}
                  onChange={(v) => set({ customFields: { ...draft.customFields, [def.key]: v } })}
                  error={customErrors[def.key] ? t('errors.fieldInvalid') : undefined}
                  disabled={!canWrite}
                />
              ))}
            </SimpleGrid>
          </Paper>
        ) : null}
        {update.isError && Object.keys(errors).length === 0 && Object.keys(customErrors).length === 0 ? (
          <Alert color="red" role="alert">
            {messageOf(update.error, t)}
          </Alert>
        ) : null}
        {canWrite ? (
          <Group justify="flex-end">
            <Button type="submit" loading={update.isPending}>
              {t('common.save')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </form>
  );
}

/** The linked company, searched on the server as you type (never the whole company list). */
function CompanyPicker({
  current,
  value,
  onChange,
  disabled,
}: {
  current: { id: string; name: string } | null;
  value: string | null;
  onChange: (id: string | null) => void;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const companies = useCompanies(q);
  const options = new Map<string, string>();
  if (current) options.set(current.id, current.name);
  for (const c of companies.data?.pages[0]?.items ?? []) options.set(c.id, c.name);
  return (
    <Select
      label={t('contacts.fields.company')}
      data={[...options].map(([id, name]) => ({ value: id, label: name }))}
      value={value}
      onChange={onChange}
      searchable
      onSearchChange={setSearch}
      filter={({ options: o }) => o}
      clearable
      disabled={disabled}
    />
  );
}
