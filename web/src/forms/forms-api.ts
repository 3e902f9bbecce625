import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export type FormKind = 'newsletter' | 'gated_content' | 'event' | 'contest' | 'coupon' | 'contact_request';
export const FORM_KINDS: FormKind[] = [
  'newsletter',
  'gated_content',
  'event',
  'contest',
  'coupon',
  'contact_request',
];
export type FieldType =
  | 'email'
  | 'first_name'
  | 'last_name'
  | 'company'
  | 'position'
  | 'phone'
  | 'country'
  | 'product_interest'
  | 'text'
  | 'textarea'
  | 'select'
  | 'bant_need'
  | 'bant_budget'
  | 'bant_authority'
  | 'bant_timeline';
/** Qualification questions (BANT): their choices are fixed by the server and feed scoring. */
export const isBantField = (type: FieldType): boolean => type.startsWith('bant_');
export const FIELD_TYPES: FieldType[] = [
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
];
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

export interface Localized {
  de: string;
  en: string;
}
export interface FieldDef {
  key: string;
  type: FieldType;
  label: Localized;
  purpose: Localized;
  required: boolean;
  maxLength?: number;
  options?: { value: string; label: Localized }[];
}
export interface ConsentBoxDef {
  key: string;
  purpose: string;
  text: Localized;
  textVersion: string;
  required: boolean;
}
export interface HiddenFieldDef {
  key: string;
  value?: string;
  fromQuery?: string;
}
export interface FormDefinition {
  locales: ('de' | 'en')[];
  defaultLocale: 'de' | 'en';
  title: Localized;
  intro: Localized;
  submitLabel: Localized;
  controller: { name: string; address: string; email: string };
  purposeStatement: Localized;
  privacyNoticeUrl: string;
  privacyNoticeVersion: string;
  fields: FieldDef[];
  hiddenFields: HiddenFieldDef[];
  consents: ConsentBoxDef[];
  assetId: string | null;
  contentForConsent: boolean;
  couplingNotice: Localized;
  progressive: { enabled: boolean; queue: string[]; perVisit: number };
  proofOfWork: boolean;
  eventName?: string;
  codeFromQuery?: boolean;
}
export interface FormStats {
  views: number;
  submissions: number;
  confirmations: number;
  confirmationRate: number | null;
}
export interface FormSummary {
  id: string;
  name: string;
  slug: string;
  kind: FormKind;
  status: 'draft' | 'published' | 'archived';
  publishedVersion: number | null;
  allowedOrigins: string[];
  hostedUrl: string;
  createdAt: string;
  updatedAt: string;
  stats: FormStats;
}
export interface FormDetail {
  form: FormSummary;
  draft: FormDefinition;
  published: FormDefinition | null;
  versions: { version: number; publishedAt: string }[];
  snippets: { hosted: string; embed: string; html: string };
  /** The fixed choices of the BANT field types (the server's list), to preview them before a save. */
  bantChoices?: Partial<Record<FieldType, { value: string; label: Localized }[]>>;
}
export interface Submission {
  id: string;
  formVersion: number;
  submittedAt: string;
  via: string;
  channel: string;
  utm: Record<string, string | null>;
  referrer: string | null;
  landingUrl: string | null;
  couponCode: string | null;
  contestCode: string | null;
  purposes: string[];
  locale: string;
  outcome: string;
}
export interface CaptureStatus {
  paused: boolean;
  breakers: { scope: string; reason: string; openedAt: string; closesAt: string }[];
  heldSubmissions: number;
}
/** What a piece of gated content is (the server's ASSET_KINDS). */
export const ASSET_KINDS = [
  'white-paper',
  'checklist',
  'guide',
  'case-study',
  'e-book',
  'webinar-recording',
  'other',
] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export interface Asset {
  id: string;
  title: string;
  kind: AssetKind;
  source: 'file' | 'url';
  url: string | null;
  fileName: string | null;
}
/** How pickers name an asset: its title and its kind ("Wartungsleitfaden · Checkliste"). */
export function assetLabel(t: TFunction, asset: { title: string; kind?: string | null }): string {
  const kind = ASSET_KINDS.find((k) => k === asset.kind) ?? 'other';
  return `${asset.title} · ${t(`forms.assets.kinds.${kind}`)}`;
}

export interface ShortLink {
  id: string;
  code: string;
  name: string;
  url: string;
  formId: string | null;
  targetUrl: string | null;
  channel: string;
  utm: Record<string, string>;
  clicks: number;
  disabledAt: string | null;
}

export function useForms() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('forms'),
    queryFn: async () => (await api.get<{ items: FormSummary[] }>('/api/v1/forms')).items,
  });
}

export function useForm(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('forms', id),
    queryFn: () => api.get<FormDetail>(`/api/v1/forms/${encodeURIComponent(id)}`),
  });
}

export function useCaptureStatus(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('capture-status'),
    enabled,
    queryFn: () => api.get<CaptureStatus>('/api/v1/capture/status'),
    refetchInterval: 30_000,
  });
}

export function useSubmissions(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('forms', id, 'submissions'),
    queryFn: async () =>
      (await api.get<{ items: Submission[] }>(`/api/v1/forms/${encodeURIComponent(id)}/submissions`)).items,
  });
}

export function useAssets() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('assets'),
    queryFn: async () => (await api.get<{ items: Asset[] }>('/api/v1/assets')).items,
  });
}

export function useShortLinks() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('short-links'),
    queryFn: async () => (await api.get<{ items: ShortLink[] }>('/api/v1/short-links')).items,
  });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  const key = useWorkspaceKey();
  return () => queryClient.invalidateQueries({ queryKey: key });
}

export function useCreateForm() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: { name: string; slug: string; kind: FormKind }) =>
      api.post<{ form: FormSummary }>('/api/v1/forms', body),
    onSuccess: invalidate,
  });
}

export function useSaveForm(id: string) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: {
      name?: string;
      slug?: string;
      definition?: FormDefinition;
      allowedOrigins?: string[];
    }) => api.patch<FormDetail>(`/api/v1/forms/${encodeURIComponent(id)}`, body),
    onSuccess: invalidate,
  });
}

export function usePublishForm(id: string) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: () => api.post<FormDetail>(`/api/v1/forms/${encodeURIComponent(id)}/publish`),
    onSuccess: invalidate,
  });
}

export function useResumeCapture() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (held: 'release' | 'discard') => api.post<CaptureStatus>('/api/v1/capture/resume', { held }),
    onSuccess: invalidate,
  });
}

export function useCreateShortLink() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: { name: string; formId: string; channel: string; utm: Record<string, string> }) =>
      api.post<ShortLink>('/api/v1/short-links', body),
    onSuccess: invalidate,
  });
}

export function useCreateAsset() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: {
      title: string;
      kind: AssetKind;
      url?: string;
      fileName?: string;
      contentType?: string;
      contentBase64?: string;
    }) => api.post<Asset>('/api/v1/assets', body),
    onSuccess: invalidate,
  });
}
