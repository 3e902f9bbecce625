import { describe, expect, it } from 'vitest';
import { validateDefinition } from './definition.js';
import { choicesOf, createQuestionToken, openQuestionToken, type QuestionStep } from './question.js';

const SECRET = 'test-secret-key-with-enough-length-123456';
const link = {
  workspaceId: '01a20b4d-4fdd-771f-ae0f-0a3944f4cfda',
  contactId: '01a20b4d-578a-749e-8de9-c4f8323e00e3',
  journeyId: '01a20b4d-57c9-703a-b344-2cbade5c89ad',
  version: 2,
  stepId: 'ask',
  enrollmentId: '01a20b4d-57fd-736a-b6ad-166b3419382a',
  expiresAt: new Date('2026-06-04T08:00:00Z'),
};

describe('question links', () => {
  it('opens what it signed until it expires', () => {
    const token = createQuestionToken(SECRET, link);
    expect(openQuestionToken(SECRET, token, new Date('2026-06-04T07:59:59Z'))).toEqual(link);
    expect(openQuestionToken(SECRET, token, new Date('2026-06-04T08:00:00Z'))).toBeUndefined();
  });

  it('refuses a changed payload, another key, another kind of token and garbage', () => {
    const token = createQuestionToken(SECRET, link);
    const [payload, sig] = token.split('.') as [string, string];
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const other = Buffer.from(JSON.stringify({ ...body, s: 'other-step' })).toString('base64url');
    const now = new Date('2026-06-01T00:00:00Z');
    expect(openQuestionToken(SECRET, `${other}.${sig}`, now)).toBeUndefined();
    expect(openQuestionToken(`${SECRET}x`, token, now)).toBeUndefined();
    expect(openQuestionToken(SECRET, 'nonsense', now)).toBeUndefined();
    expect(openQuestionToken(SECRET, `${'a'.repeat(1001)}.b`, now)).toBeUndefined();
  });

  it('offers the fixed BANT choices, a field question its own, a text question none', () => {
    const step = (answer: QuestionStep['answer']): QuestionStep => ({
      id: 'ask',
      type: 'ask-question',
      templateId: link.journeyId,
      purpose: 'newsletter',
      question: { de: 'Frage?', en: 'Question?' },
      answer,
      next: null,
    });
    expect(choicesOf(step({ kind: 'bant', field: 'authority' })).map((c) => c.value)).toEqual([
      'decision_maker',
      'influencer',
      'user',
      'unknown',
    ]);
    expect(choicesOf(step({ kind: 'bant', field: 'need' })).map((c) => c.value)).toEqual(['yes', 'no']);
    expect(choicesOf(step({ kind: 'field', field: 'job_title' }))).toEqual([]);
  });

  it('is a valid step, but never for the address or the stage', () => {
    const def = (field: string) => ({
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'ask',
      steps: [
        {
          id: 'ask',
          type: 'ask-question',
          templateId: link.journeyId,
          purpose: 'newsletter',
          question: { de: 'Frage?', en: 'Question?' },
          answer: { kind: 'field', field },
          next: null,
        },
      ],
      goals: [],
      exitRules: [],
      reentry: { policy: 'never' },
    });
    expect(validateDefinition(def('custom.industry')).steps[0]!.type).toBe('ask-question');
    expect(() => validateDefinition(def('email'))).toThrow();
    expect(() => validateDefinition(def('lifecycle_stage'))).toThrow();
  });
});
