import { AppShell, Burger, Group, ScrollArea } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { Link, Outlet } from 'react-router';
import { CaptureBanner } from '../forms/capture-banner.js';
import { LanguageMenu } from '../i18n/language-menu.js';
import { NotificationBell } from '../sales/notification-bell.js';
import { WorkspaceSwitcher } from '../workspace/workspace-switcher.js';
import { BrandMark } from './brand.js';
import { ColorSchemeToggle } from './color-scheme-toggle.js';
import { Navigation } from './navigation.js';
import { RouteAnnouncer } from './route-announcer.js';
import classes from './shell.module.css';
import { MAIN_CONTENT_ID, SkipLink } from './skip-link.js';
import { UserMenu } from './user-menu.js';

/** The frame around every signed-in page: header, module navigation and the main area. */
export function AppLayout() {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure(false);

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 260, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding={{ base: 'md', md: 'xl' }}
    >
      <SkipLink />
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between" wrap="nowrap" gap="sm">
          <Group gap="sm" wrap="nowrap" miw={0}>
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? t('a11y.closeNavigation') : t('a11y.openNavigation')}
              aria-expanded={opened}
              aria-controls="app-navigation"
            />
            <Link to="/" className={classes.brand}>
              <BrandMark />
              <span className={`${classes.brandName} ${classes.srOnlyOnPhone}`}>{t('app.name')}</span>
            </Link>
            <WorkspaceSwitcher />
          </Group>
          <Group gap={2} wrap="nowrap">
            <NotificationBell />
            <LanguageMenu />
            <ColorSchemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" id="app-navigation" aria-label={t('nav.main')}>
        <AppShell.Section grow component={ScrollArea} scrollbarSize={6}>
          <Navigation onNavigate={close} />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main id={MAIN_CONTENT_ID} tabIndex={-1} className={classes.main}>
        <RouteAnnouncer />
        <div className={classes.banners}>
          <CaptureBanner />
        </div>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
