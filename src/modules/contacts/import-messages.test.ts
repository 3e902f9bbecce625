import { describe, expect, it } from 'vitest';
import type { CustomFieldDefinition } from '../../shared/db/schema.js';
import { AFTER_QUOTE, type CsvItem, SWALLOWED, TOO_LONG, UNCLOSED } from './csv-reader.js';
import { IMPORT_MESSAGES, localizeImportText } from './import-messages.js';
import { prepareStage, STAGED_COLUMNS } from './import-rows.js';

const header = [
  'email',
  'first_name',
  'country',
  'lifecycle_stage',
  'consent_date',
  'phone',
  'n',
  'd',
  'b',
  'c',
  'm',
  't',
];
const custom = ['n', 'd', 'b', 'c', 'm', 't'];
const targets = header.map((h) => (custom.includes(h) ? `custom:${h}` : h));
const def = (key: string, type: CustomFieldDefinition['type']) =>
  ({ key, type, options: [{ value: 'a', label: 'A' }] }) as unknown as CustomFieldDefinition;

/** The error column of rows mapped by the import's own code (a PostgreSQL text[] literal, read back). */
function stagedErrors(items: CsvItem[]): string[] {
  const stage = prepareStage({
    header,
    columns: targets.map((target, index) => ({ index, target })),
    defs: [
      def('n', 'number'),
      def('d', 'date'),
      def('b', 'boolean'),
      def('c', 'choice'),
      def('m', 'multi_choice'),
      def('t', 'text'),
    ],
    workspaceId: '00000000-0000-4000-8000-000000000001',
    importId: '00000000-0000-4000-8000-000000000002',
    settings: { mapping: {}, existing: 'skip', mode: 'valid_rows' },
    now: new Date('2026-11-24T12:00:00Z'),
  });
  const literal = stage(1, items).columns[STAGED_COLUMNS.findIndex((c) => c.name === 'error')]!;
  return [...literal.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
}

const row = (cells: Partial<Record<string, string>>): CsvItem => ({
  line: 2,
  cells: header.map((h) => cells[h] ?? ''),
});

describe('import messages in German', () => {
  it('translates every error the mapping writes, with its values kept', () => {
    const errors = stagedErrors([
      { line: 2, cells: ['a@b.de', 'x'] },
      row({ email: 'not-an-address' }),
      row({ email: 'a@b' }),
      row({ email: 'ä@b.de' }),
      row({ email: `${'x'.repeat(65)}@b.de` }),
      row({ email: 'a@b.x1' }),
      row({}),
      row({ email: 'a@b.de', country: 'Atlantis', lifecycle_stage: 'Kaiser', consent_date: 'gestern' }),
      row({ email: 'a@b.de', phone: '1'.repeat(60), first_name: 'x'.repeat(100_001) }),
      row({
        email: 'a@b.de',
        n: 'viel',
        d: '31.02.2026',
        b: 'vielleicht',
        c: 'z',
        m: 'a;q',
        t: 'x'.repeat(5001),
      }),
      { line: 9, unreadable: UNCLOSED },
      { line: 10, unreadable: TOO_LONG },
      { line: 11, unreadable: `${AFTER_QUOTE} "x"` },
      { line: 12, unreadable: SWALLOWED },
    ]);
    expect(errors).toHaveLength(14);
    const german = errors.map((e) => localizeImportText(e, 'de'));
    expect(german).toEqual([
      'hat 2 Spalten, die Kopfzeile hat 12',
      'E-Mail-Adresse: keine E-Mail-Adresse',
      'E-Mail-Adresse: ungültige Domain',
      'E-Mail-Adresse: ungültiger Teil vor dem @',
      'E-Mail-Adresse: Teil vor dem @ länger als 64 Zeichen',
      'E-Mail-Adresse: ungültige Top-Level-Domain',
      'keine E-Mail-Adresse',
      'country: kein Ländercode; lifecycle_stage: unbekannte Lebenszyklus-Phase „Kaiser“; consent_date: kein Datum',
      'first_name: länger als 100000 Zeichen; phone: länger als 50 Zeichen',
      'n: keine Zahl; d: kein Datum (JJJJ-MM-TT); b: nicht ja/nein; c: keiner der Werte a; m: „q“ ist keiner der Werte a; t: höchstens 5000 Zeichen',
      'nicht lesbare Zeile (Zeile 9 der Datei): ein Anführungszeichen in dieser Zeile wird nicht geschlossen (nicht im Rest der Datei oder nicht innerhalb der längsten erlaubten Zeile)',
      'nicht lesbare Zeile (Zeile 10 der Datei): die Zeile ist zu lang',
      'nicht lesbare Zeile (Zeile 11 der Datei): auf eine Zelle in Anführungszeichen folgt nicht das Trennzeichen, sondern „x“',
      'nicht lesbare Zeile (Zeile 12 der Datei): ein Anführungszeichen in dieser Zeile wird erst in einer späteren Zeile geschlossen, und die Zeilen dazwischen sehen wie eigene Zeilen aus',
    ]);
    // English stays as stored.
    expect(errors.map((e) => localizeImportText(e, 'en'))).toEqual(errors);
  });

  it('translates the duplicate error, outcomes and failures, and leaves unknown texts as they are', () => {
    expect(localizeImportText(IMPORT_MESSAGES.duplicate.format({ row: 17 }), 'de')).toBe(
      'dieselbe E-Mail-Adresse steht weiter oben in der Datei (Zeile 17)',
    );
    expect(localizeImportText(IMPORT_MESSAGES.rowsHaveErrors.format({ count: 3 }), 'de')).toBe(
      '3 Zeilen haben Fehler; nichts wurde importiert',
    );
    expect(localizeImportText(IMPORT_MESSAGES.notUtf8.en, 'de')).toMatch(
      /^die Datei ist kein gültiges UTF-8; wählen/,
    );
    expect(localizeImportText(IMPORT_MESSAGES.suppressed.en, 'de')).toBe('Adresse steht auf der Sperrliste');
    // Rows staged before csv-reader.ts: the parser's own reason stays English.
    expect(localizeImportText('unreadable row near line 5: Invalid Closing Quote: got "x"', 'de')).toBe(
      'nicht lesbare Zeile (nahe Zeile 5 der Datei): Invalid Closing Quote: got "x"',
    );
    // A column name with ": " in it, and a text no template knows.
    expect(localizeImportText('Budget: Jahr: not a number; something else', 'de')).toBe(
      'Budget: Jahr: keine Zahl; something else',
    );
  });
});
