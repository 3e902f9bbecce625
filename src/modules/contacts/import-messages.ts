import type { Locale } from '../../shared/errors.js';

/*
 * The texts an import writes for people: row errors, the outcome of skipped rows, failures. They
 * are stored in English, which is what API clients read and what older imports hold. The admin UI
 * and the row report show them in the user's language: `localizeImportText` reads each stored text
 * back through the template that wrote it. A text no template knows is shown as stored.
 */

type Params = Record<string, string | number>;

/** An English text with {placeholders} and its German twin. */
class Message {
  private readonly pattern: RegExp;
  private readonly names: string[];

  constructor(
    readonly en: string,
    readonly de: string,
  ) {
    this.names = [...en.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const parts = en.split(/\{\w+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(`^${parts.join('([\\s\\S]*?)')}$`);
  }

  /** The English text with its parameters. */
  format(params: Params = {}): string {
    return this.en.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name]));
  }

  /** The German text for a stored English one this message wrote, or undefined. */
  translate(text: string, nested: (s: string) => string): string | undefined {
    const m = this.pattern.exec(text);
    if (!m) return undefined;
    const values = new Map(this.names.map((name, i) => [name, m[i + 1]!]));
    return this.de.replace(/\{(\w+)\}/g, (_, name: string) =>
      // A {reason} or {problem} is a message itself.
      name === 'reason' || name === 'problem' ? nested(values.get(name)!) : values.get(name)!,
    );
  }
}

const m = (en: string, de: string) => new Message(en, de);

/** Row errors and outcomes, failures. */
export const IMPORT_MESSAGES = {
  columns: m(
    'has {count} columns, the header has {header}',
    'hat {count} Spalten, die Kopfzeile hat {header}',
  ),
  noEmail: m('no e-mail address', 'keine E-Mail-Adresse'),
  email: m('e-mail address: {problem}', 'E-Mail-Adresse: {problem}'),
  duplicate: m(
    'the same e-mail address appears earlier in the file (row {row})',
    'dieselbe E-Mail-Adresse steht weiter oben in der Datei (Zeile {row})',
  ),
  unreadable: m(
    'unreadable row at line {line}: {reason}',
    'nicht lesbare Zeile (Zeile {line} der Datei): {reason}',
  ),
  /** What csv-parse wrote before csv-reader.ts (its reason stays English). */
  unreadableLegacy: m(
    'unreadable row near line {line}: {detail}',
    'nicht lesbare Zeile (nahe Zeile {line} der Datei): {detail}',
  ),
  field: m('{column}: {problem}', '{column}: {problem}'),
  suppressed: m('address is on the suppression list', 'Adresse steht auf der Sperrliste'),
  exists: m('contact exists (mode: skip)', 'Kontakt existiert bereits (Modus: überspringen)'),
  noRows: m('the file has no rows', 'die Datei enthält keine Zeilen'),
  rowsHaveErrors: m(
    '{count} rows have errors; nothing was imported',
    '{count} Zeilen haben Fehler; nichts wurde importiert',
  ),
  notUtf8: m(
    'the file is not valid UTF-8; choose the encoding windows-1252 (Excel) and start again',
    'die Datei ist kein gültiges UTF-8; wählen Sie die Zeichenkodierung Windows-1252 (Excel) und starten Sie neu',
  ),
} as const;

/** Problems with one value, after "{column}: " or "e-mail address: ", and why a line is unreadable. */
const PROBLEMS: Message[] = [
  m('longer than {max} characters', 'länger als {max} Zeichen'),
  m('not a country code', 'kein Ländercode'),
  m('unknown lifecycle stage "{value}"', 'unbekannte Lebenszyklus-Phase „{value}“'),
  m('not a date', 'kein Datum'),
  // custom-fields.ts (coerceCustomValue)
  m('at most {max} characters', 'höchstens {max} Zeichen'),
  m('not a number', 'keine Zahl'),
  m('not a date (YYYY-MM-DD)', 'kein Datum (JJJJ-MM-TT)'),
  m('not yes/no', 'nicht ja/nein'),
  m('"{value}" is not one of {options}', '„{value}“ ist keiner der Werte {options}'),
  m('not one of {options}', 'keiner der Werte {options}'),
  // email-rules.ts (emailSyntaxProblem)
  m('not an e-mail address', 'keine E-Mail-Adresse'),
  m('local part longer than 64 characters', 'Teil vor dem @ länger als 64 Zeichen'),
  m('invalid local part', 'ungültiger Teil vor dem @'),
  m('invalid domain', 'ungültige Domain'),
  m('invalid top-level domain', 'ungültige Top-Level-Domain'),
  m('invalid', 'ungültig'),
  // csv-reader.ts
  m(
    'a quote opened in this line is not closed (not in the rest of the file, or not within the longest record allowed)',
    'ein Anführungszeichen in dieser Zeile wird nicht geschlossen (nicht im Rest der Datei oder nicht innerhalb der längsten erlaubten Zeile)',
  ),
  m('the record is too long', 'die Zeile ist zu lang'),
  m(
    'a quoted cell ends, and the delimiter does not follow but "{char}"',
    'auf eine Zelle in Anführungszeichen folgt nicht das Trennzeichen, sondern „{char}“',
  ),
  m(
    'a quote opened in this line is closed only in a later line, and the lines between read like rows of their own',
    'ein Anführungszeichen in dieser Zeile wird erst in einer späteren Zeile geschlossen, und die Zeilen dazwischen sehen wie eigene Zeilen aus',
  ),
];

const WHOLE: Message[] = [
  IMPORT_MESSAGES.noRows,
  IMPORT_MESSAGES.rowsHaveErrors,
  IMPORT_MESSAGES.notUtf8,
  IMPORT_MESSAGES.suppressed,
  IMPORT_MESSAGES.exists,
];
const PARTS: Message[] = [
  IMPORT_MESSAGES.columns,
  IMPORT_MESSAGES.noEmail,
  IMPORT_MESSAGES.duplicate,
  IMPORT_MESSAGES.unreadable,
  IMPORT_MESSAGES.unreadableLegacy,
  IMPORT_MESSAGES.email,
];

function problem(text: string): string {
  for (const msg of PROBLEMS) {
    const de = msg.translate(text, problem);
    if (de !== undefined) return de;
  }
  return text;
}

function part(text: string): string {
  for (const msg of PARTS) {
    const de = msg.translate(text, problem);
    if (de !== undefined) return de;
  }
  // "{column}: {problem}", translated only when the problem is known (a column name may hold ": ").
  for (let i = text.indexOf(': '); i >= 0; i = text.indexOf(': ', i + 1)) {
    const rest = text.slice(i + 2);
    const de = problem(rest);
    if (de !== rest) return `${text.slice(0, i)}: ${de}`;
  }
  return text;
}

/** A stored import text (a row's errors joined by "; ", a failure, an outcome) in the locale. */
export function localizeImportText(text: string, locale: Locale): string {
  if (locale === 'en') return text;
  for (const msg of WHOLE) {
    const de = msg.translate(text, problem);
    if (de !== undefined) return de;
  }
  return text.split('; ').map(part).join('; ');
}

/** The row report's header and outcome words. */
export const REPORT_WORDS: Record<
  Locale,
  { header: string[]; error: string; skipped: string; suppressed: string }
> = {
  en: {
    header: ['row', 'email', 'outcome', 'error'],
    error: 'error',
    skipped: 'skipped',
    suppressed: 'suppressed',
  },
  de: {
    header: ['Zeile', 'E-Mail', 'Ergebnis', 'Fehler'],
    error: 'Fehler',
    skipped: 'übersprungen',
    suppressed: 'gesperrt',
  },
};
