import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { LIFECYCLE_STAGES } from './contacts-api.js';

const COLORS: Record<string, string> = {
  subscriber: 'gray',
  engaged: 'blue',
  mql: 'violet',
  sal: 'violet',
  sql: 'grape',
  opportunity: 'orange',
  customer: 'green',
  recycled: 'yellow',
  disqualified: 'red',
};

/** A lifecycle stage as a coloured badge with its translated name. */
export function StageBadge({ stage }: { stage: string }) {
  const { t } = useTranslation();
  const known = (LIFECYCLE_STAGES as readonly string[]).includes(stage);
  return (
    <Badge variant="light" color={COLORS[stage] ?? 'gray'} tt="none">
      {known ? t(`contacts.stages.${stage as (typeof LIFECYCLE_STAGES)[number]}`) : stage}
    </Badge>
  );
}
