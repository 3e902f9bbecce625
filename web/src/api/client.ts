/**
 * The one way the UI talks to the server. It adds the headers every call needs (language, workspace,
 * CSRF token) and turns the error envelope `{ error: { code, message, details, requestId } }` into an
 * ApiError whose message is already in the reader's language.
 */

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, details?: unknown, requestId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  /** Field errors from a VALIDATION_FAILED answer (`details.fields`), empty otherwise. */
  get fieldErrors(): FieldError[] {
    const fields = (this.details as { fields?: unknown } | undefined)?.fields;
    if (!Array.isArray(fields)) return [];
    return fields.filter(
      (f): f is FieldError =>
        typeof f === 'object' && f !== null && typeof (f as FieldError).field === 'string',
    );
  }
}

export type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** Leave out the workspace header, for routes that are not workspace-scoped. */
  withoutWorkspace?: boolean;
}

export interface ApiClientState {
  csrfToken: string | null;
  workspaceId: string | null;
  locale: string;
}

export interface ApiClient {
  readonly state: ApiClientState;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  delete<T = void>(path: string): Promise<T>;
}

function buildUrl(baseUrl: string, path: string, query?: Query): string {
  const url = `${baseUrl}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

async function toApiError(response: Response, fallbackMessage: string): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(
      response.status,
      error.code,
      typeof error.message === 'string' ? error.message : fallbackMessage,
      error.details,
      typeof error.requestId === 'string' ? error.requestId : undefined,
    );
  }
  return new ApiError(response.status, `HTTP_${response.status}`, fallbackMessage);
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Shown when the server cannot be reached or sends no error envelope; receives the current locale. */
  fallbackMessage?: (locale: string) => string;
}

/** Creates the client; its state (token, workspace, language) is set by the providers that own it. */
export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const fallback = options.fallbackMessage ?? (() => 'The server could not be reached.');
  const state: ApiClientState = { csrfToken: null, workspaceId: null, locale: 'en' };

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-language': state.locale,
    };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD' && state.csrfToken) headers['x-csrf-token'] = state.csrfToken;
    if (state.workspaceId && !opts.withoutWorkspace) headers['x-workspace-id'] = state.workspaceId;

    let response: Response;
    try {
      response = await doFetch(buildUrl(baseUrl, path, opts.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (cause) {
      throw new ApiError(0, 'NETWORK_ERROR', fallback(state.locale), { cause: String(cause) });
    }
    if (!response.ok) throw await toApiError(response, fallback(state.locale));
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    state,
    request,
    get: (path, query) => request('GET', path, { query }),
    post: (path, body) => request('POST', path, { body: body ?? {} }),
    patch: (path, body) => request('PATCH', path, { body: body ?? {} }),
    delete: (path) => request('DELETE', path),
  };
}
