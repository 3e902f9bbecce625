import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorState } from '../ui/error-state.js';
import { fieldErrorsOf, messageOf } from '../ui/errors.js';
import { Loading } from '../ui/loading.js';
import { useCreateApiKey, usePermissions } from './api-keys-api.js';
import { ScopePicker } from './scope-picker.js';

/** Creates a key and shows its secret exactly once; closing the dialog forgets it. */
export function CreateApiKeyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const create = useCreateApiKey();
  const created = create.data;

  function close() {
    create.reset();
    onClose();
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? t('apiKeys.newKeyTitle') : t('apiKeys.createTitle')}
      size="lg"
      closeOnClickOutside={!created}
    >
      {created ? (
        <NewKey secret={created.key} onDone={close} />
      ) : (
        <CreateForm create={create} onCancel={close} open={opened} />
      )}
    </Modal>
  );
}

function CreateForm({
  create,
  onCancel,
  open,
}: {
  create: ReturnType<typeof useCreateApiKey>;
  onCancel: () => void;
  open: boolean;
}) {
  const { t } = useTranslation();
  const permissions = usePermissions(open);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [errors, setErrors] = useState<{ name?: string; scopes?: string }>({});

  function submit(event: FormEvent) {
    event.preventDefault();
    const next: typeof errors = {};
    if (!name.trim()) next.name = t('errors.required');
    if (scopes.length === 0) next.scopes = t('apiKeys.scopesRequired');
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    create.mutate({ name: name.trim(), scopes }, { onError: (error) => setErrors(fieldErrorsOf(error, t)) });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <TextInput
          label={t('apiKeys.name')}
          description={t('apiKeys.nameHint')}
          required
          data-autofocus
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        {permissions.isPending ? (
          <Loading minHeight={80} />
        ) : permissions.isError ? (
          <ErrorState error={permissions.error} onRetry={() => void permissions.refetch()} />
        ) : (
          <ScopePicker scopes={permissions.data} value={scopes} onChange={setScopes} error={errors.scopes} />
        )}
        {create.isError ? (
          <Text c="red" size="sm" role="alert">
            {messageOf(create.error, t)}
          </Text>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {t('apiKeys.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function NewKey({ secret, onDone }: { secret: string; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <Stack gap="md">
      <Alert
        color="yellow"
        variant="light"
        icon={<IconAlertTriangle aria-hidden />}
        title={t('apiKeys.onceWarningTitle')}
      >
        {t('apiKeys.onceWarning')}
      </Alert>
      <div>
        <Text size="sm" fw={500} mb={6} id="new-api-key-label">
          {t('apiKeys.newKeyLabel')}
        </Text>
        <Group gap="xs" wrap="nowrap" align="stretch">
          <Code
            block
            data-testid="new-api-key"
            aria-labelledby="new-api-key-label"
            style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap', fontSize: 14 }}
          >
            {secret}
          </Code>
          <CopyButton value={secret} timeout={2500}>
            {({ copied, copy }) => (
              <Button
                onClick={copy}
                variant={copied ? 'light' : 'filled'}
                leftSection={
                  copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />
                }
                h="auto"
              >
                {copied ? t('common.copied') : t('apiKeys.copyKey')}
              </Button>
            )}
          </CopyButton>
        </Group>
      </div>
      <Group justify="flex-end">
        <Button variant="default" onClick={onDone} data-autofocus>
          {t('apiKeys.done')}
        </Button>
      </Group>
    </Stack>
  );
}
