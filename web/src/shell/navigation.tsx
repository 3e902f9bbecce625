import { NavLink, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { NAV_SECTIONS, type NavItem } from './modules.js';
import classes from './shell.module.css';

function isActive(item: NavItem, pathname: string): boolean {
  return item.path === '/'
    ? pathname === '/'
    : pathname === item.path || pathname.startsWith(`${item.path}/`);
}

/** The module list in the navbar, grouped the way marketing and sales teams think about their work. */
export function Navigation({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useTranslation();
  const { pathname } = useLocation();

  return (
    <Stack gap="sm">
      {NAV_SECTIONS.map((section) => {
        const labelId = section.label ? `nav-section-${section.id}` : undefined;
        return (
          <div key={section.id}>
            {section.label ? (
              <Text
                id={labelId}
                size="xs"
                fw={700}
                tt="uppercase"
                c="dimmed"
                px="sm"
                mb={4}
                className={classes.navLabel}
              >
                {t(section.label)}
              </Text>
            ) : null}
            <ul aria-labelledby={labelId} className={classes.navList}>
              {section.items.map((item) => (
                <li key={item.key}>
                  <NavItemLink item={item} active={isActive(item, pathname)} onNavigate={onNavigate} />
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </Stack>
  );
}

function NavItemLink({
  item,
  active,
  onNavigate,
}: {
  item: NavItem;
  active: boolean;
  onNavigate?: () => void;
}) {
  const { t } = useTranslation();
  const Icon = item.icon;
  return (
    <NavLink
      component={Link}
      to={item.path}
      label={t(`nav.${item.key}`)}
      description={item.key === 'leads' ? t('nav.leadsDescription') : undefined}
      leftSection={<Icon size={18} stroke={1.6} aria-hidden />}
      active={active}
      aria-current={active ? 'page' : undefined}
      variant="light"
      onClick={onNavigate}
      className={classes.navLink}
    />
  );
}
