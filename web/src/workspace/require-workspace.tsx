import { Button, EmptyState, Paper } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconBuildingStore, IconPlus } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Outlet } from 'react-router';
import { Page } from '../ui/page.js';
import { useCurrentWorkspace } from './current-workspace.js';
import { NewWorkspaceModal } from './new-workspace-modal.js';

/** Pages below need a workspace; users without one learn why and what to do. */
export function RequireWorkspace() {
  const { t } = useTranslation();
  const { workspace, isSuperadmin } = useCurrentWorkspace();
  const [opened, { open, close }] = useDisclosure(false);
  if (workspace) return <Outlet />;

  return (
    <Page title={t('shell.noWorkspaceTitle')}>
      <Paper p={48}>
        <EmptyState
          icon={<IconBuildingStore size={32} stroke={1.5} aria-hidden />}
          withIndicatorBackground
          size="lg"
        >
          <EmptyState.Description>
            {isSuperadmin ? t('shell.noWorkspaceSuperadmin') : t('shell.noWorkspaceText')}
          </EmptyState.Description>
          {isSuperadmin ? (
            <EmptyState.Actions>
              <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
                {t('workspace.new')}
              </Button>
            </EmptyState.Actions>
          ) : null}
        </EmptyState>
      </Paper>
      <NewWorkspaceModal opened={opened} onClose={close} />
    </Page>
  );
}
