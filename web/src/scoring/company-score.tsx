import { Anchor, Badge, Group, Paper, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { TEMPERATURE_COLOR } from './qualification-summary.js';
import { useCompanyScore } from './scoring-api.js';

/** The company page's score roll-up: best fit, engagement of all contacts, warmest temperature, top contacts. */
export function CompanyScore({ companyId }: { companyId: string }) {
  const { t } = useTranslation();
  const score = useCompanyScore(companyId);
  if (!score.data || score.data.contacts === 0) return null;
  const s = score.data;
  return (
    <Paper p="md" component="section" aria-labelledby="company-score-title">
      <Title order={2} size="h4" mb="sm" id="company-score-title">
        {t('scoring.company.title')}
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 3 }} mb="sm">
        <Text size="sm">
          <strong>{t('scoring.company.fitMax')}:</strong> <span data-testid="company-fit">{s.fitMax}</span>
        </Text>
        <Text size="sm">
          <strong>{t('scoring.company.engagementSum')}:</strong> {s.engagementSum} (
          {t('scoring.company.engagementMax', { max: s.engagementMax })})
        </Text>
        <Group gap="xs">
          <Text size="sm" fw={700}>
            {t('scoring.temperature')}:
          </Text>
          <Badge color={TEMPERATURE_COLOR[s.temperature]} variant="light">
            {t(`scoring.temperatures.${s.temperature}`)}
          </Badge>
        </Group>
      </SimpleGrid>
      <Table>
        <Table.Caption>{t('scoring.company.top')}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('scoring.company.contact')}</Table.Th>
            <Table.Th>{t('scoring.fit')}</Table.Th>
            <Table.Th>{t('scoring.engagement')}</Table.Th>
            <Table.Th>{t('scoring.temperature')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {s.top.map((c) => (
            <Table.Tr key={c.id}>
              <Table.Td>
                <Anchor component={Link} to={`/contacts/${c.id}?tab=score`} size="sm">
                  {c.email}
                </Anchor>
              </Table.Td>
              <Table.Td>{c.fit}</Table.Td>
              <Table.Td>{c.engagement}</Table.Td>
              <Table.Td>
                {c.temperature ? t(`scoring.temperatures.${c.temperature as 'cold' | 'warm' | 'hot'}`) : '–'}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
