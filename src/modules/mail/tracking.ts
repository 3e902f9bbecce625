import { createHmac } from 'node:crypto';
import { safeEqual } from '../../shared/crypto.js';

/*
 * Open pixel and click tracking, only for contacts with a tracking consent (TDDDG §25) in a
 * workspace that turned tracking on; everyone else gets their links untouched. Links are signed
 * (HMAC under SECRET_KEY over message and target), so the redirect endpoint is no open redirect.
 */

function sign(secret: string, value: string): string {
  return createHmac('sha256', secret).update(`track:${value}`).digest('base64url').slice(0, 22);
}

export function openPixelUrl(publicUrl: string, secret: string, messageId: string): string {
  return `${publicUrl}/t/o/${messageId}/${sign(secret, messageId)}.gif`;
}

export function clickUrl(publicUrl: string, secret: string, messageId: string, target: string): string {
  return `${publicUrl}/t/c/${messageId}?u=${encodeURIComponent(target)}&s=${sign(secret, `${messageId}:${target}`)}`;
}

export function verifyOpen(secret: string, messageId: string, signature: string): boolean {
  return safeEqual(sign(secret, messageId), signature);
}

export function verifyClick(secret: string, messageId: string, target: string, signature: string): boolean {
  return safeEqual(sign(secret, `${messageId}:${target}`), signature);
}

const HREF_RE = /href="(https?:\/\/[^"]+)"/gi;

function unescapeAttr(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

/**
 * Rewrites the http(s) links of a rendered HTML part to go through the click endpoint and adds the
 * open pixel. Links to our own public pages (unsubscribe, preferences) stay as they are.
 */
export function addTracking(html: string, publicUrl: string, secret: string, messageId: string): string {
  const rewritten = html.replace(HREF_RE, (whole, href: string) => {
    const target = unescapeAttr(href);
    if (target.startsWith(`${publicUrl}/`)) return whole;
    return `href="${escapeAttr(clickUrl(publicUrl, secret, messageId, target))}"`;
  });
  const pixel = `<img src="${escapeAttr(openPixelUrl(publicUrl, secret, messageId))}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
  const at = rewritten.lastIndexOf('</body>');
  return at === -1 ? `${rewritten}${pixel}` : `${rewritten.slice(0, at)}${pixel}${rewritten.slice(at)}`;
}
