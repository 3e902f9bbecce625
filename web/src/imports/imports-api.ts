import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiClient } from '../api/client.js';
import { useApi } from '../api/context.js';
import { followDownload, uploadRaw } from '../contacts/contacts-api.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export type ImportStatus = 'uploaded' | 'staging' | 'staged' | 'applying' | 'done' | 'failed' | 'cancelled';

export interface ImportJob {
  id: string;
  fileName: string;
  fileSize: number;
  status: ImportStatus;
  encoding: string;
  delimiter: string;
  header: string[];
  preview: string[][];
  settings: Record<string, unknown>;
  totalRows: number;
  errorRows: number;
  appliedRows: number;
  created: number;
  updated: number;
  skipped: number;
  suppressed: number;
  consents: number;
  chunks: number;
  failure: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** The dry run of an import started with `review` (status `staged` until confirmed). */
  review: ImportReview | null;
}

export interface ImportReview {
  rows: number;
  create: number;
  update: number;
  skip: number;
  suppressed: number;
  rejected: number;
  errors: { row: number; email: string | null; error: string }[];
}

export interface ImportSettings {
  mapping: Record<string, string>;
  existing: 'skip' | 'update' | 'fill_empty';
  mode: 'all_or_nothing' | 'valid_rows';
  /** Stop after checking every row and show the dry run; the user confirms. */
  review?: boolean;
  encoding?: 'utf-8' | 'windows-1252' | 'iso-8859-1';
  tags?: string[];
  consent?: { purpose: string; legalBasis: 'consent' | 'existing_customer'; proof: string };
}

/** Where a column can go (the server's PROFILE_TARGETS; custom fields are `custom:<key>`). */
export const PROFILE_TARGETS = [
  'email',
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'city',
  'country',
  'locale',
  'lifecycle_stage',
  'source_channel',
  'tags',
  'consent',
  'consent_date',
] as const;

export const RUNNING: ImportStatus[] = ['staging', 'staged', 'applying'];

export function useImports() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('imports'),
    queryFn: async () => (await api.get<{ items: ImportJob[] }>('/api/v1/imports')).items,
  });
}

/** One import; polled every second while it runs (the progress bar). */
export function useImport(id: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('imports', id),
    queryFn: async () =>
      (await api.get<{ import: ImportJob }>(`/api/v1/imports/${encodeURIComponent(id ?? '')}`)).import,
    enabled: id !== null,
    refetchInterval: (q) => (q.state.data && RUNNING.includes(q.state.data.status) ? 1000 : false),
  });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  const key = useWorkspaceKey();
  return () => queryClient.invalidateQueries({ queryKey: key });
}

export function useUpload() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ file, preset }: { file: File; preset: string | null }) => {
      const params = new URLSearchParams({ fileName: file.name.slice(0, 300) });
      if (preset) params.set('preset', preset);
      return uploadRaw<{ import: ImportJob; suggestedMapping: Record<string, string> }>(
        api,
        `/api/v1/imports?${params.toString()}`,
        file,
      );
    },
    onSuccess: invalidate,
  });
}

export function useImportAction() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async ({
      id,
      action,
      settings,
    }: {
      id: string;
      action: 'start' | 'cancel' | 'resume' | 'confirm';
      settings?: ImportSettings | Pick<ImportSettings, 'existing' | 'mode'>;
    }) =>
      (
        await api.post<{ import: ImportJob }>(
          `/api/v1/imports/${encodeURIComponent(id)}/${action}`,
          settings ?? {},
        )
      ).import,
    onSuccess: invalidate,
  });
}

/**
 * Downloads an import's whole error report: asks for a one-time link, then lets the browser's
 * download manager stream it to disk (a large report never enters the tab).
 */
export async function downloadImportReport(api: ApiClient, importId: string): Promise<void> {
  const { url } = await api.post<{ url: string; expiresAt: string }>(
    `/api/v1/imports/${encodeURIComponent(importId)}/report-tokens`,
    {},
  );
  followDownload(url, 'import-report.csv');
}

/** Rows of the error report the page shows (the download has them all). */
export const REPORT_PREVIEW_ROWS = 20;

/** A small CSV reader for the error report shown on screen (RFC 4180 quotes; the file is ours). */
export function parseCsv(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (let i = 0; i < body.length && rows.length < maxRows; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if ((field || row.length > 0) && rows.length < maxRows) rows.push([...row, field]);
  return rows;
}
