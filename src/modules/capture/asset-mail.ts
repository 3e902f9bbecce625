import { escapeHtml } from '../../shared/http/public-page.js';

/**
 * The delivery mail of gated content for someone who ticked no consent box: only the link, the
 * asset's title (set by the workspace) and why they get it — no advertising, nothing the requester
 * typed. Receiving it is what proves the address: only its owner gets the link.
 */
export function renderAssetMail(input: { locale: 'de' | 'en'; title: string; url: string; sender: string }) {
  const de = input.locale === 'de';
  const subject = de ? `Ihr Download: ${input.title}` : `Your download: ${input.title}`;
  const intro = de
    ? `Sie haben „${input.title}“ angefordert. Hier ist Ihr Download-Link (30 Tage gültig):`
    : `You requested “${input.title}”. Here is your download link (valid for 30 days):`;
  const button = de ? 'Jetzt herunterladen' : 'Download now';
  const ignore = de
    ? 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail einfach; wir schreiben Ihnen nicht wieder.'
    : 'If you did not request this, simply ignore this e-mail; we will not write to you again.';
  const text = `${intro}\n\n${input.url}\n\n${ignore}\n\n${input.sender}\n`;
  const html = `<!doctype html><html lang="${input.locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;color:#1b1f24;background:#ffffff">
<p style="margin:0 0 16px">${escapeHtml(intro)}</p>
<p style="margin:0 0 24px"><a href="${escapeHtml(input.url)}" style="display:inline-block;padding:12px 20px;background:#0b5cad;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">${escapeHtml(button)}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#4a5360">${escapeHtml(ignore)}</p>
<p style="margin:0;font-size:13px;color:#4a5360">${escapeHtml(input.sender)}</p>
</body></html>`;
  return { subject, html, text };
}
