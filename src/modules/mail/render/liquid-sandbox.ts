import { Liquid, type Template } from 'liquidjs';
import { AppError } from '../../../shared/errors.js';

/*
 * Liquid personalisation that can reach only what the caller hands in: the one contact being
 * mailed, the workspace, and the message's own variables. No file system (include/render/layout
 * are removed, and the in-memory template map is empty), no globals, unknown filters are errors,
 * only own properties of plain data are visible, and every render has time and memory limits.
 * The data is copied to plain JSON values first, so getters, prototypes and functions of whatever
 * object a caller passes never run inside a template.
 */

const FORBIDDEN_TAGS = ['include', 'render', 'layout', 'block'] as const;

function createEngine(escapeOutput: boolean): Liquid {
  const engine = new Liquid({
    templates: {},
    relativeReference: false,
    dynamicPartials: false,
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    globals: {},
    jsTruthy: false,
    cache: false,
    parseLimit: 1_000_000,
    renderLimit: 1000,
    memoryLimit: 10_000_000,
    timezoneOffset: 'Europe/Berlin',
    ...(escapeOutput ? { outputEscape: 'escape' as const } : {}),
  });
  for (const tag of FORBIDDEN_TAGS) {
    engine.registerTag(tag, {
      parse() {
        throw new Error(`the {% ${tag} %} tag is not available in mail templates`);
      },
      render() {
        return '';
      },
    });
  }
  return engine;
}

export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

const MAX_DEPTH = 8;
const MAX_KEYS = 500;

/**
 * A deep copy of `value` that holds only JSON data: own enumerable data properties of plain
 * objects, arrays, strings, finite numbers, booleans, null; dates become ISO strings. Accessors
 * are never invoked; class instances, functions, symbols and anything deeper than 8 levels are dropped.
 */
export function toPlainData(value: unknown, depth = 0): PlainValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_DEPTH) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (Array.isArray(value)) {
    const out: PlainValue[] = [];
    for (let i = 0; i < Math.min(value.length, MAX_KEYS); i++) {
      const d = Object.getOwnPropertyDescriptor(value, i);
      const v = d && 'value' in d ? toPlainData(d.value, depth + 1) : undefined;
      out.push(v === undefined ? null : v);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const out: { [key: string]: PlainValue } = {};
  let n = 0;
  for (const key of Object.keys(value as object)) {
    if (n++ >= MAX_KEYS) break;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (!d || !('value' in d)) continue; // an accessor: never call it
    const v = toPlainData(d.value, depth + 1);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Parsed Liquid for the three parts of a mail; parse once per template version, render per recipient. */
export interface ParsedMail {
  subject: Template[];
  html: Template[];
  text: Template[];
}

/** The two engines of one process: HTML output escapes every value, text and subject do not. */
export class LiquidSandbox {
  private readonly html = createEngine(true);
  private readonly text = createEngine(false);

  /** Parses the three parts; a syntax error or a forbidden tag is MAIL_TEMPLATE_INVALID naming the part. */
  parse(parts: { subject: string; html: string; text: string }): ParsedMail {
    const parse = (engine: Liquid, source: string, part: string) => {
      try {
        return engine.parse(source);
      } catch (err) {
        throw new AppError('MAIL_TEMPLATE_INVALID', {
          field: part,
          reason: err instanceof Error ? err.message.split('\n')[0] : String(err),
        });
      }
    };
    return {
      subject: parse(this.text, parts.subject, 'subject'),
      html: parse(this.html, parts.html, 'html'),
      text: parse(this.text, parts.text, 'text'),
    };
  }

  /** Renders a parsed mail for one recipient; `data` is copied to plain values first. */
  render(parsed: ParsedMail, data: Record<string, unknown>): { subject: string; html: string; text: string } {
    const scope = (toPlainData(data) ?? {}) as object;
    try {
      return {
        // A header value: no line breaks, whatever the data holds.
        subject: this.text
          .renderSync(parsed.subject, scope)
          .replace(/[\r\n]+/g, ' ')
          .trim(),
        html: this.html.renderSync(parsed.html, scope),
        text: this.text.renderSync(parsed.text, scope),
      };
    } catch (err) {
      throw new AppError('MAIL_TEMPLATE_INVALID', {
        reason: err instanceof Error ? err.message.split('\n')[0] : String(err),
      });
    }
  }
}
