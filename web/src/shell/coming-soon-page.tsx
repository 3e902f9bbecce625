import { Badge, Button, EmptyState, Paper } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Page } from '../ui/page.js';
import { UPCOMING_MODULES, type UpcomingModule } from './modules.js';

/** A module that is planned: says what it will do instead of showing an empty page. */
export function ComingSoonPage({ module }: { module: UpcomingModule }) {
  const { t } = useTranslation();
  const Icon = UPCOMING_MODULES.find((m) => m.key === module)?.icon;

  return (
    <Page title={t(`nav.${module}`)}>
      <Paper p={{ base: 'lg', sm: 48 }}>
        <EmptyState
          variant="light"
          size="lg"
          icon={Icon ? <Icon size={32} stroke={1.5} aria-hidden /> : undefined}
        >
          <Badge variant="light" size="sm" mb={4}>
            {t('comingSoon.badge')}
          </Badge>
          <EmptyState.Title order={2}>{t('comingSoon.title')}</EmptyState.Title>
          <EmptyState.Description maw={520}>
            {t(`comingSoon.${module}`)} {t('comingSoon.text')}
          </EmptyState.Description>
          <EmptyState.Actions>
            <Button
              component={Link}
              to="/"
              variant="default"
              leftSection={<IconArrowLeft size={16} aria-hidden />}
            >
              {t('comingSoon.back')}
            </Button>
          </EmptyState.Actions>
        </EmptyState>
      </Paper>
    </Page>
  );
}
