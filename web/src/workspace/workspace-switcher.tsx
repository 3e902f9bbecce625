import { Badge, Button, Menu, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconBuildingStore, IconCheck, IconPlus, IconSelector } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import shellClasses from '../shell/shell.module.css';
import { useCurrentWorkspace } from './current-workspace.js';
import { NewWorkspaceModal } from './new-workspace-modal.js';

/** Lists the user's workspaces; the choice is remembered and sent with every API call. */
export function WorkspaceSwitcher() {
  const { t } = useTranslation();
  const { workspace, workspaces, isSuperadmin, selectWorkspace } = useCurrentWorkspace();
  const [creating, { open, close }] = useDisclosure(false);

  if (!workspace && !isSuperadmin) return null;
  const name = workspace?.name ?? t('shell.noWorkspaceTitle');

  return (
    <>
      <Menu withinPortal={false} position="bottom-start" width={280} shadow="md">
        <Menu.Target>
          <Button
            variant="default"
            leftSection={
              <IconBuildingStore size={18} stroke={1.6} aria-hidden className={shellClasses.hideOnPhone} />
            }
            rightSection={<IconSelector size={16} aria-hidden />}
            aria-label={t('shell.workspace', { name })}
            data-testid="workspace-switcher"
            maw={{ base: 170, sm: 260 }}
            px={{ base: 'xs', sm: 'md' }}
            styles={{ label: { overflow: 'hidden', textOverflow: 'ellipsis' } }}
          >
            {name}
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{t('shell.workspaces')}</Menu.Label>
          {workspaces.map((w) => (
            <Menu.Item
              key={w.id}
              onClick={() => selectWorkspace(w.id)}
              aria-current={w.id === workspace?.id ? 'true' : undefined}
              rightSection={
                w.id === workspace?.id ? (
                  <IconCheck size={16} aria-hidden />
                ) : (
                  <Badge size="xs" variant="light" color="gray">
                    {t(`roles.${w.role}`)}
                  </Badge>
                )
              }
            >
              <Text size="sm" truncate>
                {w.name}
              </Text>
            </Menu.Item>
          ))}
          {isSuperadmin ? (
            <>
              <Menu.Divider />
              <Menu.Item leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
                {t('shell.newWorkspace')}
              </Menu.Item>
            </>
          ) : null}
        </Menu.Dropdown>
      </Menu>
      <NewWorkspaceModal opened={creating} onClose={close} />
    </>
  );
}
