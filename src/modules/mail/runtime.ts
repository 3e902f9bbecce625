import type { AppDeps } from '../../shared/module.js';
import type { DkimKey } from './mime/dkim.js';
import { MailRenderer } from './render/renderer.js';
import type { RecordActivities, SendPermissionCheck } from './send-permission.js';
import { createOutboxTransport, createSmtpTransport, type MailTransport } from './transport.js';

/*
 * What a process keeps for sending mail: the transport (the SMTP pool's open connections), the
 * compiled templates and the decrypted DKIM keys. One per AppDeps (per app or test), never global;
 * closed with the workers (see the module's `services`).
 */

export interface MailRuntime {
  transport: MailTransport;
  renderer: MailRenderer;
  /** Decrypted keys by `<sending domain id>:<updated_at>`, so a rotated key is used at once. */
  dkimKeys: Map<string, DkimKey>;
  /** The consent module's getSendPermission, handed in by src/modules.ts (see send-permission.ts). */
  getSendPermission: SendPermissionCheck;
  /** The contacts module's recordActivities (timeline), handed in the same way. */
  recordActivities: RecordActivities;
}

/** What src/modules.ts hands to the mail module (see send-permission.ts for why). */
export interface MailWiring {
  getSendPermission: SendPermissionCheck;
  recordActivities: RecordActivities;
}

const runtimes = new WeakMap<AppDeps, MailRuntime>();
/** The wiring of the dependencies whose process runs the mail module's jobs (see registerMailWiring). */
const wirings = new WeakMap<AppDeps, MailWiring>();

/**
 * Called when the mail module's jobs are collected for these dependencies (a worker will run
 * them): from then on other modules' jobs may send mail directly (delivery.service.ts, directSender).
 */
export function registerMailWiring(deps: AppDeps, wiring: MailWiring): void {
  wirings.set(deps, wiring);
}

/** The mail runtime of a process that runs the mail jobs; undefined where none are registered. */
export function registeredMailRuntime(deps: AppDeps): MailRuntime | undefined {
  const wiring = wirings.get(deps);
  return wiring ? mailRuntime(deps, wiring) : undefined;
}

/** The mail runtime of these dependencies, created on first use. */
export function mailRuntime(deps: AppDeps, wiring: MailWiring, transport?: MailTransport): MailRuntime {
  let rt = runtimes.get(deps);
  if (!rt) {
    rt = {
      transport:
        transport ??
        (deps.config.smtpUrl
          ? createSmtpTransport({ url: deps.config.smtpUrl, poolSize: deps.config.smtpPoolSize })
          : createOutboxTransport()),
      renderer: new MailRenderer(),
      dkimKeys: new Map(),
      getSendPermission: wiring.getSendPermission,
      recordActivities: wiring.recordActivities,
    };
    runtimes.set(deps, rt);
  }
  return rt;
}

/** A runtime of its own, not shared with the process (the demo seeds into the outbox with it). */
export function createMailRuntime(wiring: MailWiring, transport: MailTransport): MailRuntime {
  return {
    transport,
    renderer: new MailRenderer(),
    dkimKeys: new Map(),
    getSendPermission: wiring.getSendPermission,
    recordActivities: wiring.recordActivities,
  };
}

/** Closes the SMTP pool of these dependencies (idle connections would keep a process alive). */
export async function closeMailRuntime(deps: AppDeps): Promise<void> {
  const rt = runtimes.get(deps);
  runtimes.delete(deps);
  await rt?.transport.close();
}
