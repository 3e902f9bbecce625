import { Checkbox, Group, Stack, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { WorkingHours } from './sales-api.js';

const DAYS = ['1', '2', '3', '4', '5', '6', '7'] as const;

/** The same hours on the chosen weekdays; the API takes more (several intervals a day). */
export interface SimpleHours {
  days: string[];
  from: string;
  to: string;
}

export function toSimpleHours(hours: WorkingHours): SimpleHours {
  const days = DAYS.filter((d) => (hours[d]?.length ?? 0) > 0);
  const first = days[0] ? hours[days[0]]?.[0] : undefined;
  return { days, from: first?.[0] ?? '09:00', to: first?.[1] ?? '17:00' };
}

export function fromSimpleHours(simple: SimpleHours): WorkingHours {
  const out: WorkingHours = {};
  for (const d of simple.days) out[d] = [[simple.from, simple.to]];
  return out;
}

/** Weekdays and one interval; no day ticked means "always available". */
export function WorkingHoursInput({
  value,
  onChange,
  idPrefix,
}: {
  value: SimpleHours;
  onChange: (v: SimpleHours) => void;
  idPrefix: string;
}) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs">
      <Checkbox.Group
        label={t('sales.hours.days')}
        description={t('sales.hours.none')}
        value={value.days}
        onChange={(days) => onChange({ ...value, days })}
      >
        <Group gap="sm" mt="xs">
          {DAYS.map((d) => (
            <Checkbox key={d} value={d} label={t(`sales.hours.day${d}`)} />
          ))}
        </Group>
      </Checkbox.Group>
      <Group gap="sm">
        <TextInput
          id={`${idPrefix}-from`}
          label={t('sales.hours.from')}
          type="time"
          value={value.from}
          onChange={(e) => onChange({ ...value, from: e.currentTarget.value })}
        />
        <TextInput
          id={`${idPrefix}-to`}
          label={t('sales.hours.to')}
          type="time"
          value={value.to}
          onChange={(e) => onChange({ ...value, to: e.currentTarget.value })}
        />
      </Group>
    </Stack>
  );
}
