import { describe, expect, it } from 'vitest';
import { leadMailContent } from './notify.js';
import type { LeadSummary } from './summary.js';

const summary = (over: Partial<LeadSummary> = {}): LeadSummary => ({
  who: { name: 'Marta <b>Beispiel</b>', email: 'marta@kunde.example', jobTitle: 'Head of IT', phone: null },
  company: { name: 'Kunde GmbH', industry: 'Maschinenbau', size: '50-199', country: 'DE' },
  scores: {
    fit: 40,
    engagement: 45,
    temperature: 'warm',
    temperatureReasons: [{ code: 'warm-signal', rule: 'White paper', at: '2026-05-02T09:00:00.000Z' }],
    fitReasons: [{ rule: 'Head of', points: 40 }],
    engagementReasons: [
      { rule: 'White paper', points: 30, at: '2026-05-02T09:00:00.000Z', decayed: 29.6 },
      { rule: 'Webinar', points: 20, at: '2026-04-01T09:00:00.000Z', decayed: 14.8 },
    ],
  },
  bant: {
    answers: {
      need: { exists: true, project: 'CRM', when: 'Q3' },
      budget: { exists: false },
      authority: { role: 'decision_maker' },
    },
    sources: {
      need: { source: 'form', answeredAt: '2026-05-01T10:00:00.000Z' },
      budget: { source: 'sales_call', answeredAt: '2026-05-03T10:00:00.000Z' },
      authority: { source: 'journey', answeredAt: '2026-05-02T10:00:00.000Z' },
    },
    qualified: false,
  },
  lastInteractions: [{ type: 'capture.asset-downloaded', occurredAt: '2026-05-02T09:00:00.000Z', ref: null }],
  sourceChannel: 'whitepaper',
  consents: [
    { purpose: 'newsletter', given: true },
    { purpose: 'phone', given: false },
    { purpose: 'events', given: true },
  ],
  ...over,
});

describe('the lead mail', () => {
  it('lists scores with their reasons and BANT with source and date, in English', () => {
    const { subject, text, html } = leadMailContent('lead.assigned', 'en', summary(), 'https://x/app/leads');
    expect(subject).toBe('New lead for you: Marta <b>Beispiel</b> <marta@kunde.example>');
    expect(text).toContain(
      'Scores: Fit 40 (Head of +40) · Engagement 45 (White paper +30 on 2026-05-02, Webinar +15 on 2026-04-01) · warm',
    );
    expect(text).toContain(
      'Qualification (BANT): not qualified yet · Need: yes – CRM, Q3 (form, 2026-05-01) · Budget: no (sales call, 2026-05-03) · Authority: decision maker (journey question, 2026-05-02) · Timeline: unknown',
    );
    expect(text).toContain('Phone: no consent to phone contact');
    expect(text).toContain('Consents: newsletter, event invitations');
    expect(html).toContain('Marta &lt;b&gt;Beispiel&lt;/b&gt;');
    expect(html).not.toContain('<b>Beispiel');
  });

  it('speaks German, and says so when nothing is known yet', () => {
    const { text } = leadMailContent(
      'lead.reminder',
      'de',
      summary({ scores: null, bant: null, who: { ...summary().who, phone: '+49 30 1234' } }),
      'https://x/app/leads',
    );
    expect(text).toContain('Dieser Lead wartet noch auf Ihre Antwort.');
    expect(text).toContain('Scores: –');
    expect(text).toContain('Qualifizierung (BANT): –');
    expect(text).toContain('Telefon: +49 30 1234');
    const german = leadMailContent('lead.assigned', 'de', summary(), 'https://x/app/leads').text;
    expect(german).toContain(
      'Engagement 45 (White paper +30 am 2026-05-02, Webinar +15 am 2026-04-01) · warm',
    );
    expect(german).toContain('Bedarf: ja – CRM, Q3 (Formular, 2026-05-01)');
    expect(german).toContain('Entscheidungsbefugnis: Entscheider (Journey-Frage, 2026-05-02)');
    expect(german).toContain('Zeitrahmen: unbekannt');
    expect(german).toContain('Einwilligungen: Newsletter, Event-Einladungen');
  });
});
