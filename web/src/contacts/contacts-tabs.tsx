import { Tabs } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';

const TABS = ['contacts', 'segments', 'duplicates', 'imports', 'fields'] as const;
type Tab = (typeof TABS)[number];

const PATHS: Record<Tab, string> = {
  contacts: '/contacts',
  segments: '/contacts/segments',
  duplicates: '/contacts/duplicates',
  imports: '/contacts/imports',
  fields: '/contacts/fields',
};

/** The sub-navigation of the contact pages: tabs that are links (each page has its own address). */
export function ContactsTabs() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const current = TABS.find((tab) => tab !== 'contacts' && pathname.startsWith(PATHS[tab])) ?? 'contacts';
  return (
    <Tabs value={current} onChange={(v) => v && navigate(PATHS[v as Tab])} keepMounted={false}>
      <Tabs.List aria-label={t('contacts.tabs.label')}>
        {TABS.map((tab) => (
          <Tabs.Tab key={tab} value={tab}>
            {t(`contacts.tabs.${tab}`)}
          </Tabs.Tab>
        ))}
      </Tabs.List>
    </Tabs>
  );
}
