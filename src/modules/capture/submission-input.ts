import { emailProblem, hasControlCharacters } from './email-address.js';
import {
  CHANNELS,
  type Channel,
  type FieldDef,
  type FormDefinition,
  type FormKindName,
} from './form-definition.js';

/*
 * The submitted values, from a JSON body or an urlencoded form post (the same flat names):
 *   <field key>            a field's answer            consent_<box key>   a ticked box ("on", "yes", true)
 *   <hidden field key>     a hidden field's value      lw_homepage         the honeypot (must stay empty)
 *   utm_source … utm_content, referrer, landing_url, lw_src (short link), code (coupon/contest)
 *   lw_t (time trap), altcha (proof-of-work payload), lw (profiling token), lang
 */

export const HONEYPOT_FIELD = 'lw_homepage';
export const RESERVED_KEYS = new Set([
  HONEYPOT_FIELD,
  'lw_t',
  'lw',
  'lw_src',
  'altcha',
  'lang',
  'code',
  'referrer',
  'landing_url',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'ip',
  'user_agent',
]);

const DEFAULT_MAX: Record<FieldDef['type'], number> = {
  email: 254,
  first_name: 200,
  last_name: 200,
  company: 300,
  position: 200,
  phone: 50,
  country: 2,
  product_interest: 200,
  text: 200,
  textarea: 2000,
  select: 60,
  bant_need: 60,
  bant_budget: 60,
  bant_authority: 60,
  bant_timeline: 60,
};

const PHONE_RE = /^\+?[0-9 ()./-]{3,50}$/;
const MAX_KEYS = 120;

export interface Attribution {
  channel: Channel;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  referrer: string | null;
  landingUrl: string | null;
  couponCode: string | null;
  contestCode: string | null;
  shortLinkCode: string | null;
}

export interface ParsedSubmission {
  email: string;
  answers: Record<string, string>;
  hidden: Record<string, string>;
  consentKeys: string[];
  honeypot: boolean;
  timeToken: string | undefined;
  powPayload: string | undefined;
  profileToken: string | undefined;
  locale: 'de' | 'en' | undefined;
  attribution: Omit<Attribution, 'channel'>;
  /** A coupon or contest code from the link or the person. */
  code: string | null;
}

export type FieldProblem = { field: string; message: string };

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length > 0) return str(value[value.length - 1]);
  return undefined;
}

function ticked(value: unknown): boolean {
  const v = str(value)?.toLowerCase();
  return v === 'on' || v === 'yes' || v === 'true' || v === '1';
}

/** A short single-line text from the outside: trimmed, length-capped, no control characters. */
function cleanShort(value: unknown, max: number): string | null {
  const s = str(value)?.trim();
  if (!s || hasControlCharacters(s)) return null;
  return s.slice(0, max);
}

function cleanUrl(value: unknown): string | null {
  const s = cleanShort(value, 2000);
  return s && /^https?:\/\/[^\s]+$/i.test(s) ? s : null;
}

/**
 * Parses and validates a submission against the fields visible to this person. Returns the values
 * or the list of problems (field → code), never throws for bad input.
 */
export function parseSubmission(
  def: FormDefinition,
  body: unknown,
  visibleFields: FieldDef[],
): { ok: true; value: ParsedSubmission } | { ok: false; problems: FieldProblem[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, problems: [{ field: '', message: 'invalid_body' }] };
  const input = body as Record<string, unknown>;
  if (Object.keys(input).length > MAX_KEYS)
    return { ok: false, problems: [{ field: '', message: 'too_many_fields' }] };
  const problems: FieldProblem[] = [];
  const answers: Record<string, string> = {};
  let email = '';
  for (const field of visibleFields) {
    const raw = str(input[field.key]);
    const value = raw?.trim() ?? '';
    if (value === '') {
      if (field.required) problems.push({ field: field.key, message: 'required' });
      continue;
    }
    const max = field.maxLength ?? DEFAULT_MAX[field.type];
    if (hasControlCharacters(value, field.type === 'textarea')) {
      problems.push({ field: field.key, message: 'control_characters' });
      continue;
    }
    if (value.length > max) {
      problems.push({ field: field.key, message: 'too_long' });
      continue;
    }
    switch (field.type) {
      case 'email': {
        const problem = emailProblem(value);
        if (problem) problems.push({ field: field.key, message: problem });
        else email = value;
        continue;
      }
      case 'country': {
        const upper = value.toUpperCase();
        if (!/^[A-Z]{2}$/.test(upper)) problems.push({ field: field.key, message: 'country_code' });
        else answers[field.key] = upper;
        continue;
      }
      case 'phone':
        if (!PHONE_RE.test(value)) problems.push({ field: field.key, message: 'phone' });
        else answers[field.key] = value;
        continue;
      case 'select':
      case 'product_interest':
      case 'bant_need':
      case 'bant_budget':
      case 'bant_authority':
      case 'bant_timeline':
        if (field.options && field.options.length > 0 && !field.options.some((o) => o.value === value))
          problems.push({ field: field.key, message: 'not_an_option' });
        else answers[field.key] = value;
        continue;
      default:
        answers[field.key] = value;
    }
  }
  const consentKeys: string[] = [];
  for (const box of def.consents) {
    const on = ticked(input[`consent_${box.key}`]);
    if (on) consentKeys.push(box.key);
    else if (box.required) problems.push({ field: `consent_${box.key}`, message: 'required' });
  }
  if (problems.length > 0) return { ok: false, problems };

  const hidden: Record<string, string> = {};
  for (const h of def.hiddenFields) {
    const v = h.value ?? cleanShort(input[h.key], 200);
    if (v) hidden[h.key] = v;
  }
  const code = cleanShort(input.code, 64);
  const lang = str(input.lang);
  return {
    ok: true,
    value: {
      email,
      answers,
      hidden,
      consentKeys,
      honeypot: (str(input[HONEYPOT_FIELD]) ?? '').trim() !== '',
      timeToken: str(input.lw_t),
      powPayload: str(input.altcha),
      profileToken: str(input.lw),
      locale: lang === 'de' || lang === 'en' ? lang : undefined,
      attribution: {
        utmSource: cleanShort(input.utm_source, 200),
        utmMedium: cleanShort(input.utm_medium, 200),
        utmCampaign: cleanShort(input.utm_campaign, 200),
        utmTerm: cleanShort(input.utm_term, 200),
        utmContent: cleanShort(input.utm_content, 200),
        referrer: cleanUrl(input.referrer),
        landingUrl: cleanUrl(input.landing_url),
        couponCode: null,
        contestCode: null,
        shortLinkCode: cleanShort(input.lw_src, 64),
      },
      code,
    },
  };
}

const MEDIUM_CHANNEL: Record<string, Channel> = {
  banner: 'banner',
  display: 'banner',
  cpm: 'banner',
  cpc: 'text_link',
  textlink: 'text_link',
  text_link: 'text_link',
  email: 'newsletter',
  newsletter: 'newsletter',
  social: 'social_media',
  'social-media': 'social_media',
  social_media: 'social_media',
  video: 'video_ad',
  video_ad: 'video_ad',
  referral: 'referral',
  offline: 'offline',
  print: 'offline',
  event: 'event',
  contest: 'contest',
  coupon: 'coupon',
};

/**
 * The channel of a submission: the short link's, else what utm_medium says, else what the form
 * is (coupon, contest, content download, event), else referral when another site sent the
 * person, else direct.
 */
export function channelOf(
  kind: FormKindName,
  a: Omit<Attribution, 'channel'>,
  shortLinkChannel: string | null,
  ownOrigin: string,
): Channel {
  if (shortLinkChannel && (CHANNELS as readonly string[]).includes(shortLinkChannel))
    return shortLinkChannel as Channel;
  const medium = a.utmMedium?.toLowerCase();
  if (medium && MEDIUM_CHANNEL[medium]) return MEDIUM_CHANNEL[medium]!;
  if (kind === 'coupon') return 'coupon';
  if (kind === 'contest') return 'contest';
  if (kind === 'gated_content') return 'content_download';
  if (kind === 'event') return 'event';
  if (a.referrer) {
    try {
      const ref = new URL(a.referrer);
      const landing = a.landingUrl ? new URL(a.landingUrl) : undefined;
      if (ref.origin !== ownOrigin && ref.host !== landing?.host) return 'referral';
    } catch {
      // not a URL: ignore
    }
  }
  return 'direct';
}
