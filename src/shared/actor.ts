/** Who did something, and from where: what services need to write an audit entry, without HTTP types. */
export interface Actor {
  userId: string | null;
  apiKeyId: string | null;
  label: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** The actor for work the system does by itself (jobs, CLI). */
export function systemActor(label = 'system'): Actor {
  return { userId: null, apiKeyId: null, label, ip: null, userAgent: null, requestId: null };
}

/** A signed-in user (or the demo's admin) acting outside a request: no IP, user agent or request id. */
export function userActor(user: { id: string; email: string }): Actor {
  return { userId: user.id, apiKeyId: null, label: user.email, ip: null, userAgent: null, requestId: null };
}
