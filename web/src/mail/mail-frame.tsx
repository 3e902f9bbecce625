/**
 * A rendered mail, isolated: a sandboxed iframe without scripts, same origin or forms, so nothing
 * in a template can reach the admin UI. `width` is the viewport the mail is laid out for.
 */
export function MailFrame({
  html,
  title,
  width,
  height = 640,
}: {
  html: string;
  title: string;
  width: number | string;
  height?: number;
}) {
  return (
    <iframe
      title={title}
      sandbox=""
      srcDoc={html}
      style={{
        width,
        // A fixed preview width stays fixed: a narrow page scrolls instead of squeezing the mail.
        maxWidth: typeof width === 'number' ? 'none' : '100%',
        flexShrink: 0,
        height,
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 8,
        background: '#fff',
      }}
    />
  );
}
