import { isHardBounceStatus } from '../delivery-status.js';
import { type MimeNode, parseFieldGroups, parseHeaderBlock, parseMime, walk } from './mime-tree.js';

/*
 * Reads what comes back: delivery status notifications (RFC 3464: multipart/report with a
 * message/delivery-status part, as Postfix, Exim, Exchange/Outlook and Gmail send them),
 * complaint reports (ARF, RFC 5965: multipart/report with message/feedback-report, as Yahoo,
 * Outlook.com (JMRP) and other feedback loops send them), and — as a fallback — bounces that are
 * plain text but carry an enhanced status code. Finds the original message's Message-ID (from the
 * returned message or its headers) and the addresses the report was sent to (for VERP).
 */

export type BounceType = 'hard' | 'soft';

export interface RecipientStatus {
  recipient: string | null;
  action: string | null;
  status: string | null;
  diagnostic: string | null;
  /** null when this recipient did not bounce (delayed, delivered, relayed). */
  bounceType: BounceType | null;
}

export interface ParsedReport {
  kind: 'bounce' | 'complaint' | 'delay' | 'unknown';
  recipients: RecipientStatus[];
  feedbackType: string | null;
  /** Message-IDs of the original message, without angle brackets. */
  originalMessageIds: string[];
  /** Where the report was addressed (To, Delivered-To, X-Original-To): our VERP address, if any. */
  reportRecipients: string[];
}

const ADDRESS_RE = /<?([^\s<>"';,]+@[^\s<>"';,]+)>?/;

/** `rfc822; anna@example.com` → `anna@example.com`. */
function typedAddress(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  return ADDRESS_RE.exec(v.trim())?.[1]?.toLowerCase() ?? null;
}

function first(h: Map<string, string[]>, name: string): string | undefined {
  return h.get(name)?.[0];
}

const ADDRESS_PROBLEM =
  /user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|unknown recipient|recipient address rejected|mailbox unavailable|invalid (recipient|mailbox)|account (has been )?disabled|mailbox not found|address not found/i;

/** Hard: the address does not exist (or is disabled). Soft: anything else that failed. */
export function classifyBounce(status: string | null, diagnostic: string | null): BounceType {
  if (isHardBounceStatus(status)) return 'hard';
  if (status?.startsWith('5.') && diagnostic && ADDRESS_PROBLEM.test(diagnostic)) return 'hard';
  if ((status === null || status === '5.0.0') && diagnostic && ADDRESS_PROBLEM.test(diagnostic))
    return 'hard';
  return 'soft';
}

function enhancedStatus(value: string | undefined): string | null {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(value ?? '')?.[1] ?? null;
}

function messageIdsOf(nodes: MimeNode[]): string[] {
  const ids = new Set<string>();
  const add = (h: Map<string, string[]>) => {
    for (const v of h.get('message-id') ?? []) {
      const m = /<([^<>\s]+)>/.exec(v) ?? /([^<>\s]+@[^<>\s]+)/.exec(v);
      if (m?.[1]) ids.add(m[1]);
    }
  };
  for (const n of nodes) {
    if (n.contentType === 'message/rfc822' || n.contentType === 'message/global') {
      for (const inner of n.parts) add(inner.headers);
    }
    if (n.contentType === 'text/rfc822-headers' || n.contentType === 'message/global-headers') {
      add(parseHeaderBlock(n.body));
    }
  }
  return [...ids];
}

function reportRecipientsOf(root: MimeNode): string[] {
  const out = new Set<string>();
  for (const name of ['to', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to']) {
    for (const v of root.headers.get(name) ?? []) {
      for (const part of v.split(',')) {
        const a = ADDRESS_RE.exec(part)?.[1];
        if (a) out.add(a.toLowerCase());
      }
    }
  }
  return [...out];
}

/** Parses a report; `kind: 'unknown'` when it is neither a DSN nor an ARF report nor a readable bounce. */
export function parseReport(raw: string): ParsedReport {
  const root = parseMime(raw);
  const nodes = walk(root);
  const base = { originalMessageIds: messageIdsOf(nodes), reportRecipients: reportRecipientsOf(root) };

  const feedback = nodes.find((n) => n.contentType === 'message/feedback-report');
  if (feedback) {
    const groups = parseFieldGroups(feedback.body);
    const fields = groups[0] ?? new Map<string, string[]>();
    const feedbackType = (first(fields, 'feedback-type') ?? 'abuse').toLowerCase();
    const recipients = (fields.get('original-rcpt-to') ?? []).map((r) => ({
      recipient: typedAddress(r),
      action: null,
      status: null,
      diagnostic: null,
      bounceType: null,
    }));
    return {
      ...base,
      kind: feedbackType === 'not-spam' ? 'unknown' : 'complaint',
      feedbackType,
      recipients:
        recipients.length > 0
          ? recipients
          : [{ recipient: null, action: null, status: null, diagnostic: null, bounceType: null }],
    };
  }

  const dsn = nodes.find(
    (n) => n.contentType === 'message/delivery-status' || n.contentType === 'message/global-delivery-status',
  );
  if (dsn) {
    // The first group is about the message, the others are one per recipient.
    const groups = parseFieldGroups(dsn.body).slice(1);
    const recipients: RecipientStatus[] = groups.map((g) => {
      const action = first(g, 'action')?.toLowerCase() ?? null;
      const status = enhancedStatus(first(g, 'status'));
      const diagnostic = first(g, 'diagnostic-code')?.replace(/^[a-z0-9-]+;\s*/i, '') ?? null;
      const failed = action === 'failed' || (action === null && status?.startsWith('5.'));
      return {
        recipient: typedAddress(first(g, 'final-recipient') ?? first(g, 'original-recipient')),
        action,
        status,
        diagnostic: diagnostic?.slice(0, 1000) ?? null,
        bounceType: failed ? classifyBounce(status, diagnostic) : null,
      };
    });
    const bounced = recipients.some((r) => r.bounceType);
    const delayed = recipients.some((r) => r.action === 'delayed');
    return {
      ...base,
      kind: bounced ? 'bounce' : delayed ? 'delay' : 'unknown',
      feedbackType: null,
      recipients,
    };
  }

  // Not RFC 3464: a plain-text bounce from a mailer daemon with an enhanced status code in it.
  const from = first(root.headers, 'from') ?? '';
  const subject = first(root.headers, 'subject') ?? '';
  const text = nodes
    .filter((n) => n.contentType === 'text/plain')
    .map((n) => n.body)
    .join('\n');
  const looksLikeBounce =
    /mailer-daemon|postmaster/i.test(from) ||
    /undeliver|delivery (status|failure)|returned mail|failure notice/i.test(subject);
  const status = enhancedStatus(text);
  if (looksLikeBounce && status && !status.startsWith('2.')) {
    const recipient = /(?:^|\s)<?([^\s<>"]+@[^\s<>"]+?)>?:?\s*$/m.exec(text)?.[1]?.toLowerCase() ?? null;
    const line = text.split(/\r?\n/).find((l) => l.includes(status)) ?? null;
    return {
      ...base,
      kind: status.startsWith('4.') ? 'delay' : 'bounce',
      feedbackType: null,
      recipients: [
        {
          recipient,
          action: status.startsWith('4.') ? 'delayed' : 'failed',
          status,
          diagnostic: line?.trim().slice(0, 1000) ?? null,
          bounceType: status.startsWith('5.') ? classifyBounce(status, line) : null,
        },
      ],
    };
  }
  return { ...base, kind: 'unknown', feedbackType: null, recipients: [] };
}
