import { Badge, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useFormatters } from '../ui/format.js';
import type { BantAnswers, TemperatureReason } from './scoring-api.js';

export const TEMPERATURE_COLOR = { cold: 'blue', warm: 'orange', hot: 'red' } as const;

/** One temperature reason as a sentence ("Own interest: White paper on 4 May 2026"). */
export function useReasonText() {
  const { t } = useTranslation();
  const { date: formatDate } = useFormatters();
  return (r: TemperatureReason) => {
    switch (r.code) {
      case 'warm-signal':
        return t('scoring.reasons.warmSignal', { rule: r.rule ?? '', date: r.at ? formatDate(r.at) : '' });
      case 'returning':
        return t('scoring.reasons.returning', { days: r.days ?? 0, windowDays: r.windowDays ?? 0 });
      case 'incentive-only':
        return t('scoring.reasons.incentiveOnly', { rule: r.rule ?? '', date: r.at ? formatDate(r.at) : '' });
      case 'hot-bant':
        return t('scoring.reasons.hotBant');
      case 'hot-fit':
        return t('scoring.reasons.hotFit', { fit: r.fit ?? 0, min: r.min ?? 0 });
      default:
        return t('scoring.reasons.noInterest');
    }
  };
}

/** The scores part of a lead summary (scoring's `describeQualification`, snapshotted at hand-off). */
export interface SummaryScores {
  fit?: number;
  engagement?: number;
  temperature?: 'cold' | 'warm' | 'hot' | null;
  temperatureReasons?: TemperatureReason[];
  fitReasons?: { rule: string; points: number }[];
  engagementReasons?: { rule: string; points: number; at?: string; decayed?: number }[];
}

export interface SummaryBant {
  answers?: BantAnswers;
  sources?: Record<string, { source: string; answeredAt: string }>;
  qualified?: boolean;
}

/**
 * A lead's scores with the rules behind them, its temperature with reasons and its BANT answers
 * with source and date — compact, for the sales inbox card.
 */
export function QualificationSummary({
  scores,
  bant,
}: {
  scores: SummaryScores | null | undefined;
  bant: SummaryBant | null | undefined;
}) {
  const { t } = useTranslation();
  const { date: formatDate } = useFormatters();
  const reasonText = useReasonText();
  const points = (p: number) => (p >= 0 ? `+${p}` : String(p));
  const fitReasons = (scores?.fitReasons ?? []).map((r) => `${r.rule} ${points(r.points)}`).join(', ');
  const engagementReasons = (scores?.engagementReasons ?? [])
    .map((r) =>
      r.at
        ? t('scoring.summary.engagementReason', {
            rule: r.rule,
            points: points(Math.round(r.decayed ?? r.points)),
            date: formatDate(r.at),
          })
        : `${r.rule} ${points(r.points)}`,
    )
    .join(', ');
  const answers = bant?.answers ?? {};
  const source = (field: string) => {
    const m = bant?.sources?.[field];
    return m
      ? ` (${t('scoring.bant.source', {
          source: t(`scoring.bant.sources.${m.source}` as 'scoring.bant.sources.api'),
          date: formatDate(m.answeredAt),
        })})`
      : '';
  };
  const yesNo = (v: boolean | undefined) =>
    v === undefined ? t('scoring.bant.unknown') : v ? t('scoring.summary.yes') : t('scoring.summary.no');
  const bantLines: [string, string][] = [
    [
      t('scoring.bant.need'),
      `${yesNo(answers.need?.exists)}${answers.need?.project ? ` – ${answers.need.project}` : ''}${answers.need?.when ? ` (${answers.need.when})` : ''}${source('need')}`,
    ],
    [
      t('scoring.bant.budget'),
      `${yesNo(answers.budget?.exists)}${answers.budget?.range ? ` – ${answers.budget.range}` : ''}${source('budget')}`,
    ],
    [
      t('scoring.bant.authority'),
      `${answers.authority ? t(`scoring.bant.roles.${answers.authority.role}`) : t('scoring.bant.unknown')}${source('authority')}`,
    ],
    [
      t('scoring.bant.timeline'),
      `${answers.timeline?.when ?? t('scoring.bant.unknown')}${source('timeline')}`,
    ],
  ];
  return (
    <Stack gap={4}>
      {scores ? (
        <>
          <Group gap="xs">
            <Text size="sm">
              <strong>{t('scoring.fit')}:</strong> {scores.fit ?? '–'}
              {fitReasons ? ` (${fitReasons})` : ''}
            </Text>
          </Group>
          <Text size="sm">
            <strong>{t('scoring.engagement')}:</strong> {scores.engagement ?? '–'}
            {engagementReasons ? ` (${engagementReasons})` : ''}
          </Text>
          {scores.temperature ? (
            <Group gap="xs">
              <Badge color={TEMPERATURE_COLOR[scores.temperature]} variant="light">
                {t(`scoring.temperatures.${scores.temperature}`)}
              </Badge>
              <Text size="sm">{(scores.temperatureReasons ?? []).map(reasonText).join('; ')}</Text>
            </Group>
          ) : null}
        </>
      ) : (
        <Text size="sm">
          <strong>{t('sales.summary.scores')}:</strong> {t('scoring.summary.noScores')}
        </Text>
      )}
      <Group gap="xs">
        <Text size="sm" fw={700}>
          {t('scoring.bant.title')}:
        </Text>
        <Badge color={bant?.qualified ? 'green' : 'gray'} variant="light">
          {bant?.qualified ? t('scoring.bant.qualified') : t('scoring.bant.notQualified')}
        </Badge>
      </Group>
      {bantLines.map(([label, value]) => (
        <Text size="sm" key={label}>
          {label}: {value}
        </Text>
      ))}
    </Stack>
  );
}
