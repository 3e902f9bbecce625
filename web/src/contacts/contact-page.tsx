import { Anchor, Group, Tabs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { ErrorState } from '../ui/error-state.js';
import { Loading } from '../ui/loading.js';
import { Page } from '../ui/page.js';
import { CONTACT_SECTIONS } from './contact-sections.js';
import { displayName, useContact } from './contacts-api.js';
import { useCanWriteContacts } from './contacts-page.js';
import { StageBadge } from './stage-badge.js';

/** One contact: a header and one tab per section of CONTACT_SECTIONS (the tab is in ?tab=). */
export function ContactPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const detail = useContact(id);
  const canWrite = useCanWriteContacts();
  if (detail.isPending) return <Loading />;
  if (detail.isError)
    return (
      <Page title={t('contacts.title')}>
        <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />
      </Page>
    );
  const { contact, company } = detail.data;
  const sections = [...CONTACT_SECTIONS].sort((a, b) => a.order - b.order);
  const tab = sections.some((s) => s.id === params.get('tab')) ? params.get('tab') : sections[0]?.id;
  return (
    <Page
      title={displayName(contact)}
      description={
        <Group gap="sm" component="span">
          <Text component="span" size="sm">
            {contact.email}
          </Text>
          <StageBadge stage={contact.lifecycleStage} />
          {company ? (
            <Anchor component={Link} to={`/companies/${company.id}`} size="sm">
              {company.name}
            </Anchor>
          ) : null}
        </Group>
      }
      actions={
        <Anchor component={Link} to="/contacts" size="sm">
          {t('contacts.backToList')}
        </Anchor>
      }
    >
      <Tabs
        value={tab}
        onChange={(v) => {
          if (!v) return;
          const next = new URLSearchParams(params);
          next.set('tab', v);
          setParams(next, { replace: true });
        }}
        keepMounted={false}
      >
        <Tabs.List aria-label={t('contacts.sections.label')}>
          {sections.map((s) => (
            <Tabs.Tab key={s.id} value={s.id}>
              {s.label(t)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {sections.map((s) => (
          <Tabs.Panel key={s.id} value={s.id} pt="lg">
            <s.Component detail={detail.data} canWrite={canWrite} />
          </Tabs.Panel>
        ))}
      </Tabs>
    </Page>
  );
}
