/** The contact the editor's preview and test sends are rendered for. */
export const SAMPLE_CONTACT = {
  de: {
    email: 'anna.schmidt@example.com',
    first_name: 'Anna',
    last_name: 'Schmidt',
    company_name: 'Beispiel Maschinenbau GmbH',
    job_title: 'Leiterin Instandhaltung',
    country: 'DE',
    locale: 'de' as const,
    custom_fields: {},
  },
  en: {
    email: 'james.miller@example.com',
    first_name: 'James',
    last_name: 'Miller',
    company_name: 'Example Engineering Ltd',
    job_title: 'Head of Maintenance',
    country: 'GB',
    locale: 'en' as const,
    custom_fields: {},
  },
};
