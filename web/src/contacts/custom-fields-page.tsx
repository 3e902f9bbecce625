import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import {
  CUSTOM_FIELD_TYPES,
  type CustomFieldDef,
  type CustomFieldEntity,
  type CustomFieldType,
  useCustomFields,
  useDeleteCustomField,
  useSaveCustomField,
} from './contacts-api.js';
import { useCanWriteContacts } from './contacts-page.js';
import { ContactsTabs } from './contacts-tabs.js';

/** Typed custom fields per workspace, for contacts and for companies. */
export function CustomFieldsPage() {
  const { t } = useTranslation();
  const [entity, setEntity] = useState<CustomFieldEntity>('contact');
  const fields = useCustomFields(entity);
  const canWrite = useCanWriteContacts();
  const [editing, setEditing] = useState<{ def: CustomFieldDef | null } | null>(null);
  const [deleting, setDeleting] = useState<CustomFieldDef | null>(null);
  const del = useDeleteCustomField(entity);
  return (
    <Page
      title={t('customFields.title')}
      description={t('customFields.description')}
      actions={
        canWrite ? (
          <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing({ def: null })}>
            {t('customFields.create')}
          </Button>
        ) : null
      }
    >
      <ContactsTabs />
      <SegmentedControl
        value={entity}
        onChange={(v) => setEntity(v as CustomFieldEntity)}
        data={[
          { value: 'contact', label: t('customFields.entities.contact') },
          { value: 'company', label: t('customFields.entities.company') },
        ]}
        w={320}
        aria-label={t('customFields.entity')}
      />
      {fields.isPending ? (
        <Loading />
      ) : fields.isError ? (
        <ErrorState error={fields.error} onRetry={() => void fields.refetch()} />
      ) : fields.data.length === 0 ? (
        <Paper p="xl">
          <Text c="dimmed">{t('customFields.empty')}</Text>
        </Paper>
      ) : (
        <Paper p={0}>
          <Table aria-label={t('customFields.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('customFields.label')}</Table.Th>
                <Table.Th scope="col">{t('customFields.key')}</Table.Th>
                <Table.Th scope="col">{t('customFields.type')}</Table.Th>
                <Table.Th scope="col">{t('customFields.flags')}</Table.Th>
                <Table.Th scope="col">
                  <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {fields.data.map((f) => (
                <Table.Tr key={f.key}>
                  <Table.Td fw={500}>{f.label}</Table.Td>
                  <Table.Td>
                    <code>{f.key}</code>
                  </Table.Td>
                  <Table.Td>{t(`customFields.types.${f.type}`)}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {f.required ? (
                        <Badge variant="light" tt="none">
                          {t('customFields.required')}
                        </Badge>
                      ) : null}
                      {f.qualification ? (
                        <Badge variant="light" color="violet" tt="none">
                          {t('customFields.qualification')}
                        </Badge>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    {canWrite ? (
                      <Group gap={4} justify="flex-end">
                        <ActionIcon
                          variant="subtle"
                          aria-label={t('customFields.edit', { label: f.label })}
                          onClick={() => setEditing({ def: f })}
                        >
                          <IconPencil size={18} aria-hidden />
                        </ActionIcon>
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={t('customFields.delete', { label: f.label })}
                          onClick={() => setDeleting(f)}
                        >
                          <IconTrash size={18} aria-hidden />
                        </ActionIcon>
                      </Group>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      {editing ? <FieldModal entity={entity} def={editing.def} onClose={() => setEditing(null)} /> : null}
      <ConfirmDialog
        opened={deleting !== null}
        title={t('customFields.deleteTitle')}
        text={t('customFields.deleteText', { label: deleting?.label ?? '' })}
        confirmLabel={t('common.delete')}
        loading={del.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          del.mutate(deleting.key, {
            onSuccess: () => setDeleting(null),
            onError: (e) => notifications.show({ color: 'red', message: messageOf(e, t) }),
          })
        }
      />
    </Page>
  );
}

function keyOf(label: string): string {
  return label
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 60);
}

function FieldModal({
  entity,
  def,
  onClose,
}: {
  entity: CustomFieldEntity;
  def: CustomFieldDef | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const save = useSaveCustomField(entity);
  const [label, setLabel] = useState(def?.label ?? '');
  const [key, setKey] = useState(def?.key ?? '');
  const [type, setType] = useState<CustomFieldType>(def?.type ?? 'text');
  const [options, setOptions] = useState((def?.options ?? []).map((o) => `${o.value}=${o.label}`).join('\n'));
  const [required, setRequired] = useState(def?.required ?? false);
  const [qualification, setQualification] = useState(def?.qualification ?? false);
  const errors = fieldErrorsOf(save.error, t);
  const hasOptions = type === 'choice' || type === 'multi_choice';
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    const parsed = options
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [value = '', ...rest] = l.split('=');
        return { value: value.trim(), label: (rest.join('=') || value).trim() };
      });
    save.mutate(
      {
        isNew: def === null,
        field: {
          key: def?.key ?? (key || keyOf(label)),
          label: label.trim(),
          ...(def === null ? { type } : {}),
          ...(hasOptions ? { options: parsed } : {}),
          required,
          qualification,
        },
      },
      { onSuccess: onClose },
    );
  };
  return (
    <Modal opened onClose={onClose} title={def ? t('customFields.editTitle') : t('customFields.create')}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label={t('customFields.label')}
            value={label}
            onChange={(e) => setLabel(e.currentTarget.value)}
            required
            maxLength={200}
            error={errors.label}
            data-autofocus
          />
          <TextInput
            label={t('customFields.key')}
            description={t('customFields.keyHint')}
            value={def ? def.key : key}
            placeholder={keyOf(label)}
            onChange={(e) => setKey(e.currentTarget.value)}
            disabled={def !== null}
            error={errors.key}
          />
          <Select
            label={t('customFields.type')}
            data={CUSTOM_FIELD_TYPES.map((ty) => ({ value: ty, label: t(`customFields.types.${ty}`) }))}
            value={type}
            onChange={(v) => v && setType(v as CustomFieldType)}
            allowDeselect={false}
            disabled={def !== null}
          />
          {hasOptions ? (
            <Textarea
              label={t('customFields.options')}
              description={t('customFields.optionsHint')}
              value={options}
              onChange={(e) => setOptions(e.currentTarget.value)}
              autosize
              minRows={3}
              error={errors.options}
            />
          ) : null}
          <Checkbox
            label={t('customFields.required')}
            checked={required}
            onChange={(e) => setRequired(e.currentTarget.checked)}
          />
          <Checkbox
            label={t('customFields.qualification')}
            description={t('customFields.qualificationHint')}
            checked={qualification}
            onChange={(e) => setQualification(e.currentTarget.checked)}
          />
          {save.isError && Object.keys(errors).length === 0 ? (
            <Alert color="red" role="alert">
              {messageOf(save.error, t)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
