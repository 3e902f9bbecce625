import type { TFunction } from 'i18next';

/**
 * A stage move's cause in words (de/en). The server writes `rule:mql`, `rule:hand-raiser`,
 * `rule:engaged` (scoring's lifecycle rules), `user:<id>` (a person: contact page, sales inbox),
 * `api` / `api:<key id>` (an API call), `import` (a CSV import), `journey:<id>` (a journey's
 * hand-off step), `system` and `demo`; `by` is the name the server found for the id. Anything else
 * shows as "Other (…)", never as nothing.
 */
export function stageCauseLabel(t: TFunction, cause: string, by: string | null | undefined): string {
  const colon = cause.indexOf(':');
  const kind = colon < 0 ? cause : cause.slice(0, colon);
  const rest = colon < 0 ? '' : cause.slice(colon + 1);
  switch (kind) {
    case 'rule':
      if (rest === 'mql') return t('scoring.causes.ruleMql');
      if (rest === 'hand-raiser') return t('scoring.causes.ruleHandRaiser');
      if (rest === 'engaged') return t('scoring.causes.ruleEngaged');
      return rest ? t('scoring.causes.ruleOther', { rule: rest }) : t('scoring.causes.unknown', { cause });
    case 'user':
      return by ? t('scoring.causes.userNamed', { name: by }) : t('scoring.causes.user');
    case 'api':
      return by ? t('scoring.causes.apiNamed', { name: by }) : t('scoring.causes.api');
    case 'import':
      return t('scoring.causes.import');
    case 'journey':
      return by ? t('scoring.causes.journeyNamed', { name: by }) : t('scoring.causes.journey');
    case 'system':
      return t('scoring.causes.system');
    case 'demo':
      return t('scoring.causes.demo');
    default:
      return t('scoring.causes.unknown', { cause });
  }
}
