import type { Executor } from '../../shared/db/index.js';
import { escapeHtml } from '../../shared/http/public-page.js';
import type { AppDeps } from '../../shared/module.js';
import { enqueueMessage } from '../mail/index.js';
import { findUser, insertNotifications } from './sales.repository.js';
import type { LeadSummary } from './summary.js';

/** Notification kinds: in-app entries, mails and their texts. */
export type NotificationKind = 'lead.assigned' | 'lead.reminder' | 'lead.escalated' | 'lead.unassigned';

const TEXTS: Record<NotificationKind, Record<'de' | 'en', { subject: string; intro: string }>> = {
  'lead.assigned': {
    en: {
      subject: 'New lead for you: {who}',
      intro: 'A new lead was handed to you. Please accept or reject it.',
    },
    de: {
      subject: 'Neuer Lead für Sie: {who}',
      intro: 'Ihnen wurde ein neuer Lead übergeben. Bitte nehmen Sie ihn an oder lehnen Sie ihn ab.',
    },
  },
  'lead.reminder': {
    en: {
      subject: 'Reminder: lead waiting for you: {who}',
      intro: 'This lead is still waiting for your answer.',
    },
    de: {
      subject: 'Erinnerung: Lead wartet auf Sie: {who}',
      intro: 'Dieser Lead wartet noch auf Ihre Antwort.',
    },
  },
  'lead.escalated': {
    en: {
      subject: 'Lead not accepted in time: {who}',
      intro: 'This lead was not accepted within the agreed time.',
    },
    de: {
      subject: 'Lead nicht rechtzeitig angenommen: {who}',
      intro: 'Dieser Lead wurde nicht in der vereinbarten Zeit angenommen.',
    },
  },
  'lead.unassigned': {
    en: {
      subject: 'Lead without a rep: {who}',
      intro: 'Nobody was available for this lead. Please assign it by hand.',
    },
    de: {
      subject: 'Lead ohne Zuständigkeit: {who}',
      intro: 'Für diesen Lead war niemand verfügbar. Bitte weisen Sie ihn von Hand zu.',
    },
  },
};

const LABELS = {
  en: {
    company: 'Company',
    source: 'Source',
    phone: 'Phone',
    noPhone: 'no consent to phone contact',
    scores: 'Scores',
    bant: 'Qualification (BANT)',
    recent: 'Last interactions',
    consents: 'Consents',
    open: 'Open in Leadwerk',
    none: '–',
    fit: 'Fit',
    engagement: 'Engagement',
    temperature: { cold: 'cold', warm: 'warm', hot: 'hot' },
    on: 'on',
    qualified: 'qualified',
    notQualified: 'not qualified yet',
    need: 'Need',
    budget: 'Budget',
    authority: 'Authority',
    timeline: 'Timeline',
    yes: 'yes',
    no: 'no',
    unknown: 'unknown',
    roles: { decision_maker: 'decision maker', influencer: 'influencer', user: 'user', unknown: 'unknown' },
    sources: {
      form: 'form',
      journey: 'journey question',
      sales_call: 'sales call',
      import: 'import',
      api: 'API',
    },
    purposes: {
      newsletter: 'newsletter',
      events: 'event invitations',
      phone: 'phone contact',
      tracking: 'tracking',
    },
  },
  de: {
    company: 'Unternehmen',
    source: 'Quelle',
    phone: 'Telefon',
    noPhone: 'keine Einwilligung zu Anrufen',
    scores: 'Scores',
    bant: 'Qualifizierung (BANT)',
    recent: 'Letzte Interaktionen',
    consents: 'Einwilligungen',
    open: 'In Leadwerk öffnen',
    none: '–',
    fit: 'Fit',
    engagement: 'Engagement',
    temperature: { cold: 'kalt', warm: 'warm', hot: 'heiß' },
    on: 'am',
    qualified: 'qualifiziert',
    notQualified: 'noch nicht qualifiziert',
    need: 'Bedarf',
    budget: 'Budget',
    authority: 'Entscheidungsbefugnis',
    timeline: 'Zeitrahmen',
    yes: 'ja',
    no: 'nein',
    unknown: 'unbekannt',
    roles: {
      decision_maker: 'Entscheider',
      influencer: 'Beeinflusser',
      user: 'Anwender',
      unknown: 'unbekannt',
    },
    sources: {
      form: 'Formular',
      journey: 'Journey-Frage',
      sales_call: 'Vertriebsgespräch',
      import: 'Import',
      api: 'API',
    },
    purposes: {
      newsletter: 'Newsletter',
      events: 'Event-Einladungen',
      phone: 'Anrufe durch den Vertrieb',
      tracking: 'Tracking',
    },
  },
};

type Labels = (typeof LABELS)['en'];

/** A value of an untyped summary part as a record (the summary is stored JSON). */
function rec(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

const signed = (n: number) => (n >= 0 ? `+${n}` : String(n));

/** "Fit 40 (Head of +40) · Engagement 30 (White paper +30 on 2026-05-04) · warm" — for people. */
export function scoresText(scores: Record<string, unknown> | null, l: Labels): string {
  if (!scores) return '';
  const reasons = (list: unknown) =>
    (Array.isArray(list) ? list : [])
      .map(rec)
      .map((r) => {
        const points = Math.round(Number(r.decayed ?? r.points ?? 0));
        const at = typeof r.at === 'string' ? ` ${l.on} ${r.at.slice(0, 10)}` : '';
        return `${String(r.rule ?? '')} ${signed(points)}${at}`;
      })
      .join(', ');
  const fit = reasons(scores.fitReasons);
  const engagement = reasons(scores.engagementReasons);
  const temperature = l.temperature[String(scores.temperature) as keyof Labels['temperature']];
  return [
    `${l.fit} ${String(scores.fit ?? l.none)}${fit ? ` (${fit})` : ''}`,
    `${l.engagement} ${String(scores.engagement ?? l.none)}${engagement ? ` (${engagement})` : ''}`,
    ...(temperature ? [temperature] : []),
  ].join(' · ');
}

/** "qualified · Need: yes – CRM (form, 2026-05-01) · Budget: … · Authority: … · Timeline: …". */
export function bantText(bant: Record<string, unknown> | null, l: Labels): string {
  if (!bant) return '';
  const answers = rec(bant.answers);
  const sources = rec(bant.sources);
  const source = (field: string) => {
    const m = rec(sources[field]);
    if (!m.source) return '';
    const name = l.sources[String(m.source) as keyof Labels['sources']] ?? String(m.source);
    return ` (${name}${typeof m.answeredAt === 'string' ? `, ${m.answeredAt.slice(0, 10)}` : ''})`;
  };
  const yesNo = (v: unknown) => (v === true ? l.yes : v === false ? l.no : l.unknown);
  const need = rec(answers.need);
  const budget = rec(answers.budget);
  const authority = rec(answers.authority);
  const timeline = rec(answers.timeline);
  const extra = (...parts: unknown[]) => {
    const text = parts.filter((p) => typeof p === 'string' && p !== '').join(', ');
    return text ? ` – ${text}` : '';
  };
  return [
    bant.qualified === true ? l.qualified : l.notQualified,
    `${l.need}: ${yesNo(need.exists)}${extra(need.project, need.when)}${source('need')}`,
    `${l.budget}: ${yesNo(budget.exists)}${extra(budget.range)}${source('budget')}`,
    `${l.authority}: ${
      authority.role
        ? (l.roles[String(authority.role) as keyof Labels['roles']] ?? String(authority.role))
        : l.unknown
    }${source('authority')}`,
    `${l.timeline}: ${typeof timeline.when === 'string' ? timeline.when : l.unknown}${source('timeline')}`,
  ].join(' · ');
}

function who(summary: LeadSummary): string {
  return summary.who.name ? `${summary.who.name} <${summary.who.email}>` : summary.who.email;
}

/** The transactional mail to a rep or manager about a lead: subject, HTML (escaped) and text. */
export function leadMailContent(
  kind: NotificationKind,
  locale: 'de' | 'en',
  summary: LeadSummary,
  link: string,
): { subject: string; html: string; text: string } {
  const t = TEXTS[kind][locale];
  const l = LABELS[locale];
  const company = [
    summary.company.name,
    summary.company.industry,
    summary.company.size,
    summary.company.country,
  ]
    .filter(Boolean)
    .join(', ');
  const rows: [string, string][] = [
    [l.company, company || l.none],
    [l.source, summary.sourceChannel ?? l.none],
    [l.phone, summary.who.phone ?? l.noPhone],
    [l.scores, scoresText(summary.scores, l) || l.none],
    [l.bant, bantText(summary.bant, l) || l.none],
    [
      l.recent,
      summary.lastInteractions.map((a) => `${a.type} (${a.occurredAt.slice(0, 10)})`).join(', ') || l.none,
    ],
    [
      l.consents,
      summary.consents
        .filter((c) => c.given)
        .map((c) => l.purposes[c.purpose as keyof Labels['purposes']] ?? c.purpose)
        .join(', ') || l.none,
    ],
  ];
  const subject = t.subject.replace('{who}', who(summary)).slice(0, 250);
  const text = [
    t.intro,
    '',
    who(summary),
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    `${l.open}: ${link}`,
  ].join('\n');
  const html = `<p>${escapeHtml(t.intro)}</p><p><strong>${escapeHtml(who(summary))}</strong>${
    summary.who.jobTitle ? `<br>${escapeHtml(summary.who.jobTitle)}` : ''
  }</p><table>${rows
    .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</table><p><a href="${escapeHtml(link)}">${escapeHtml(l.open)}</a></p>`;
  return { subject, html, text };
}

/**
 * Tells users about a lead: an in-app notification each, and a transactional mail (the mail module
 * sends it as a job; idempotent per lead, assignment and kind).
 */
export async function notifyUsers(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue' | 'config'>,
  input: {
    workspaceId: string;
    userIds: string[];
    kind: NotificationKind;
    leadId: string;
    contactId: string;
    seq: number;
    summary: LeadSummary;
    defaultLocale: 'de' | 'en';
  },
): Promise<void> {
  const now = deps.clock.now();
  const userIds = [...new Set(input.userIds)];
  await insertNotifications(
    trx,
    userIds.map((userId) => ({
      workspaceId: input.workspaceId,
      userId,
      kind: input.kind,
      at: now,
      data: { leadId: input.leadId, contactId: input.contactId, who: who(input.summary) },
    })),
  );
  const link = `${deps.config.publicUrl}/app/leads?lead=${input.leadId}`;
  for (const userId of userIds) {
    const user = await findUser(trx, userId);
    if (!user || user.disabled_at) continue;
    const locale = user.locale ?? input.defaultLocale;
    await enqueueMessage(trx, deps, {
      workspaceId: input.workspaceId,
      kind: 'transactional',
      to: user.email,
      locale,
      content: leadMailContent(input.kind, locale, input.summary, link),
      idempotencyKey: `sales:${input.leadId}:${input.seq}:${input.kind}:${userId}`,
    });
  }
}
