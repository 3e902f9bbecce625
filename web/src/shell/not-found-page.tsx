import { Button, EmptyState, Paper } from '@mantine/core';
import { IconMapQuestion } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Page } from '../ui/page.js';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <Page title={t('notFound.title')}>
      <Paper p={{ base: 'lg', sm: 48 }}>
        <EmptyState
          icon={<IconMapQuestion size={32} stroke={1.5} aria-hidden />}
          withIndicatorBackground
          size="lg"
        >
          <EmptyState.Description>{t('notFound.text')}</EmptyState.Description>
          <EmptyState.Actions>
            <Button component={Link} to="/">
              {t('notFound.back')}
            </Button>
          </EmptyState.Actions>
        </EmptyState>
      </Paper>
    </Page>
  );
}
