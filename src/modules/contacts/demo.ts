import { demoAdminActor } from '../../shared/demo-actor.js';
import type { DemoContext } from '../../shared/module.js';
import { type ActivityInput, recordActivities } from './activities.repository.js';
import { createContact, type LifecycleStage } from './contacts.service.js';
import { insertCustomField } from './custom-fields.js';
import { rescoreContacts } from './quality.service.js';
import { addSegmentMembers, createSegment } from './segments.service.js';

/*
 * Demo data for `leadwerk demo`: qualification fields, companies linked by domain (the free-mail
 * contacts get none), contacts in every lifecycle stage with owners from the demo team, a
 * timeline of 90 days (form submissions with UTM attribution, downloads, mails, webinars, stage
 * moves, notes and calls), a pair of duplicates to merge, data-quality findings (a role address,
 * a disposable address, a domain without mail server, stale fields), and saved segments.
 * Addresses are under `.example`, which no mail reaches.
 */

const DAY = 86_400_000;

interface Person {
  email: string;
  first?: string;
  last?: string;
  title?: string;
  phone?: string;
  city?: string;
  country?: string;
  stage: LifecycleStage;
  channel: string;
  tags?: string[];
  budget?: number;
  interest?: string;
  daysAgo: number;
  /** The timeline story of the contact. */
  story: 'nurture' | 'webinar' | 'noshow' | 'hot' | 'quiet' | 'customer';
}

const PEOPLE: Person[] = [
  {
    email: 'katrin.vogt@nordwind-anlagenbau.example',
    first: 'Katrin',
    last: 'Vogt',
    title: 'Leiterin Instandhaltung',
    phone: '+49 40 555 120',
    city: 'Hamburg',
    country: 'DE',
    stage: 'sql',
    channel: 'content download',
    tags: ['messe'],
    budget: 80000,
    interest: 'predictive',
    daysAgo: 88,
    story: 'hot',
  },
  {
    email: 'ole.hansen@nordwind-anlagenbau.example',
    first: 'Ole',
    last: 'Hansen',
    title: 'Einkauf',
    city: 'Hamburg',
    country: 'DE',
    stage: 'engaged',
    channel: 'event',
    daysAgo: 60,
    story: 'webinar',
  },
  {
    email: 'info@nordwind-anlagenbau.example',
    stage: 'subscriber',
    channel: 'direct',
    daysAgo: 30,
    story: 'quiet',
  },
  {
    email: 'sabine.krueger@rheintal-automation.example',
    first: 'Sabine',
    last: 'Krüger',
    title: 'CTO',
    phone: '+49 221 4711',
    city: 'Köln',
    country: 'DE',
    stage: 'mql',
    channel: 'banner',
    tags: ['webinar'],
    budget: 45000,
    interest: 'monitoring',
    daysAgo: 72,
    story: 'webinar',
  },
  {
    email: 'markus.weiss@rheintal-automation.example',
    first: 'Markus',
    last: 'Weiß',
    title: 'Produktionsleiter',
    city: 'Köln',
    country: 'DE',
    stage: 'engaged',
    channel: 'newsletter',
    daysAgo: 45,
    story: 'noshow',
  },
  {
    email: 'j.fuchs@alpen-pharma.example',
    first: 'Julia',
    last: 'Fuchs',
    title: 'Head of Engineering',
    phone: '+43 1 234 567',
    city: 'Wien',
    country: 'AT',
    stage: 'opportunity',
    channel: 'referral',
    tags: ['vip'],
    budget: 120000,
    interest: 'predictive',
    daysAgo: 85,
    story: 'hot',
  },
  {
    email: 'p.huber@alpen-pharma.example',
    first: 'Peter',
    last: 'Huber',
    title: 'Qualitätssicherung',
    city: 'Wien',
    country: 'AT',
    stage: 'subscriber',
    channel: 'social',
    daysAgo: 20,
    story: 'nurture',
  },
  {
    email: 'lena.roth@saale-logistik.example',
    first: 'Lena',
    last: 'Roth',
    title: 'Geschäftsführerin',
    phone: '+49 345 98 76',
    city: 'Halle',
    country: 'DE',
    stage: 'customer',
    channel: 'event',
    tags: ['messe', 'vip'],
    budget: 60000,
    interest: 'monitoring',
    daysAgo: 90,
    story: 'customer',
  },
  {
    email: 'tim.berger@saale-logistik.example',
    first: 'Tim',
    last: 'Berger',
    title: 'IT-Leiter',
    city: 'Halle',
    country: 'DE',
    stage: 'sal',
    channel: 'content download',
    budget: 30000,
    daysAgo: 50,
    story: 'hot',
  },
  {
    email: 'anna.meyer@bodensee-medtech.example',
    first: 'Anna',
    last: 'Meyer',
    title: 'Innovation Manager',
    city: 'Konstanz',
    country: 'DE',
    stage: 'mql',
    channel: 'text link',
    tags: ['webinar'],
    interest: 'monitoring',
    daysAgo: 40,
    story: 'webinar',
  },
  {
    email: 'r.schulz@bodensee-medtech.example',
    first: 'Ralf',
    last: 'Schulz',
    title: 'Einkauf',
    city: 'Konstanz',
    country: 'DE',
    stage: 'recycled',
    channel: 'coupon',
    daysAgo: 80,
    story: 'quiet',
  },
  {
    email: 'claire.dubois@lyon-composites.example',
    first: 'Claire',
    last: 'Dubois',
    title: 'Directrice technique',
    city: 'Lyon',
    country: 'FR',
    stage: 'engaged',
    channel: 'video ad',
    interest: 'predictive',
    daysAgo: 35,
    story: 'nurture',
  },
  {
    email: 'tom.baker@midlands-engineering.example',
    first: 'Tom',
    last: 'Baker',
    title: 'Operations Director',
    phone: '+44 121 496 0000',
    city: 'Birmingham',
    country: 'GB',
    stage: 'mql',
    channel: 'banner',
    budget: 50000,
    daysAgo: 28,
    story: 'hot',
  },
  {
    email: 'verkauf@mosel-metall.example',
    stage: 'subscriber',
    channel: 'contest',
    daysAgo: 15,
    story: 'quiet',
  },
  {
    email: 'f.wagner@mosel-metall.example',
    first: 'Frank',
    last: 'Wagner',
    title: 'Werksleiter',
    city: 'Trier',
    country: 'DE',
    stage: 'disqualified',
    channel: 'offline',
    daysAgo: 70,
    story: 'quiet',
  },
  // Free-mail addresses: no company is created for them.
  {
    email: 'maria.lange@gmail.com',
    first: 'Maria',
    last: 'Lange',
    city: 'Berlin',
    country: 'DE',
    stage: 'subscriber',
    channel: 'social',
    daysAgo: 12,
    story: 'nurture',
  },
  // The same mailbox again (Gmail ignores dots, googlemail is gmail): proposed as a duplicate.
  {
    email: 'marialange@googlemail.com',
    last: 'Lange',
    title: 'Freie Beraterin',
    phone: '+49 30 1234',
    stage: 'engaged',
    channel: 'event',
    tags: ['webinar'],
    daysAgo: 5,
    story: 'webinar',
  },
  {
    email: 'kai.neumann@web.de',
    first: 'Kai',
    last: 'Neumann',
    country: 'DE',
    stage: 'subscriber',
    channel: 'newsletter',
    daysAgo: 8,
    story: 'nurture',
  },
  { email: 'test123@mailinator.com', stage: 'subscriber', channel: 'contest', daysAgo: 3, story: 'quiet' },
  // Same name at the same company: proposed as a duplicate too.
  {
    email: 'k.vogt@nordwind-anlagenbau.example',
    first: 'Katrin',
    last: 'Vogt',
    phone: '+49 40 555 121',
    stage: 'subscriber',
    channel: 'offline',
    daysAgo: 10,
    story: 'quiet',
  },
];

function storyOf(p: Person, contactId: string, workspaceId: string, now: Date): ActivityInput[] {
  const at = (daysAgo: number, hours = 10) => new Date(now.getTime() - daysAgo * DAY + hours * 3_600_000);
  const a = (
    type: string,
    daysAgo: number,
    data: Record<string, unknown> = {},
    ref?: string,
  ): ActivityInput => ({
    workspaceId,
    contactId,
    type,
    occurredAt: at(daysAgo),
    data,
    ref,
    source: 'demo',
  });
  const first = a(
    'capture.form-submitted',
    p.daysAgo,
    {
      form: p.channel === 'event' ? 'Messe-Anmeldung' : 'Whitepaper Instandhaltung 4.0',
      utm_source: p.channel === 'banner' ? 'fachportal' : p.channel === 'social' ? 'linkedin' : 'website',
      utm_medium: p.channel,
      utm_campaign: 'instandhaltung-2026',
      landing_url: 'https://nordlicht.example/whitepaper/instandhaltung',
    },
    'form:demo-whitepaper',
  );
  const out = [first];
  if (p.story === 'quiet') return out;
  out.push(
    a(
      'capture.asset-downloaded',
      p.daysAgo,
      { asset: 'Whitepaper Instandhaltung 4.0' },
      'asset:demo-whitepaper',
    ),
  );
  for (let d = p.daysAgo - 7; d > 0; d -= 14) {
    out.push(a('mail.sent', d, { subject: 'Newsletter' }, `message:demo-nl-${d}`));
    if (d % 3 !== 0) out.push(a('mail.opened', d - 1, {}, `message:demo-nl-${d}`));
    if (p.story === 'hot' || d % 5 === 0)
      out.push(
        a('mail.clicked', d - 1, { url: 'https://nordlicht.example/webinar' }, `message:demo-nl-${d}`),
      );
  }
  if (p.story === 'webinar' || p.story === 'noshow' || p.story === 'hot') {
    out.push(
      a('capture.event-registered', 20, { event: 'Webinar: Sensordaten in 30 Tagen' }, 'event:demo-webinar'),
    );
    if (p.story !== 'noshow') out.push(a('events.attended', 12, { minutes: 48 }, 'event:demo-webinar'));
  }
  if (p.story === 'hot' || p.story === 'customer') {
    out.push(
      a('contacts.call-logged', 6, { text: 'Bedarf bestätigt, Angebot bis Monatsende', by: 'Jonas Weber' }),
    );
    out.push(
      a('contacts.note-added', 4, { text: 'Budget freigegeben, Entscheidung im Q2', by: 'Jonas Weber' }),
    );
  }
  if (['mql', 'sal', 'sql', 'opportunity', 'customer'].includes(p.stage))
    out.push(
      a('contacts.stage-changed', 9, {
        from: 'engaged',
        to: p.stage,
        reason: 'Score über Schwelle',
        by: 'system',
      }),
    );
  return out;
}

export async function seedContactsDemo(ctx: DemoContext): Promise<void> {
  const { deps, workspaceId } = ctx;
  const { db, clock } = deps;
  const now = clock.now();
  const { actor } = await demoAdminActor(ctx);
  const sales = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('role', 'in', ['sales', 'admin'])
    .orderBy('user_id')
    .execute();

  await insertCustomField(db, workspaceId, 'contact', {
    key: 'budget',
    label: 'Budget (EUR)',
    type: 'number',
    qualification: true,
    position: 1,
  });
  await insertCustomField(db, workspaceId, 'contact', {
    key: 'interest',
    label: 'Interesse',
    type: 'choice',
    options: [
      { value: 'predictive', label: 'Vorausschauende Instandhaltung' },
      { value: 'monitoring', label: 'Zustandsüberwachung' },
    ],
    qualification: true,
    position: 2,
  });
  // The MX cache for the demo domains (reserved `.example` names never resolve): one without a mail server.
  const domains = [...new Set(PEOPLE.map((p) => p.email.split('@')[1]!))].filter((d) =>
    d.endsWith('.example'),
  );
  for (const domain of domains) {
    const status = domain === 'mosel-metall.example' ? 'no_mx' : 'ok';
    const values = {
      domain,
      status,
      mx: JSON.stringify(status === 'ok' ? [`mx.${domain}`] : []),
      checked_at: now,
      expires_at: new Date(now.getTime() + 7 * DAY),
    } as const;
    await db
      .insertInto('email_domains')
      .values(values)
      .onConflict((oc) => oc.column('domain').doUpdateSet(values))
      .execute();
  }

  const ids: Record<string, string> = {};
  const activities: ActivityInput[] = [];
  for (const [i, p] of PEOPLE.entries()) {
    const contact = await createContact(db, clock, actor, workspaceId, {
      email: p.email,
      firstName: p.first,
      lastName: p.last,
      jobTitle: p.title,
      phone: p.phone,
      city: p.city,
      country: p.country,
      locale: p.country === 'GB' || p.country === 'FR' ? 'en' : 'de',
      sourceChannel: p.channel,
      lifecycleStage: p.stage,
      ownerUserId: ['sal', 'sql', 'opportunity', 'customer'].includes(p.stage)
        ? sales[i % Math.max(1, sales.length)]?.user_id
        : undefined,
      tags: p.tags,
      customFields: {
        ...(p.budget ? { budget: p.budget } : {}),
        ...(p.interest ? { interest: p.interest } : {}),
      },
    });
    ids[p.email] = contact.id;
    // Backdated: known since the first form; the older contacts' fields were last confirmed back then.
    const since = new Date(now.getTime() - p.daysAgo * DAY);
    const confirmed = new Date(now.getTime() - (p.daysAgo > 80 ? 400 : p.daysAgo) * DAY).toISOString();
    const meta = Object.fromEntries(
      Object.keys(contact.field_meta ?? {}).map((k) => [
        k,
        { at: confirmed, source: p.channel === 'offline' ? 'import' : 'form' },
      ]),
    );
    await db
      .updateTable('contacts')
      .set({ created_at: since, field_meta: JSON.stringify(meta) })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', contact.id)
      .execute();
    await db
      .updateTable('activities')
      .set({ occurred_at: since })
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', contact.id)
      .where('type', '=', 'contacts.created')
      .execute();
    activities.push(...storyOf(p, contact.id, workspaceId, now));
  }
  await recordActivities(db, activities);
  const contacts = await db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .execute();
  await rescoreContacts(db, contacts, now);

  const g = (...children: unknown[]) => ({ kind: 'group', op: 'and', children });
  await createSegment(db, clock, actor, workspaceId, {
    name: 'MQL mit Budget',
    description: 'Marketing-qualifiziert und Budget ab 40.000 EUR',
    definition: g(
      { kind: 'field', field: 'lifecycle_stage', operator: 'in', value: ['mql', 'sql', 'sal'] },
      { kind: 'custom', key: 'budget', operator: 'gte', value: 40000 },
    ),
  });
  await createSegment(db, clock, actor, workspaceId, {
    name: 'Webinar angemeldet, nicht teilgenommen',
    definition: g(
      { kind: 'activity', type: 'capture.event-registered', ref: 'event:demo-webinar' },
      { kind: 'activity', type: 'events.attended', ref: 'event:demo-webinar', negate: true },
    ),
  });
  await createSegment(db, clock, actor, workspaceId, {
    name: 'Klick in den letzten 30 Tagen',
    definition: g({ kind: 'activity', type: 'mail.clicked', withinDays: 30 }),
  });
  await createSegment(db, clock, actor, workspaceId, {
    name: 'Datenqualität prüfen',
    description: 'Score unter 60: Adresse, fehlende oder veraltete Angaben',
    definition: g({ kind: 'field', field: 'quality_score', operator: 'lt', value: 60 }),
  });
  const messe = await createSegment(db, clock, actor, workspaceId, {
    name: 'Messe Hannover 2026: Einladung',
    description: 'Von Hand ausgewählt, dazu alle mit Tag messe',
    definition: g({ kind: 'field', field: 'tags', operator: 'contains_any', value: ['messe'] }),
  });
  await addSegmentMembers(db, clock, actor, workspaceId, messe.id, {
    ids: [ids['j.fuchs@alpen-pharma.example']!, ids['tom.baker@midlands-engineering.example']!],
  });
}
