import { Tabs } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';

const TABS = ['inbox', 'team', 'territories', 'settings', 'reports'] as const;
type Tab = (typeof TABS)[number];

const PATHS: Record<Tab, string> = {
  inbox: '/leads',
  team: '/leads/team',
  territories: '/leads/territories',
  settings: '/leads/settings',
  reports: '/leads/reports',
};

/** The sub-navigation of the sales pages: tabs that are links (each page has its own address). */
export function SalesTabs() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const current = TABS.find((tab) => tab !== 'inbox' && pathname.startsWith(PATHS[tab])) ?? ('inbox' as Tab);
  return (
    <Tabs value={current} onChange={(v) => v && navigate(PATHS[v as Tab])} keepMounted={false}>
      <Tabs.List aria-label={t('sales.tabs.label')}>
        {TABS.map((tab) => (
          <Tabs.Tab key={tab} value={tab}>
            {t(`sales.tabs.${tab}`)}
          </Tabs.Tab>
        ))}
      </Tabs.List>
    </Tabs>
  );
}
