/** A tiny API client for test setup, speaking to the server like the UI does (cookie + CSRF token). */
export interface ApiSession {
  request<T>(
    method: string,
    path: string,
    body?: unknown,
    workspaceId?: string,
  ): Promise<{ status: number; body: T }>;
}

export async function loginViaApi(baseUrl: string, email: string, password: string): Promise<ApiSession> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

  return {
    async request<T>(method: string, path: string, body?: unknown, workspaceId?: string) {
      const headers: Record<string, string> = { cookie, 'x-csrf-token': csrfToken };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (workspaceId) headers['x-workspace-id'] = workspaceId;
      const r = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
  };
}
