import { Alert, Button, Group, NumberInput, Paper, Select, Stack, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconInfoCircle, IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import type { Locale, Workspace } from '../api/types.js';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCurrentWorkspace, useWorkspaceKey, WORKSPACES_KEY } from './current-workspace.js';
import { NewWorkspaceModal } from './new-workspace-modal.js';

/** The freshness period's bounds and default (server: src/modules/workspaces/workspaces.service.ts). */
const STALE_DAYS = { min: 30, max: 3650, default: 365 };

function useWorkspaceDetails() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('workspace'),
    queryFn: async () => (await api.get<{ workspace: Workspace }>('/api/v1/workspace')).workspace,
  });
}

export function WorkspaceSettingsPage() {
  const { t } = useTranslation();
  const { isSuperadmin } = useCurrentWorkspace();
  const details = useWorkspaceDetails();
  const [creating, { open, close }] = useDisclosure(false);

  return (
    <Page
      title={t('workspace.title')}
      description={t('workspace.description')}
      actions={
        isSuperadmin ? (
          <Button variant="default" leftSection={<IconPlus size={18} aria-hidden />} onClick={open}>
            {t('workspace.new')}
          </Button>
        ) : null
      }
    >
      {details.isPending ? (
        <Loading />
      ) : details.isError ? (
        <ErrorState error={details.error} onRetry={() => void details.refetch()} />
      ) : (
        <WorkspaceForm workspace={details.data} />
      )}
      {isSuperadmin ? <NewWorkspaceModal opened={creating} onClose={close} /> : null}
    </Page>
  );
}

function WorkspaceForm({ workspace }: { workspace: Workspace }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { canManage } = useCurrentWorkspace();
  const detailsKey = useWorkspaceKey('workspace');
  const [name, setName] = useState(workspace.name);
  const [defaultLocale, setDefaultLocale] = useState<Locale>(workspace.defaultLocale);
  const savedStaleDays = workspace.staleAfterDays ?? STALE_DAYS.default;
  const [staleDays, setStaleDays] = useState<number | string>(savedStaleDays);
  const [errors, setErrors] = useState<{ name?: string; defaultLocale?: string; staleAfterDays?: string }>(
    {},
  );

  useEffect(() => {
    setName(workspace.name);
    setDefaultLocale(workspace.defaultLocale);
    setStaleDays(workspace.staleAfterDays ?? STALE_DAYS.default);
  }, [workspace]);

  const save = useMutation({
    mutationFn: (body: { name: string; defaultLocale: Locale; staleAfterDays: number }) =>
      api.patch<{ workspace: Workspace }>('/api/v1/workspace', body),
    onSuccess: ({ workspace: saved }) => {
      queryClient.setQueryData(detailsKey, saved);
      void queryClient.invalidateQueries({ queryKey: WORKSPACES_KEY });
      notifications.show({ color: 'brand', message: t('common.saved') });
    },
    onError: (error) => setErrors(fieldErrorsOf(error, t)),
  });

  const dirty =
    name.trim() !== workspace.name ||
    defaultLocale !== workspace.defaultLocale ||
    staleDays !== savedStaleDays;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setErrors({ name: t('errors.required') });
    if (
      typeof staleDays !== 'number' ||
      !Number.isInteger(staleDays) ||
      staleDays < STALE_DAYS.min ||
      staleDays > STALE_DAYS.max
    )
      return setErrors({ staleAfterDays: t('workspace.staleAfterDaysRange', STALE_DAYS) });
    setErrors({});
    save.mutate({ name: name.trim(), defaultLocale, staleAfterDays: staleDays });
  }

  return (
    <Paper p="xl" maw={640}>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          {!canManage ? (
            <Alert variant="light" color="blue" icon={<IconInfoCircle aria-hidden />}>
              {t('workspace.readOnly')}
            </Alert>
          ) : null}
          <TextInput
            label={t('workspace.name')}
            required
            value={name}
            error={errors.name}
            readOnly={!canManage}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <TextInput label={t('workspace.slug')} value={workspace.slug} readOnly variant="filled" />
          <Select
            label={t('workspace.defaultLocale')}
            description={t('workspace.defaultLocaleHint')}
            data={[
              { value: 'de', label: t('language.de') },
              { value: 'en', label: t('language.en') },
            ]}
            value={defaultLocale}
            allowDeselect={false}
            readOnly={!canManage}
            error={errors.defaultLocale}
            onChange={(value) => value && setDefaultLocale(value as Locale)}
          />
          <NumberInput
            label={t('workspace.staleAfterDays')}
            description={t('workspace.staleAfterDaysHint', STALE_DAYS)}
            min={STALE_DAYS.min}
            max={STALE_DAYS.max}
            allowDecimal={false}
            // Say what is wrong instead of silently changing the number.
            clampBehavior="none"
            value={staleDays}
            readOnly={!canManage}
            error={errors.staleAfterDays}
            onChange={setStaleDays}
          />
          {save.isError ? (
            <Alert color="red" variant="light" role="alert">
              {messageOf(save.error, t)}
            </Alert>
          ) : null}
          {canManage ? (
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending} disabled={!dirty}>
                {t('common.save')}
              </Button>
            </Group>
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}
