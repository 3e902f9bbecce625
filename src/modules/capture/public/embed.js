/*
 * Leadwerk form embed: <script src="https://leadwerk.example/embed.js" data-form="<slug>" async></script>
 * Renders the form into a Shadow DOM right after the script tag (the host page's styles do not
 * reach in, ours do not leak out), sets no cookie, and posts with fetch to the form's submit
 * endpoint (CORS limited to the form's allowed origins). Optional: data-lang="de|en".
 */
(() => {
  const script = document.currentScript;
  if (!script?.dataset.form) return;
  const base = new URL(script.src).origin;
  const slug = script.dataset.form;
  const host = document.createElement('div');
  host.className = 'leadwerk-form';
  script.insertAdjacentElement('afterend', host);
  const root = host.attachShadow({ mode: 'open' });

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c) node.append(c);
    return node;
  };

  const page = new URL(window.location.href);
  const query = {};
  for (const k of [
    'utm_source',
    'utm_medium',
    'utm_campaign',
    'utm_term',
    'utm_content',
    'lw_src',
    'code',
    'lw',
  ]) {
    const v = page.searchParams.get(k);
    if (v) query[k] = v;
  }
  const lang = script.dataset.lang || (document.documentElement.lang || navigator.language || '').slice(0, 2);
  const params = new URLSearchParams();
  if (lang === 'de' || lang === 'en') params.set('lang', lang);
  if (query.lw) params.set('lw', query.lw);

  fetch(`${base}/f/${encodeURIComponent(slug)}/config?${params}`, { credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then(render)
    .catch(() => {
      root.append(el('p', { text: 'Form unavailable / Formular nicht verfügbar.' }));
    });

  function render(config) {
    const cfg = {
      ...config,
      challengeUrl: base + config.challengeUrl,
      submitUrl: base + config.submitUrl,
      widgetUrl: base + config.widgetUrl,
      stylesheetUrl: base + config.stylesheetUrl,
    };
    const t = cfg.texts;
    const uid = `lw-${slug}-${Math.random().toString(36).slice(2, 8)}`;
    root.append(el('link', { rel: 'stylesheet', href: cfg.stylesheetUrl }));
    const wrap = el('div', { class: 'lw', lang: cfg.locale });
    const title = el('h2', { class: 'lw-title', text: cfg.title });
    wrap.append(title);
    if (cfg.eventName) wrap.append(el('p', {}, el('strong', { text: `${t.event}: ` }), cfg.eventName));
    if (cfg.intro) wrap.append(el('p', { text: cfg.intro }));
    const summary = el('div', { class: 'lw-summary', role: 'alert', tabindex: '-1', hidden: true });
    wrap.append(summary);
    const form = el('form', { novalidate: true, 'aria-labelledby': `${uid}-title` });
    title.id = `${uid}-title`;
    const hp = el(
      'div',
      { class: 'lw-hp' },
      el('label', { for: `${uid}-hp`, text: 'Homepage' }),
      el('input', {
        type: 'text',
        id: `${uid}-hp`,
        name: 'lw_homepage',
        tabindex: '-1',
        autocomplete: 'off',
      }),
    );
    form.append(hp);
    const controls = {};
    for (const f of cfg.fields) {
      const id = `${uid}-${f.key}`;
      const box = el('div', { class: 'lw-field' });
      box.append(
        el(
          'label',
          { for: id },
          f.label,
          ' ',
          el('span', { class: 'lw-req', text: `(${f.required ? t.required : t.optional})` }),
        ),
      );
      const describedBy = [];
      if (f.purpose) {
        box.append(el('p', { class: 'lw-hint', id: `${id}-hint`, text: f.purpose }));
        describedBy.push(`${id}-hint`);
      }
      const err = el('p', { class: 'lw-error', id: `${id}-error`, hidden: true });
      box.append(err);
      let input;
      const common = {
        id,
        name: f.key,
        required: f.required,
        'aria-required': f.required ? 'true' : null,
        'aria-describedby': describedBy.join(' ') || null,
      };
      if (f.type === 'textarea')
        input = el('textarea', { ...common, rows: '4', maxlength: f.maxLength || 2000 });
      else if (f.options && f.options.length > 0) {
        input = el('select', common, el('option', { value: '' }));
        for (const o of f.options) input.append(el('option', { value: o.value, text: o.label }));
      } else {
        input = el('input', {
          ...common,
          type: f.type === 'email' ? 'email' : f.type === 'phone' ? 'tel' : 'text',
          autocomplete:
            {
              email: 'email',
              first_name: 'given-name',
              last_name: 'family-name',
              company: 'organization',
              phone: 'tel',
            }[f.type] || 'off',
          maxlength: f.maxLength || (f.type === 'email' ? 254 : f.type === 'country' ? 2 : 300),
        });
      }
      box.append(input);
      controls[f.key] = { input, err, label: f.label };
      form.append(box);
    }
    if (cfg.consents.length > 0) {
      const fs = el('fieldset', {}, el('legend', { text: t.consentsLegend }));
      for (const c of cfg.consents) {
        const id = `${uid}-c-${c.key}`;
        const input = el('input', {
          type: 'checkbox',
          id,
          name: `consent_${c.key}`,
          value: 'on',
          required: c.required,
          'aria-required': c.required ? 'true' : null,
        });
        const err = el('p', { class: 'lw-error', id: `${id}-error`, hidden: true });
        fs.append(
          el(
            'div',
            { class: 'lw-consent' },
            input,
            el('label', { for: id }, c.text, c.required ? ` (${t.required})` : ''),
            err,
          ),
        );
        controls[`consent_${c.key}`] = { input, err, label: c.text.slice(0, 80) };
      }
      form.append(fs);
    }
    if (cfg.couplingNotice)
      form.append(
        el('p', { class: 'lw-notice' }, el('strong', { text: `${t.coupling}: ` }), cfg.couplingNotice),
      );
    let altchaPayload = '';
    if (cfg.proofOfWork) {
      if (!document.querySelector(`script[src="${cfg.widgetUrl}"]`)) {
        document.head.append(el('script', { type: 'module', src: cfg.widgetUrl }));
      }
      const widget = el('altcha-widget', {
        challenge: cfg.challengeUrl,
        name: 'altcha',
        language: cfg.locale,
        hidefooter: true,
      });
      widget.addEventListener('statechange', (ev) => {
        if (ev.detail && ev.detail.state === 'verified') altchaPayload = ev.detail.payload;
      });
      form.append(widget);
    }
    const status = el('p', { class: 'lw-status', role: 'status' });
    const button = el('button', { type: 'submit', text: cfg.submitLabel });
    form.append(button, status);
    wrap.append(form);
    wrap.append(
      el(
        'div',
        { class: 'lw-art13' },
        el('p', {}, el('strong', { text: `${t.purpose}: ` }), cfg.purposeStatement),
        el('p', {}, el('strong', { text: `${t.controller}: ` }), cfg.controller),
        el(
          'p',
          {},
          el('a', { href: cfg.privacyNoticeUrl, rel: 'noopener', target: '_blank', text: t.privacy }),
        ),
      ),
    );
    root.append(wrap);

    const showErrors = (problems) => {
      summary.replaceChildren(el('p', { text: t.errorSummary }));
      const list = el('ul');
      for (const c of Object.values(controls)) {
        c.err.hidden = true;
        c.input.removeAttribute('aria-invalid');
      }
      for (const p of problems) {
        const c = controls[p.field];
        const text =
          t.problems[p.message] ||
          (/^(empty|no_at_sign|local_|domain_)/.test(p.message) ? t.problems.email : t.problems.required);
        if (c) {
          c.err.textContent = text;
          c.err.hidden = false;
          c.input.setAttribute('aria-invalid', 'true');
          const ids = new Set((c.input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
          ids.add(c.err.id);
          c.input.setAttribute('aria-describedby', [...ids].join(' '));
        }
        list.append(el('li', { text: `${c ? c.label : p.field}: ${text}` }));
      }
      summary.append(list);
      summary.hidden = false;
      summary.focus();
    };

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = { ...query, lw_t: cfg.timeToken, lang: cfg.locale, landing_url: page.href };
      if (document.referrer) body.referrer = document.referrer;
      for (const [k, v] of new FormData(form).entries()) if (typeof v === 'string') body[k] = v;
      const hiddenAltcha = form.querySelector('input[name="altcha"]');
      if (altchaPayload || hiddenAltcha) body.altcha = altchaPayload || hiddenAltcha.value;
      button.disabled = true;
      status.textContent = t.sending;
      fetch(cfg.submitUrl, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', 'accept-language': cfg.locale },
        body: JSON.stringify(body),
      })
        .then(async (r) => {
          const answer = await r.json().catch(() => ({}));
          if (r.ok) {
            const done = el(
              'div',
              { class: 'lw-done', role: 'status', tabindex: '-1' },
              el('h3', { text: t.checkInboxTitle }),
              el('p', { text: t.checkInbox }),
            );
            form.replaceWith(done);
            summary.hidden = true;
            done.focus();
            return;
          }
          const fields = answer?.error?.details?.fields;
          if (Array.isArray(fields)) showErrors(fields);
          else status.textContent = t.failed;
        })
        .catch(() => {
          status.textContent = t.failed;
        })
        .finally(() => {
          button.disabled = false;
          if (status.textContent === t.sending) status.textContent = '';
        });
    });
  }
})();
