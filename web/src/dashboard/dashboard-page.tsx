import { Anchor, Group, Paper, SimpleGrid, Stack, Text, ThemeIcon } from '@mantine/core';
import {
  IconAlertOctagon,
  IconArrowRight,
  IconBriefcase,
  IconClockHour4,
  IconKey,
  IconPlayerPlay,
  IconUsersGroup,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useSignedInSession } from '../auth/session.js';
import { countInState, useJobsSummary } from '../jobs/jobs-api.js';
import { useFormatters } from '../ui/format.js';
import { Page, Section } from '../ui/page.js';
import { StatCard } from '../ui/stat-card.js';
import { useCurrentWorkspace } from '../workspace/current-workspace.js';

export function DashboardPage() {
  const { t } = useTranslation();
  const { user } = useSignedInSession();
  const { workspace } = useCurrentWorkspace();
  const firstName = (user.name || user.email).split(' ')[0] ?? '';

  return (
    <Page
      title={t('dashboard.title', { name: firstName })}
      description={
        <span data-testid="dashboard-workspace">
          {t('dashboard.subtitle', { workspace: workspace?.name ?? '' })}
        </span>
      }
    >
      <JobFacts />
      <GetStarted />
    </Page>
  );
}

function JobFacts() {
  const { t } = useTranslation();
  const { number } = useFormatters();
  const { data: counts, isPending, isError } = useJobsSummary();
  const show = (state: string) => (isPending || isError ? '–' : number(countInState(counts, state)));
  const dead = countInState(counts, 'dead');

  return (
    <Section id="jobs-facts" title={t('dashboard.jobsTitle')} description={t('dashboard.jobsText')}>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="lg">
        <StatCard label={t('dashboard.queued')} value={show('queued')} icon={<IconClockHour4 size={22} />} />
        <StatCard
          label={t('dashboard.running')}
          value={show('running')}
          icon={<IconPlayerPlay size={22} />}
          color="blue"
        />
        <StatCard
          label={t('dashboard.dead')}
          value={show('dead')}
          icon={<IconAlertOctagon size={22} />}
          color={dead > 0 ? 'red' : 'gray'}
          footer={
            dead > 0 ? (
              <Anchor component={Link} to="/settings/jobs" size="sm" fw={500}>
                {t('dashboard.deadAction')}
              </Anchor>
            ) : !isPending && !isError ? (
              <Text size="sm" c="dimmed">
                {t('dashboard.allGood')}
              </Text>
            ) : null
          }
        />
      </SimpleGrid>
      {isError ? (
        <Text size="sm" c="dimmed" mt="sm">
          {t('dashboard.jobsUnavailable')}
        </Text>
      ) : null}
    </Section>
  );
}

function GetStarted() {
  const { t } = useTranslation();
  return (
    <Section id="get-started" title={t('dashboard.startTitle')}>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="lg">
        <StartCard
          to="/settings/members"
          icon={<IconUsersGroup size={20} />}
          title={t('dashboard.startMembers')}
          text={t('dashboard.startMembersText')}
        />
        <StartCard
          to="/settings/api-keys"
          icon={<IconKey size={20} />}
          title={t('dashboard.startApiKeys')}
          text={t('dashboard.startApiKeysText')}
        />
        <StartCard
          to="/settings/workspace"
          icon={<IconBriefcase size={20} />}
          title={t('dashboard.startWorkspace')}
          text={t('dashboard.startWorkspaceText')}
        />
      </SimpleGrid>
    </Section>
  );
}

function StartCard({ to, icon, title, text }: { to: string; icon: ReactNode; title: string; text: string }) {
  return (
    <Paper p="lg">
      <Stack gap="xs" h="100%">
        <ThemeIcon variant="light" size={36} radius="md" aria-hidden>
          {icon}
        </ThemeIcon>
        <Text fw={600} component="h3" m={0} size="md">
          <Anchor component={Link} to={to} inherit>
            <Group gap={6} component="span" wrap="nowrap">
              {title}
              <IconArrowRight size={16} aria-hidden />
            </Group>
          </Anchor>
        </Text>
        <Text size="sm" c="dimmed">
          {text}
        </Text>
      </Stack>
    </Paper>
  );
}
