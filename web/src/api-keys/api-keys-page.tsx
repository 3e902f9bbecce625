import { ActionIcon, Badge, Button, Code, Group, Paper, Table, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconBan, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiKey } from '../api/types.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { ErrorState } from '../ui/error-state.js';
import { messageOf } from '../ui/errors.js';
import { useFormatters } from '../ui/format.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';
import { useApiKeys, useRevokeApiKey } from './api-keys-api.js';
import { CreateApiKeyModal } from './create-api-key-modal.js';

export function ApiKeysPage() {
  const { t } = useTranslation();
  const { canManage } = useCurrentWorkspace();
  const keys = useApiKeys();
  const [creating, { open, close }] = useDisclosure(false);

  return (
    <Page
      title={t('apiKeys.title')}
      description={t('apiKeys.description')}
      actions={
        canManage ? (
          <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={open}>
            {t('apiKeys.create')}
          </Button>
        ) : null
      }
    >
      {keys.isPending ? (
        <Loading />
      ) : keys.isError ? (
        <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />
      ) : (
        <ApiKeysTable keys={keys.data} canManage={canManage} />
      )}
      <CreateApiKeyModal opened={creating} onClose={close} />
    </Page>
  );
}

function ApiKeysTable({ keys, canManage }: { keys: ApiKey[]; canManage: boolean }) {
  const { t } = useTranslation();
  const { dateTime } = useFormatters();
  const revoke = useRevokeApiKey();
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const onRevoke = () => {
    if (!revoking) return;
    const { name } = revoking;
    revoke.mutate(revoking.id, {
      onSuccess: () => notifications.show({ color: 'brand', message: t('apiKeys.revokedDone', { name }) }),
      onError: (error) => notifications.show({ color: 'red', message: messageOf(error, t) }),
      onSettled: () => setRevoking(null),
    });
  };

  if (keys.length === 0) {
    return (
      <Paper p="xl">
        <Text c="dimmed">{t('apiKeys.empty')}</Text>
      </Paper>
    );
  }

  return (
    <Paper p={0}>
      <Table.ScrollContainer minWidth={820}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('apiKeys.name')}</Table.Th>
              <Table.Th scope="col">{t('apiKeys.key')}</Table.Th>
              <Table.Th scope="col">{t('apiKeys.scopes')}</Table.Th>
              <Table.Th scope="col">{t('apiKeys.created')}</Table.Th>
              <Table.Th scope="col">{t('apiKeys.lastUsed')}</Table.Th>
              <Table.Th scope="col">{t('apiKeys.status')}</Table.Th>
              {canManage ? (
                <Table.Th scope="col" ta="right">
                  {t('common.actions')}
                </Table.Th>
              ) : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.map((key) => (
              <Table.Tr key={key.id} c={key.revokedAt ? 'dimmed' : undefined}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {key.name}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Code>{key.prefix}…</Code>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {key.scopes.map((scope) => (
                      <Badge key={scope} variant="light" color="gray" size="sm" tt="none">
                        {scope}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{dateTime(key.createdAt)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{key.lastUsedAt ? dateTime(key.lastUsedAt) : t('common.never')}</Text>
                </Table.Td>
                <Table.Td>
                  {key.revokedAt ? (
                    <Badge color="gray" variant="outline">
                      {t('apiKeys.revoked')}
                    </Badge>
                  ) : (
                    <Badge color="brand" variant="light">
                      {t('apiKeys.active')}
                    </Badge>
                  )}
                </Table.Td>
                {canManage ? (
                  <Table.Td ta="right">
                    {key.revokedAt ? null : (
                      <Tooltip label={t('apiKeys.revoke')} withArrow>
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={t('apiKeys.revokeLabel', { name: key.name })}
                          onClick={() => setRevoking(key)}
                        >
                          <IconBan size={18} aria-hidden />
                        </ActionIcon>
                      </Tooltip>
                    )}
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmDialog
        opened={revoking !== null}
        title={t('apiKeys.revokeTitle')}
        text={t('apiKeys.revokeText', { name: revoking?.name ?? '' })}
        confirmLabel={t('apiKeys.revoke')}
        loading={revoke.isPending}
        onConfirm={onRevoke}
        onClose={() => setRevoking(null)}
      />
    </Paper>
  );
}
