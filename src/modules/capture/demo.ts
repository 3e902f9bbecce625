import type { Actor } from '../../shared/actor.js';
import { AppError } from '../../shared/errors.js';
import type { DemoContext } from '../../shared/module.js';
import { createAsset } from './assets.service.js';
import { createCaptureContext } from './capture-context.js';
import { defaultDefinition, type FormDefinition, type FormKindName } from './form-definition.js';
import { createForm, publishForm } from './forms.service.js';
import { createShortLink } from './short-links.service.js';
import { liveVersionOf, submitForm } from './submit.service.js';

const PEOPLE = [
  ['lena.fischer', 'Lena', 'Fischer', 'Fischer Maschinenbau GmbH'],
  ['tobias.wagner', 'Tobias', 'Wagner', 'Wagner Logistik AG'],
  ['sophie.braun', 'Sophie', 'Braun', 'Braun & Partner'],
  ['felix.richter', 'Felix', 'Richter', 'Richter Software GmbH'],
  ['mia.koch', 'Mia', 'Koch', 'Koch Medizintechnik'],
  ['paul.schulz', 'Paul', 'Schulz', 'Schulz Elektro KG'],
  ['hannah.wolf', 'Hannah', 'Wolf', 'Wolf Consulting'],
  ['david.neumann', 'David', 'Neumann', 'Neumann Bau GmbH'],
  ['laura.schwarz', 'Laura', 'Schwarz', 'Schwarz Textil'],
  ['oliver.bennett', 'Oliver', 'Bennett', 'Bennett Analytics Ltd'],
] as const;

const CAMPAIGNS: Record<string, string>[] = [
  { utm_source: 'linkedin', utm_medium: 'social', utm_campaign: 'herbst-2026' },
  { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'oktober-ausgabe' },
  { utm_source: 'fachportal', utm_medium: 'banner', utm_campaign: 'messe-nachlese' },
  { utm_source: 'youtube', utm_medium: 'video', utm_campaign: 'produktvideo' },
  {},
];

/**
 * Seeds capture for a demo workspace: a newsletter form, a white-paper download and a webinar
 * registration, all published, with short links and a few dozen submissions from several
 * channels (through the real submission path, so contacts, consents and the ledger are real).
 */
export async function seedCaptureDemo(ctx: DemoContext): Promise<void> {
  const { deps, workspaceId } = ctx;
  const actor: Actor = {
    userId: ctx.adminUserId,
    apiKeyId: null,
    label: 'demo',
    ip: null,
    userAgent: null,
    requestId: null,
  };
  const suffix = workspaceId.slice(-6);
  const controller = {
    name: 'Demo GmbH',
    address: 'Musterstraße 1, 10115 Berlin',
    email: 'datenschutz@demo.example',
  };
  const complete = (kind: FormKindName, extra: Partial<FormDefinition> = {}): FormDefinition => ({
    ...defaultDefinition(kind),
    controller,
    privacyNoticeUrl: 'https://demo.example/datenschutz',
    ...extra,
  });

  const asset = await createAsset(deps, actor, workspaceId, {
    title: 'Whitepaper: DSGVO-konformes Lead-Management',
    url: 'https://demo.example/downloads/whitepaper-lead-management.pdf',
  });
  const forms = [
    {
      name: 'Newsletter',
      slug: `newsletter-${suffix}`,
      kind: 'newsletter' as const,
      def: complete('newsletter'),
    },
    {
      name: 'Whitepaper Lead-Management',
      slug: `whitepaper-${suffix}`,
      kind: 'gated_content' as const,
      def: complete('gated_content', { assetId: asset.id }),
    },
    {
      name: 'Webinar: Double Opt-in richtig gemacht',
      slug: `webinar-doi-${suffix}`,
      kind: 'event' as const,
      def: complete('event', {
        eventName: 'Webinar „Double Opt-in richtig gemacht“, 10. Dezember, 10:00 Uhr',
      }),
    },
  ];
  const captureCtx = createCaptureContext(deps, {
    powEnabled: false,
    limits: {
      perIp: { limit: 1_000_000, windowSeconds: 60 },
      perForm: { limit: 1_000_000, windowSeconds: 60 },
      perWorkspace: { limit: 1_000_000, windowSeconds: 60 },
      global: { limit: 1_000_000, windowSeconds: 60 },
      breakerMinutes: 1,
    },
  });
  const admin = await deps.db
    .selectFrom('users')
    .select('email')
    .where('id', '=', ctx.adminUserId)
    .executeTakeFirst();
  if (!admin) throw new AppError('NOT_FOUND', { reason: 'the demo admin does not exist' });
  const domain = 'example.com';

  for (const [i, f] of forms.entries()) {
    const form = await createForm(deps.db, deps.clock, actor, workspaceId, {
      name: f.name,
      slug: f.slug,
      kind: f.kind,
      definition: f.def,
      allowedOrigins: ['https://www.demo.example'],
    });
    await publishForm(deps.db, deps.clock, actor, workspaceId, form.id);
    const link = await createShortLink(deps.db, actor, workspaceId, {
      name: `Banner ${f.name}`,
      code: `${f.kind.slice(0, 4)}-${suffix}`,
      formId: form.id,
      channel: 'banner',
      utm: { utm_source: 'fachportal', utm_campaign: 'herbst-2026' },
    });
    const live = await liveVersionOf(captureCtx, { ...form, published_version: 1 });
    if (!live) continue;
    for (const [j, [mailbox, first, last, company]] of PEOPLE.entries()) {
      if ((i + j) % 3 === 2 && f.kind !== 'newsletter') continue;
      const body: Record<string, unknown> = {
        email: `${mailbox}@${domain}`,
        first_name: first,
        last_name: last,
        company,
        lang: j % 4 === 3 ? 'en' : 'de',
        landing_url: `https://www.demo.example/${f.slug}`,
        ...CAMPAIGNS[(i + j) % CAMPAIGNS.length],
        ...(j % 5 === 0 ? { lw_src: link.code } : {}),
      };
      for (const box of f.def.consents) if (box.required || j % 2 === 0) body[`consent_${box.key}`] = 'on';
      await submitForm(captureCtx, live, {
        via: 'api',
        body,
        ip: `198.51.100.${10 + j}`,
        userAgent: 'Mozilla/5.0 (demo)',
        origin: undefined,
      });
    }
  }
}
