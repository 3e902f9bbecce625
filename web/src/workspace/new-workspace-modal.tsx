import { Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import type { Locale, Workspace } from '../api/types.js';
import { useLocale } from '../i18n/use-locale.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { useCurrentWorkspace, WORKSPACES_KEY } from './current-workspace.js';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Turns "Müller & Söhne GmbH" into "mueller-soehne-gmbh". */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replaceAll('ä', 'ae')
    .replaceAll('ö', 'oe')
    .replaceAll('ü', 'ue')
    .replaceAll('ß', 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

interface Values {
  name: string;
  slug: string;
  defaultLocale: Locale;
}

/** Superadmins create a workspace here and switch to it once it exists. */
export function NewWorkspaceModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { locale } = useLocale();
  const { selectWorkspace } = useCurrentWorkspace();
  const [values, setValues] = useState<Values>({ name: '', slug: '', defaultLocale: locale });
  const [slugTouched, setSlugTouched] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<keyof Values, string>>>({});

  const create = useMutation({
    mutationFn: (body: Values) =>
      api.request<{ workspace: Workspace }>('POST', '/api/v1/workspaces', { body, withoutWorkspace: true }),
    onSuccess: async ({ workspace }) => {
      await queryClient.invalidateQueries({ queryKey: WORKSPACES_KEY });
      selectWorkspace(workspace.id);
      notifications.show({ color: 'brand', message: t('workspace.created', { name: workspace.name }) });
      close();
    },
    onError: (error) => setErrors(fieldErrorsOf(error, t)),
  });

  function close() {
    setValues({ name: '', slug: '', defaultLocale: locale });
    setSlugTouched(false);
    setErrors({});
    create.reset();
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const next: typeof errors = {};
    if (!values.name.trim()) next.name = t('errors.required');
    if (!values.slug) next.slug = t('errors.required');
    else if (!SLUG.test(values.slug)) next.slug = t('errors.slugInvalid');
    setErrors(next);
    if (Object.keys(next).length === 0) create.mutate({ ...values, name: values.name.trim() });
  }

  return (
    <Modal opened={opened} onClose={close} title={t('workspace.newTitle')}>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            {t('workspace.newText')}
          </Text>
          <TextInput
            label={t('workspace.name')}
            required
            data-autofocus
            value={values.name}
            error={errors.name}
            onChange={(e) => {
              const name = e.currentTarget.value;
              setValues((v) => ({ ...v, name, slug: slugTouched ? v.slug : slugify(name) }));
            }}
          />
          <TextInput
            label={t('workspace.slug')}
            description={t('workspace.slugHint')}
            required
            value={values.slug}
            error={errors.slug}
            onChange={(e) => {
              const slug = e.currentTarget.value;
              setSlugTouched(true);
              setValues((v) => ({ ...v, slug }));
            }}
          />
          <Select
            label={t('workspace.defaultLocale')}
            description={t('workspace.defaultLocaleHint')}
            data={[
              { value: 'de', label: t('language.de') },
              { value: 'en', label: t('language.en') },
            ]}
            value={values.defaultLocale}
            allowDeselect={false}
            onChange={(value) => value && setValues((v) => ({ ...v, defaultLocale: value as Locale }))}
          />
          {create.isError ? (
            <Text c="red" size="sm" role="alert">
              {messageOf(create.error, t)}
            </Text>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('common.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
