import { type Static, Type } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.js';
import { BANT_CHOICES, type BantField } from '../scoring/index.js';

/*
 * What a form is: its fields, consent boxes, texts in German and English, and the information
 * Art. 13 GDPR asks for. A draft may be incomplete; publishing checks everything
 * (`checkPublishable`). The newsletter rule (data minimisation) holds for drafts too.
 */

export const FORM_KINDS = [
  'newsletter',
  'gated_content',
  'event',
  'contest',
  'coupon',
  'contact_request',
] as const;
export type FormKindName = (typeof FORM_KINDS)[number];

export const FIELD_TYPES = [
  'email',
  'first_name',
  'last_name',
  'company',
  'position',
  'phone',
  'country',
  'product_interest',
  'text',
  'textarea',
  'select',
  'bant_need',
  'bant_budget',
  'bant_authority',
  'bant_timeline',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/**
 * Qualification questions a form may ask (the scoring module's BANT): the answer is recorded with
 * source `form` and the form as its origin, and the choices are fixed (BANT_CHOICES).
 */
export const BANT_FIELD_OF: Partial<Record<FieldType, BantField>> = {
  bant_need: 'need',
  bant_budget: 'budget',
  bant_authority: 'authority',
  bant_timeline: 'timeline',
};

/** The consent purposes a form may ask for (consent module's vocabulary). */
export const CONSENT_PURPOSE_RE = /^(newsletter(:[a-z0-9][a-z0-9_-]{0,40})?|events|phone|tracking)$/;

export const CHANNELS = [
  'banner',
  'text_link',
  'newsletter',
  'contest',
  'social_media',
  'coupon',
  'video_ad',
  'content_download',
  'event',
  'offline',
  'referral',
  'direct',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** Contact columns the built-in field types fill (contacts' ContactFields names). */
export const CONTACT_FIELD_OF: Partial<Record<FieldType, string>> = {
  first_name: 'firstName',
  last_name: 'lastName',
  company: 'companyName',
  position: 'jobTitle',
  phone: 'phone',
  country: 'country',
};

const Text = (max: number) => Type.String({ maxLength: max });
export const LocalizedText = (max = 2000) =>
  Type.Object({ de: Text(max), en: Text(max) }, { additionalProperties: false });
export type Localized = { de: string; en: string };

export const FieldDef = Type.Object(
  {
    key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
    type: Type.Union(FIELD_TYPES.map((t) => Type.Literal(t))),
    label: LocalizedText(200),
    /** Why we ask (Art. 13): shown under the field. */
    purpose: LocalizedText(300),
    required: Type.Boolean(),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
    options: Type.Optional(
      Type.Array(
        Type.Object(
          { value: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,60}$' }), label: LocalizedText(200) },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type FieldDef = Static<typeof FieldDef>;

export const ConsentBoxDef = Type.Object(
  {
    key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
    purpose: Type.String({ maxLength: 63 }),
    /** The exact text the person agrees to, as it is shown. */
    text: LocalizedText(2000),
    /** Bumped whenever the text changes; recorded in the ledger. */
    textVersion: Type.String({ minLength: 1, maxLength: 40 }),
    /** The box must be ticked to submit: only on newsletter forms or "content in exchange for consent". */
    required: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type ConsentBoxDef = Static<typeof ConsentBoxDef>;

export const HiddenFieldDef = Type.Object(
  {
    key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
    /** A fixed value, or taken from this query parameter of the page (e.g. `gclid`, `partner`). */
    value: Type.Optional(Type.String({ maxLength: 200 })),
    fromQuery: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' })),
  },
  { additionalProperties: false },
);
export type HiddenFieldDef = Static<typeof HiddenFieldDef>;

export const FormDefinition = Type.Object(
  {
    locales: Type.Array(Type.Union([Type.Literal('de'), Type.Literal('en')]), {
      minItems: 1,
      maxItems: 2,
      uniqueItems: true,
    }),
    defaultLocale: Type.Union([Type.Literal('de'), Type.Literal('en')]),
    title: LocalizedText(200),
    intro: LocalizedText(2000),
    submitLabel: LocalizedText(80),
    /** Art. 13: who is responsible, what the data is for, where the privacy notice is. */
    controller: Type.Object(
      { name: Text(200), address: Text(400), email: Text(254) },
      { additionalProperties: false },
    ),
    purposeStatement: LocalizedText(1000),
    privacyNoticeUrl: Text(2000),
    privacyNoticeVersion: Text(40),
    fields: Type.Array(FieldDef, { maxItems: 40 }),
    hiddenFields: Type.Array(HiddenFieldDef, { maxItems: 20 }),
    consents: Type.Array(ConsentBoxDef, { maxItems: 20 }),
    /** Gated content: the asset delivered after the address is confirmed. */
    assetId: Type.Union([Type.String({ pattern: '^[0-9a-fA-F-]{36}$' }), Type.Null()]),
    /** "Content in exchange for consent" (Art. 7(4) coupling), chosen explicitly; the form says so. */
    contentForConsent: Type.Boolean(),
    couplingNotice: LocalizedText(1000),
    progressive: Type.Object(
      {
        enabled: Type.Boolean(),
        /** Field keys asked one or two at a time, in this order, once the contact is known. */
        queue: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 40 }),
        perVisit: Type.Integer({ minimum: 1, maximum: 2 }),
      },
      { additionalProperties: false },
    ),
    /** Proof-of-work (ALTCHA) on this form; on by default. */
    proofOfWork: Type.Boolean(),
    /** Event/webinar forms: what people register for (shown on the form). */
    eventName: Type.Optional(Text(200)),
    /** Coupon and contest forms: the code field is filled from the link (`?code=`). */
    codeFromQuery: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type FormDefinition = Static<typeof FormDefinition>;

type Problem = { field: string; message: string };

function localesOk(def: FormDefinition, text: Localized | undefined): boolean {
  return !!text && def.locales.every((l) => text[l].trim() !== '');
}

/**
 * Data minimisation (Art. 5(1)(c)): a newsletter form requires the e-mail address and nothing
 * else. Refused with a stable code so that the builder can say so.
 */
export function checkNewsletterRule(kind: FormKindName, def: FormDefinition): void {
  if (kind !== 'newsletter') return;
  const extra = def.fields.filter((f) => f.type !== 'email' && f.required).map((f) => f.key);
  if (extra.length > 0) throw new AppError('FORM_NEWSLETTER_REQUIRES_ONLY_EMAIL', { fields: extra });
}

/** Structure rules that hold for drafts as well as published versions. */
/** The fixed choices of each BANT field type (`bant_need` …), for the builder's preview of an unsaved draft. */
export function bantChoicesByFieldType(): Record<
  string,
  { value: string; label: { de: string; en: string } }[]
> {
  return Object.fromEntries(
    Object.entries(BANT_FIELD_OF).map(([type, bant]) => [
      type,
      BANT_CHOICES[bant].map((c) => ({ value: c.value, label: { ...c.label } })),
    ]),
  );
}

/** A definition with the fixed choices of its BANT questions (whatever the client sent for them). */
export function withFixedChoices(def: FormDefinition): FormDefinition {
  if (!def.fields.some((f) => BANT_FIELD_OF[f.type])) return def;
  const choices = bantChoicesByFieldType();
  return {
    ...def,
    fields: def.fields.map((f) => {
      const options = BANT_FIELD_OF[f.type] ? choices[f.type] : undefined;
      return options ? { ...f, options } : f;
    }),
  };
}

export function checkDefinition(kind: FormKindName, def: FormDefinition): void {
  checkNewsletterRule(kind, def);
  const problems: Problem[] = [];
  const keys = new Set<string>();
  const types = new Set<FieldType>();
  for (const [i, f] of def.fields.entries()) {
    if (keys.has(f.key)) problems.push({ field: `fields.${i}.key`, message: 'duplicate key' });
    keys.add(f.key);
    if (BANT_FIELD_OF[f.type] && types.has(f.type))
      problems.push({ field: `fields.${i}.type`, message: 'this qualification question is asked twice' });
    types.add(f.type);
    if (f.type === 'select' && (!f.options || f.options.length === 0))
      problems.push({ field: `fields.${i}.options`, message: 'a choice needs options' });
    if (f.type === 'email' && !f.required)
      problems.push({ field: `fields.${i}.required`, message: 'the e-mail address is always required' });
  }
  if (def.fields.filter((f) => f.type === 'email').length !== 1)
    problems.push({ field: 'fields', message: 'exactly one e-mail field' });
  for (const [i, h] of def.hiddenFields.entries()) {
    if (keys.has(h.key)) problems.push({ field: `hiddenFields.${i}.key`, message: 'duplicate key' });
    keys.add(h.key);
  }
  const boxKeys = new Set<string>();
  const purposes = new Set<string>();
  for (const [i, c] of def.consents.entries()) {
    if (boxKeys.has(c.key)) problems.push({ field: `consents.${i}.key`, message: 'duplicate key' });
    boxKeys.add(c.key);
    if (!CONSENT_PURPOSE_RE.test(c.purpose))
      problems.push({
        field: `consents.${i}.purpose`,
        message: 'newsletter, newsletter:<topic>, events, phone or tracking',
      });
    if (purposes.has(c.purpose)) problems.push({ field: `consents.${i}.purpose`, message: 'asked twice' });
    purposes.add(c.purpose);
    // Art. 7(4): a required box couples the form's point to a consent. Allowed only where the
    // consent is the point (the newsletter box of a newsletter form), or where the workspace
    // explicitly chose "content in exchange for consent" and the form says so.
    if (c.required && !def.contentForConsent && !(kind === 'newsletter' && isNewsletterPurpose(c.purpose)))
      problems.push({
        field: `consents.${i}.required`,
        message: 'a required consent box needs "content in exchange for consent"',
      });
  }
  for (const key of def.progressive.queue) {
    if (!def.fields.some((f) => f.key === key && f.type !== 'email'))
      problems.push({ field: 'progressive.queue', message: `unknown field ${key}` });
  }
  if (!def.locales.includes(def.defaultLocale))
    problems.push({ field: 'defaultLocale', message: 'must be one of the locales' });
  if (problems.length > 0) throw new AppError('FORM_DEFINITION_INVALID', { fields: problems });
}

function isNewsletterPurpose(purpose: string): boolean {
  return purpose === 'newsletter' || purpose.startsWith('newsletter:');
}

/** Everything a published form must have: texts in its languages, Art. 13 information. */
export function checkPublishable(kind: FormKindName, def: FormDefinition): void {
  checkDefinition(kind, def);
  const problems: Problem[] = [];
  if (!localesOk(def, def.title)) problems.push({ field: 'title', message: 'missing in a language' });
  if (!localesOk(def, def.submitLabel))
    problems.push({ field: 'submitLabel', message: 'missing in a language' });
  if (!localesOk(def, def.purposeStatement))
    problems.push({ field: 'purposeStatement', message: 'name the purpose (Art. 13)' });
  if (def.controller.name.trim() === '')
    problems.push({ field: 'controller.name', message: 'name the controller (Art. 13)' });
  if (!/^https?:\/\/[^\s]+$/.test(def.privacyNoticeUrl))
    problems.push({ field: 'privacyNoticeUrl', message: 'link the privacy notice (Art. 13)' });
  if (def.privacyNoticeVersion.trim() === '')
    problems.push({ field: 'privacyNoticeVersion', message: 'required' });
  for (const [i, f] of def.fields.entries()) {
    if (!localesOk(def, f.label))
      problems.push({ field: `fields.${i}.label`, message: 'missing in a language' });
    if (f.type !== 'email' && !localesOk(def, f.purpose))
      problems.push({ field: `fields.${i}.purpose`, message: 'say why you ask (Art. 13)' });
  }
  for (const [i, c] of def.consents.entries()) {
    if (!localesOk(def, c.text))
      problems.push({ field: `consents.${i}.text`, message: 'missing in a language' });
  }
  if (kind === 'newsletter' && !def.consents.some((c) => isNewsletterPurpose(c.purpose)))
    problems.push({ field: 'consents', message: 'a newsletter form asks for newsletter consent' });
  if (kind === 'gated_content' && !def.assetId)
    problems.push({ field: 'assetId', message: 'choose the content to deliver' });
  if (def.contentForConsent && !localesOk(def, def.couplingNotice))
    problems.push({
      field: 'couplingNotice',
      message: 'the form must say that content is given for consent',
    });
  if (problems.length > 0) throw new AppError('FORM_DEFINITION_INVALID', { fields: problems });
}

const both = (de: string, en: string): Localized => ({ de, en });

/** A sensible starting point for each kind of form, in both languages. */
export function defaultDefinition(kind: FormKindName): FormDefinition {
  const email: FieldDef = {
    key: 'email',
    type: 'email',
    label: both('E-Mail-Adresse', 'E-mail address'),
    purpose: both('Damit wir Ihnen schreiben können.', 'So that we can write to you.'),
    required: true,
  };
  const field = (key: string, type: FieldType, de: string, en: string, required = false): FieldDef => ({
    key,
    type,
    label: both(de, en),
    purpose: both('Damit wir Ihre Anfrage besser verstehen.', 'To understand your request better.'),
    required,
  });
  const newsletterBox: ConsentBoxDef = {
    key: 'newsletter',
    purpose: 'newsletter',
    text: both(
      'Ja, ich möchte den Newsletter per E-Mail erhalten. Die Einwilligung kann ich jederzeit mit einem Klick widerrufen.',
      'Yes, I would like to receive the newsletter by e-mail. I can withdraw this consent at any time with one click.',
    ),
    textVersion: '1',
    required: kind === 'newsletter',
  };
  const base: FormDefinition = {
    locales: ['de', 'en'],
    defaultLocale: 'de',
    title: both('Newsletter abonnieren', 'Subscribe to the newsletter'),
    intro: both('', ''),
    submitLabel: both('Absenden', 'Submit'),
    controller: { name: '', address: '', email: '' },
    purposeStatement: both(
      'Wir verwenden Ihre Angaben nur für den hier genannten Zweck.',
      'We use your details only for the purpose named here.',
    ),
    privacyNoticeUrl: '',
    privacyNoticeVersion: '1',
    fields: [email],
    hiddenFields: [],
    consents: [newsletterBox],
    assetId: null,
    contentForConsent: false,
    couplingNotice: both('', ''),
    progressive: { enabled: false, queue: [], perVisit: 1 },
    proofOfWork: true,
  };
  switch (kind) {
    case 'newsletter':
      return { ...base, submitLabel: both('Anmelden', 'Subscribe') };
    case 'gated_content':
      return {
        ...base,
        title: both('Whitepaper herunterladen', 'Download the white paper'),
        submitLabel: both('Download anfordern', 'Request download'),
        fields: [
          email,
          field('first_name', 'first_name', 'Vorname', 'First name'),
          field('company', 'company', 'Firma', 'Company'),
        ],
      };
    case 'event':
      return {
        ...base,
        title: both('Zum Webinar anmelden', 'Register for the webinar'),
        submitLabel: both('Anmelden', 'Register'),
        fields: [
          email,
          field('first_name', 'first_name', 'Vorname', 'First name', true),
          field('last_name', 'last_name', 'Nachname', 'Last name', true),
          field('company', 'company', 'Firma', 'Company'),
        ],
        consents: [
          {
            key: 'events',
            purpose: 'events',
            text: both(
              'Ja, laden Sie mich per E-Mail zu weiteren Veranstaltungen und Webinaren ein. Widerruf jederzeit möglich.',
              'Yes, invite me to further events and webinars by e-mail. I can withdraw at any time.',
            ),
            textVersion: '1',
            required: false,
          },
        ],
      };
    case 'contest':
      return {
        ...base,
        title: both('Am Gewinnspiel teilnehmen', 'Enter the contest'),
        submitLabel: both('Teilnehmen', 'Enter'),
        fields: [email, field('first_name', 'first_name', 'Vorname', 'First name', true)],
        consents: [{ ...newsletterBox, required: false }],
        codeFromQuery: true,
      };
    case 'coupon':
      return {
        ...base,
        title: both('Gutschein anfordern', 'Request your coupon'),
        submitLabel: both('Gutschein anfordern', 'Get the coupon'),
        consents: [{ ...newsletterBox, required: false }],
        codeFromQuery: true,
      };
    case 'contact_request':
      return {
        ...base,
        title: both('Beratung anfragen', 'Request a consultation'),
        submitLabel: both('Anfrage senden', 'Send request'),
        fields: [
          email,
          field('first_name', 'first_name', 'Vorname', 'First name', true),
          field('last_name', 'last_name', 'Nachname', 'Last name', true),
          field('company', 'company', 'Firma', 'Company', true),
          field('phone', 'phone', 'Telefon', 'Phone'),
          field('message', 'textarea', 'Ihre Nachricht', 'Your message'),
        ],
        consents: [
          {
            key: 'phone',
            purpose: 'phone',
            text: both(
              'Ja, der Vertrieb darf mich zu meiner Anfrage telefonisch kontaktieren. Widerruf jederzeit möglich.',
              'Yes, sales may call me about my request. I can withdraw at any time.',
            ),
            textVersion: '1',
            required: false,
          },
          { ...newsletterBox, required: false },
        ],
      };
  }
}
