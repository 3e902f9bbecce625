/** The fixed texts of hosted forms and the embed, in German and English. */
export const PUBLIC_TEXTS = {
  de: {
    required: 'Pflichtfeld',
    optional: 'freiwillig',
    consentsLegend: 'Ihre Einwilligungen (freiwillig, jederzeit widerrufbar)',
    consentsLegendRequired: 'Ihre Einwilligungen',
    controller: 'Verantwortlich',
    purpose: 'Zweck',
    privacy: 'Datenschutzhinweise',
    errorSummary: 'Bitte prüfen Sie Ihre Eingaben:',
    checkInboxTitle: 'Bitte prüfen Sie Ihr Postfach',
    checkInbox:
      'Vielen Dank! Wenn die Adresse bei uns noch bestätigt werden muss, erhalten Sie in wenigen Minuten eine E-Mail mit einem Bestätigungslink. Bitte sehen Sie auch im Spam-Ordner nach.',
    back: 'Zurück zum Formular',
    noscript: 'Dieses Formular braucht JavaScript für eine kurze Rechenaufgabe, die uns vor Spam schützt.',
    notFoundTitle: 'Formular nicht gefunden',
    notFound: 'Dieses Formular gibt es nicht oder es ist nicht mehr online.',
    coupling: 'Hinweis zur Kopplung',
    event: 'Veranstaltung',
    sending: 'Wird gesendet …',
    failed: 'Das hat nicht geklappt. Bitte versuchen Sie es erneut.',
    problems: {
      required: 'Bitte füllen Sie dieses Feld aus.',
      too_long: 'Der Text ist zu lang.',
      control_characters: 'Bitte verwenden Sie nur normale Zeichen.',
      country_code: 'Bitte wählen Sie ein Land (zweistelliger Ländercode).',
      phone: 'Bitte geben Sie eine Telefonnummer ein (Ziffern, Leerzeichen, +, -).',
      not_an_option: 'Bitte wählen Sie eine der Möglichkeiten.',
      email: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
    },
  },
  en: {
    required: 'required',
    optional: 'optional',
    consentsLegend: 'Your consent (optional, can be withdrawn at any time)',
    consentsLegendRequired: 'Your consent',
    controller: 'Controller',
    purpose: 'Purpose',
    privacy: 'Privacy notice',
    errorSummary: 'Please check your entries:',
    checkInboxTitle: 'Please check your inbox',
    checkInbox:
      'Thank you! If your address still needs to be confirmed, you will receive an e-mail with a confirmation link within a few minutes. Please also look in your spam folder.',
    back: 'Back to the form',
    noscript: 'This form needs JavaScript for a short computation that protects us from spam.',
    notFoundTitle: 'Form not found',
    notFound: 'This form does not exist or is no longer online.',
    coupling: 'Please note',
    event: 'Event',
    sending: 'Sending …',
    failed: 'That did not work. Please try again.',
    problems: {
      required: 'Please fill in this field.',
      too_long: 'The text is too long.',
      control_characters: 'Please use ordinary characters only.',
      country_code: 'Please choose a country (two-letter country code).',
      phone: 'Please enter a phone number (digits, spaces, +, -).',
      not_an_option: 'Please choose one of the options.',
      email: 'Please enter a valid e-mail address.',
    },
  },
} as const;

export type PublicLocale = keyof typeof PUBLIC_TEXTS;

/** The message for a field problem code from parseSubmission. */
export function problemText(locale: PublicLocale, code: string): string {
  const p = PUBLIC_TEXTS[locale].problems as Record<string, string>;
  return p[code] ?? (/^(empty|no_at_sign|local_|domain_|too_long)/.test(code) ? p.email! : p.required!);
}
