import { Tabs } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';

const TABS = ['templates', 'messages', 'outbox', 'suppressions', 'domains', 'settings'] as const;
type Tab = (typeof TABS)[number];

const PATHS: Record<Tab, string> = {
  templates: '/emails',
  messages: '/emails/messages',
  outbox: '/emails/outbox',
  suppressions: '/emails/suppressions',
  domains: '/emails/domains',
  settings: '/emails/settings',
};

/** The sub-navigation of the mail pages: tabs that are links (each page has its own address). */
export function MailTabs() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const current =
    TABS.find((tab) => tab !== 'templates' && pathname.startsWith(PATHS[tab])) ?? ('templates' as Tab);
  return (
    <Tabs value={current} onChange={(v) => v && navigate(PATHS[v as Tab])} keepMounted={false}>
      <Tabs.List aria-label={t('mail.tabs.label')}>
        {TABS.map((tab) => (
          <Tabs.Tab key={tab} value={tab}>
            {t(`mail.tabs.${tab}`)}
          </Tabs.Tab>
        ))}
      </Tabs.List>
    </Tabs>
  );
}
