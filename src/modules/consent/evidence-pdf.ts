import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { Locale } from '../../shared/errors.js';
import { EVIDENCE_TEXTS, evidenceJson, fmt } from './evidence.js';
import type { ContactLedger } from './ledger.service.js';
import { purposeLabel } from './purposes.js';

/*
 * The evidence for one address as a PDF document (pdfkit: text layout, line wrapping and page
 * breaks are solved there): the same content as the HTML page, for a court or an authority that
 * asks for a document rather than a web page. Set in Noto Sans (embedded, subset), which covers
 * the scripts of European names and addresses — Latin with all its extensions, Greek, Cyrillic,
 * Vietnamese. A character outside those ranges (CJK, Arabic, emoji, controls) is written as a
 * \u{…} escape rather than dropped or shown as a box; the JSON export keeps every value as stored.
 */

const require = createRequire(import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | undefined;
function loadFonts() {
  fonts ??= {
    regular: readFileSync(require.resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf')),
    bold: readFileSync(require.resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf')),
  };
  return fonts;
}

/** Unicode ranges Noto Sans draws: Latin (+ Extended A/B, IPA, Extended Additional), Greek, Cyrillic, punctuation, currency, letterlike. */
const COVERED: Array<[number, number]> = [
  [0x20, 0x7e],
  [0xa0, 0x2af],
  [0x370, 0x3ff],
  [0x400, 0x52f],
  [0x1e00, 0x1eff],
  [0x2010, 0x205e],
  [0x20a0, 0x20c0],
  [0x2100, 0x214f],
];

/** Makes a value printable with the embedded font without losing information. */
export function pdfSafe(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\n' || ch === '\t') out += ' ';
    else if (COVERED.some(([from, to]) => cp >= from && cp <= to)) out += ch;
    else out += `\\u{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

const MARGIN = 50;
const LABEL_WIDTH = 150;

/** Renders the evidence as a PDF (A4) and resolves with its bytes. */
export function renderEvidencePdf(ledger: ContactLedger, locale: Locale, generatedAt: Date): Promise<Buffer> {
  const t = EVIDENCE_TEXTS[locale];
  const json = evidenceJson(ledger, generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN + 10, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: {
      Title: pdfSafe(`${t.title} – ${json.email}`),
      Author: pdfSafe(json.controller),
      Creator: 'Leadwerk',
      CreationDate: generatedAt,
    },
    lang: locale,
  });
  const { regular, bold } = loadFonts();
  doc.registerFont('body', regular);
  doc.registerFont('bold', bold);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - doc.page.margins.bottom;

  /** One "label: value" row; the value wraps in its column, a row never starts at a page's foot. */
  const row = (label: string, value: string, options: { mono?: boolean } = {}) => {
    if (doc.y > bottom() - 30) doc.addPage();
    const top = doc.y;
    const page = doc.page;
    doc
      .font('bold')
      .fontSize(9)
      .text(pdfSafe(label), MARGIN, top, { width: LABEL_WIDTH - 10 });
    const labelEnd = doc.y;
    doc
      .font(options.mono ? 'Courier' : 'body')
      .fontSize(options.mono ? 8 : 9)
      .text(pdfSafe(value), MARGIN + LABEL_WIDTH, top, { width: width - LABEL_WIDTH });
    if (doc.page === page) doc.y = Math.max(doc.y, labelEnd);
    doc.x = MARGIN;
    doc.moveDown(0.2);
  };
  const heading = (text: string, size: number) => {
    if (doc.y > bottom() - 60) doc.addPage();
    doc.moveDown(0.6).font('bold').fontSize(size).text(pdfSafe(text), MARGIN, doc.y, { width });
    doc.moveDown(0.3);
  };

  doc.font('bold').fontSize(18).text(pdfSafe(t.title), { width });
  doc.moveDown(0.5);
  row(t.controller, json.controller);
  row(t.address, json.email);
  row(t.contact, `${json.contactId ?? '–'} ${json.contactExists ? '' : t.erased}`.trim());
  row(t.generated, json.generatedAt);
  row(
    t.chain,
    json.chain.intact
      ? t.intact(json.chain.checked)
      : `${t.broken(json.chain.breaks.length)}: ${json.chain.breaks.map((b) => `#${b.eventId} ${b.problem}`).join(', ')}`,
  );

  heading(t.current, 13);
  if (json.consents.length === 0) row(t.purpose, t.none);
  for (const c of json.consents) {
    row(
      `${purposeLabel(c.purpose, locale)} (${c.purpose})`,
      [
        `${t.status}: ${c.status}`,
        `${t.basis}: ${c.legalBasis}`,
        `${t.requested}: ${fmt(c.requestedAt)}`,
        `${t.confirmed}: ${fmt(c.confirmedAt)}`,
        `${t.withdrawn}: ${fmt(c.withdrawnAt)}`,
      ].join(' · '),
    );
  }

  heading(`${t.events} (${json.events.length})`, 13);
  const fieldKeys = (Object.keys(t.fields) as (keyof typeof t.fields)[]).filter(
    (k) => k !== 'event' && k !== 'purpose',
  );
  for (const e of json.events) {
    const purpose = e.purpose === '*' ? '*' : `${purposeLabel(e.purpose, locale)} (${e.purpose})`;
    heading(`#${e.id} · ${e.event} · ${purpose}`, 10.5);
    for (const k of fieldKeys) row(t.fields[k], fmt(e[k]), { mono: k === 'hash' || k === 'prevHash' });
  }
  doc.moveDown(0.8);
  doc.font('body').fontSize(8).text(pdfSafe(json.chain.algorithm), MARGIN, doc.y, { width });
  doc.text(pdfSafe(t.verbatim), { width });

  // Every page names the address, the time of the export and its number, as a printout must.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const footer = `${t.title} · ${json.email} · ${json.generatedAt} · ${t.page(i + 1, range.count)}`;
    doc
      .font('body')
      .fontSize(7.5)
      .text(pdfSafe(footer), MARGIN, doc.page.height - MARGIN + 5, { width, lineBreak: false });
  }
  doc.end();
  return done;
}
