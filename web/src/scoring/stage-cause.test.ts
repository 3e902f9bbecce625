import { describe, expect, it } from 'vitest';
import { createI18n } from '../i18n/index.js';
import { stageCauseLabel } from './stage-cause.js';

const en = createI18n('en').t;
const de = createI18n('de').t;
const uuid = '0194c0de-1234-7abc-8def-0123456789ab';

describe('stage causes in words', () => {
  it('names each cause the server writes, in English and German', () => {
    const cases: [string, string | null, string, string][] = [
      ['rule:mql', null, 'MQL rule (fit and engagement reached)', 'MQL-Regel (Fit und Engagement erreicht)'],
      [
        'rule:hand-raiser',
        null,
        'MQL rule: hand-raiser (consultation request)',
        'MQL-Regel: Beratungsanfrage (Hand-Raiser)',
      ],
      ['rule:engaged', null, 'Engagement threshold reached', 'Engagement-Schwelle erreicht'],
      [`user:${uuid}`, 'Jonas Weber', 'Changed by hand by Jonas Weber', 'Von Hand geändert von Jonas Weber'],
      // A user the server no longer knows, and the bare `user` of an old timeline entry.
      [`user:${uuid}`, null, 'Changed by hand', 'Von Hand geändert'],
      ['user', null, 'Changed by hand', 'Von Hand geändert'],
      ['api', null, 'Through the API', 'Über die API'],
      [`api:${uuid}`, 'CRM sync', 'Through the API (key “CRM sync”)', 'Über die API (Schlüssel „CRM sync“)'],
      [`api:${uuid}`, null, 'Through the API', 'Über die API'],
      ['import', null, 'Contact import', 'Kontaktimport'],
      [`import:${uuid}`, null, 'Contact import', 'Kontaktimport'],
      [
        `journey:${uuid}`,
        'Welcome',
        'Hand-off in the journey “Welcome”',
        'Übergabe in der Journey „Welcome“',
      ],
      [`journey:${uuid}`, null, 'Hand-off in a journey', 'Übergabe in einer Journey'],
      ['system', null, 'Automatically by the system', 'Automatisch durch das System'],
      ['demo', null, 'Sample data', 'Beispieldaten'],
    ];
    for (const [cause, by, english, german] of cases) {
      expect(stageCauseLabel(en, cause, by), cause).toBe(english);
      expect(stageCauseLabel(de, cause, by), cause).toBe(german);
    }
  });

  it('falls back to the raw cause, in words around it, for causes it does not know', () => {
    expect(stageCauseLabel(en, 'webhook:42', null)).toBe('Other (webhook:42)');
    expect(stageCauseLabel(de, 'webhook:42', null)).toBe('Sonstiges (webhook:42)');
    expect(stageCauseLabel(en, 'rule:sla', null)).toBe('Rule “sla”');
    expect(stageCauseLabel(en, 'rule:', null)).toBe('Other (rule:)');
    expect(stageCauseLabel(en, '', null)).toBe('Other ()');
  });
});
