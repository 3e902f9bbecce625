import { Badge } from '@mantine/core';
import { useStageName } from './stage-names.js';

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

/** A lifecycle stage as a coloured badge with the workspace's name for it. */
export function StageBadge({ stage }: { stage: string }) {
  const name = useStageName();
  return (
    <Badge variant="light" color={COLORS[stage] ?? 'gray'} tt="none">
      {name(stage)}
    </Badge>
  );
}
