import type { BantField } from './bant.service.js';
import type { Authority, Bant } from './rules.js';

/*
 * The fixed answers people can give to a BANT question, wherever it is asked (a form field, a
 * journey's question page): one list, so that every source stores the same values.
 */

export interface BantChoice {
  value: string;
  label: { de: string; en: string };
}

const YES_NO: BantChoice[] = [
  { value: 'yes', label: { de: 'Ja', en: 'Yes' } },
  { value: 'no', label: { de: 'Nein', en: 'No' } },
];

export const BANT_CHOICES: Record<BantField, BantChoice[]> = {
  need: YES_NO,
  budget: YES_NO,
  authority: [
    { value: 'decision_maker', label: { de: 'Ich entscheide', en: 'I decide' } },
    { value: 'influencer', label: { de: 'Ich berate die Entscheidung', en: 'I advise on the decision' } },
    { value: 'user', label: { de: 'Ich nutze die Lösung', en: 'I use the solution' } },
    { value: 'unknown', label: { de: 'Weiß ich nicht', en: "I don't know" } },
  ],
  timeline: [
    { value: 'within-3-months', label: { de: 'In den nächsten 3 Monaten', en: 'Within 3 months' } },
    { value: '3-6-months', label: { de: 'In 3 bis 6 Monaten', en: 'In 3 to 6 months' } },
    { value: '6-12-months', label: { de: 'In 6 bis 12 Monaten', en: 'In 6 to 12 months' } },
    { value: 'later', label: { de: 'Später', en: 'Later' } },
  ],
};

/** The stored answer for a chosen value, or undefined when the value is not one of the choices. */
export function bantAnswerOf(field: BantField, value: string): Bant | undefined {
  if (!BANT_CHOICES[field].some((c) => c.value === value)) return undefined;
  if (field === 'need') return { need: { exists: value === 'yes' } };
  if (field === 'budget') return { budget: { exists: value === 'yes' } };
  if (field === 'authority') return { authority: { role: value as Authority } };
  return { timeline: { when: value } };
}
