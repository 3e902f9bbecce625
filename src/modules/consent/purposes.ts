import type { Locale } from '../../shared/errors.js';

/** What a consent may cover; `newsletter:<topic>` for newsletter topics (CONTEXT.md). */
export const PURPOSE_RE = /^[a-z0-9][a-z0-9_.:-]{0,62}$/;

const LABELS: Record<string, { de: string; en: string }> = {
  newsletter: { de: 'Newsletter', en: 'Newsletter' },
  events: { de: 'Einladungen zu Veranstaltungen und Webinaren', en: 'Invitations to events and webinars' },
  phone: { de: 'Telefonische Kontaktaufnahme durch den Vertrieb', en: 'Phone calls from our sales team' },
  tracking: {
    de: 'Auswertung von Öffnungen und Klicks in unseren E-Mails',
    en: 'Measuring opens and clicks in our e-mails',
  },
};

/** A purpose as people read it: "Newsletter: product-news" for a topic the workspace named. */
export function purposeLabel(purpose: string, locale: Locale): string {
  const known = LABELS[purpose];
  if (known) return known[locale];
  const [base = purpose, topic] = purpose.split(/:(.*)/s);
  const baseLabel = LABELS[base]?.[locale] ?? base;
  return topic ? `${baseLabel}: ${topic}` : baseLabel;
}
