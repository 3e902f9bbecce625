import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';
import { LIFECYCLE_STAGES } from './contacts-api.js';

type StageLabels = Record<string, { de?: string; en?: string }>;

/**
 * The workspace's name for each lifecycle stage in the UI language: its own name where it renamed
 * the stage (scoring settings), else ours. Shares the query with the scoring page, so a rename shows
 * everywhere at once; a user who may not read the scoring settings sees our names.
 */
export function useStageName(): (stage: string) => string {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const settings = useQuery({
    queryKey: useWorkspaceKey('scoring', 'settings'),
    queryFn: () => api.get<{ stageLabels?: StageLabels }>('/api/v1/scoring/settings'),
    staleTime: 60_000,
    retry: false,
  });
  const lang = i18n.language.startsWith('de') ? 'de' : 'en';
  return (stage) => {
    const own = settings.data?.stageLabels?.[stage]?.[lang];
    if (own) return own;
    return (LIFECYCLE_STAGES as readonly string[]).includes(stage)
      ? t(`contacts.stages.${stage as (typeof LIFECYCLE_STAGES)[number]}`)
      : stage;
  };
}

/** The stages as options of a select, with the workspace's names. */
export function useStageOptions(): { value: string; label: string }[] {
  const name = useStageName();
  return LIFECYCLE_STAGES.map((s) => ({ value: s, label: name(s) }));
}
