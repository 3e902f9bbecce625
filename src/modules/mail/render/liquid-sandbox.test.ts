import { describe, expect, it } from 'vitest';
import { LiquidSandbox, toPlainData } from './liquid-sandbox.js';
import { templateScope } from './renderer.js';

const sandbox = new LiquidSandbox();

function render(html: string, data: Record<string, unknown>) {
  return sandbox.render(sandbox.parse({ subject: 's', html, text: html }), data);
}

const contact = {
  email: 'anna@kunde.example',
  first_name: 'Anna',
  last_name: 'Schmidt',
  company_name: null,
  job_title: null,
  country: 'DE',
  locale: 'de' as const,
  custom_fields: { branche: 'Maschinenbau' },
};

describe('Liquid sandbox', () => {
  it('renders the contact, with HTML escaped in the HTML part only', () => {
    const out = render('Hallo {{ contact.first_name | default: "du" }} {{ x }}', { contact, x: '<b>&</b>' });
    expect(out.html).toBe('Hallo Anna &lt;b&gt;&amp;&lt;/b&gt;');
    expect(out.text).toBe('Hallo Anna <b>&</b>');
  });

  it('cannot read the environment, the process or globals', () => {
    process.env.LEADWERK_SANDBOX_PROBE = 'leaked';
    for (const tpl of [
      '{{ process.env.LEADWERK_SANDBOX_PROBE }}',
      '{{ process.env }}',
      '{{ globalThis.process.env.LEADWERK_SANDBOX_PROBE }}',
      '{{ global }}{{ require }}{{ module }}{{ this }}',
      '{{ contact.constructor.constructor }}',
      '{{ contact.__proto__ }}{{ contact.toString }}{{ contact.hasOwnProperty }}',
    ]) {
      const out = render(tpl, { contact });
      expect(out.html, tpl).not.toContain('leaked');
      expect(out.html.trim(), tpl).toBe('');
    }
  });

  it('cannot include, render or lay out files', () => {
    for (const tpl of [
      "{% include '/etc/passwd' %}",
      "{% render '../../secret.key' %}",
      "{% layout 'x' %}",
      '{% include contact.email %}',
    ]) {
      expect(() => sandbox.parse({ subject: 's', html: tpl, text: '' }), tpl).toThrow(
        expect.objectContaining({ code: 'MAIL_TEMPLATE_INVALID' }),
      );
    }
  });

  it('refuses unknown filters instead of skipping them', () => {
    expect(() => sandbox.parse({ subject: 's', html: '{{ contact | inspect_all }}', text: '' })).toThrow(
      expect.objectContaining({ code: 'MAIL_TEMPLATE_INVALID' }),
    );
  });

  it('never runs getters or methods of the data it is given, and sees no prototypes', () => {
    let calls = 0;
    class Secretive {
      visible = 'ok';
      get secret() {
        calls++;
        return 'getter ran';
      }
      method() {
        calls++;
        return 'method ran';
      }
    }
    const own = { plain: 'p' };
    Object.defineProperty(own, 'hidden', {
      enumerable: true,
      get: () => {
        calls++;
        return 'own getter ran';
      },
    });
    const inherited = Object.create({ fromProto: 'proto value' });
    inherited.mine = 'm';
    const out = render(
      '{{ obj.visible }}|{{ obj.secret }}|{{ obj.method }}|{{ own.plain }}|{{ own.hidden }}|{{ inh.mine }}|{{ inh.fromProto }}|{{ fn }}',
      {
        obj: new Secretive(),
        own,
        inh: inherited,
        fn: () => {
          calls++;
          return 'fn ran';
        },
      },
    );
    expect(out.html).toBe('|||p||||');
    expect(calls).toBe(0);
    expect(toPlainData({ a: [1, new Date('2026-01-01T00:00:00Z'), Number.NaN, () => 1] })).toEqual({
      a: [1, '2026-01-01T00:00:00.000Z', null, null],
    });
  });

  it('sees only the one contact and workspace it is rendered for: variables cannot replace them', () => {
    const scope = templateScope({
      contact,
      workspaceName: 'Acme GmbH',
      settings: { logo_url: null, imprint: 'Acme GmbH\nBerlin' },
      unsubscribeUrl: 'https://x.example/u/t',
      variables: { contact: { first_name: 'Mallory' }, workspace: { name: 'Other' }, offer: 'Rabatt' },
    });
    expect(Object.keys(scope).sort()).toEqual(['contact', 'layout', 'offer', 'unsubscribe_url', 'workspace']);
    const out = render(
      '{{ contact.first_name }} {{ workspace.name }} {{ offer }} {{ contacts }} {{ workspaces }}',
      scope,
    );
    expect(out.html.trim()).toBe('Anna Acme GmbH Rabatt');
  });

  it('stops templates that would run for too long', () => {
    const parsed = sandbox.parse({
      subject: 's',
      html: '{% for i in (1..100000000) %}{{ i }}{% endfor %}',
      text: '',
    });
    const started = Date.now();
    expect(() => sandbox.render(parsed, {})).toThrow(
      expect.objectContaining({ code: 'MAIL_TEMPLATE_INVALID' }),
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps line breaks out of the subject', () => {
    const parsed = sandbox.parse({ subject: 'Hallo {{ name }}', html: '', text: '' });
    expect(sandbox.render(parsed, { name: 'A\r\nBcc: x@y.example' }).subject).toBe(
      'Hallo A Bcc: x@y.example',
    );
  });
});
