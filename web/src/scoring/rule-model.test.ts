import { describe, expect, it } from 'vitest';
import type { CustomFieldDef } from '../contacts/contacts-api.js';
import { draftOf, OPS_BY_TYPE, ruleInputOf } from './rule-model.js';
import type { ScoringRule } from './scoring-api.js';

const rule = (over: Partial<ScoringRule>): ScoringRule => ({
  id: 'r1',
  kind: 'fit',
  name: 'A rule',
  points: 10,
  enabled: true,
  definition: {},
  updatedAt: '2026-05-04T10:00:00.000Z',
  ...over,
});

const choice: CustomFieldDef = {
  key: 'segment',
  label: 'Segment',
  type: 'choice',
  options: [
    { value: 'energy', label: 'Energy' },
    { value: 'automotive', label: 'Automotive' },
  ],
  required: false,
  qualification: false,
  position: 0,
};

describe('the rule form model', () => {
  it('gives back what a stored rule holds, so saving an untouched edit changes nothing', () => {
    const stored = [
      rule({ definition: { field: 'job_title', op: 'contains', value: 'head' } }),
      rule({ definition: { field: 'company_size', op: 'gte', value: 50 } }),
      rule({ definition: { field: 'custom:segment', op: 'in', value: ['energy', 'automotive'] } }),
      rule({ definition: { field: 'country', op: 'exists', value: null }, enabled: false }),
      rule({
        kind: 'engagement',
        definition: {
          activityType: 'capture.asset-downloaded',
          refPrefix: 'asset:42',
          cap: { points: 60, periodDays: 30 },
          decays: false,
          signal: 'incentive',
          handRaiser: false,
        },
      }),
      rule({
        kind: 'engagement',
        definition: {
          activityType: 'capture.form-submitted',
          refPrefix: null,
          cap: null,
          decays: true,
          signal: 'warm',
          handRaiser: true,
        },
      }),
    ];
    for (const r of stored) {
      const def = r.definition.field === 'custom:segment' ? choice : undefined;
      const input = ruleInputOf(draftOf(r), def);
      expect(input).toEqual({
        kind: r.kind,
        name: r.name,
        points: r.points,
        enabled: r.enabled,
        definition: r.definition,
      });
    }
  });

  it('saves a hand-raiser as own interest (warm) that raises its hand', () => {
    const draft = { ...draftOf(null), name: 'Consultation', signal: 'handRaiser' as const };
    expect(ruleInputOf(draft, undefined).definition).toMatchObject({ signal: 'warm', handRaiser: true });
    expect(ruleInputOf({ ...draft, signal: 'none' }, undefined).definition).toMatchObject({
      signal: null,
      handRaiser: false,
    });
  });

  it('reads values as the operator asks: lists, numbers, none for "is known", empty numbers as missing', () => {
    const fit = { ...draftOf(null), kind: 'fit' as const, name: 'Fit' };
    expect(ruleInputOf({ ...fit, op: 'in', value: 'DE, AT,, CH' }, undefined).definition.value).toEqual([
      'DE',
      'AT',
      'CH',
    ]);
    expect(
      ruleInputOf({ ...fit, field: 'custom:segment', op: 'in', values: ['energy'] }, choice).definition.value,
    ).toEqual(['energy']);
    expect(ruleInputOf({ ...fit, op: 'gte', value: '200' }, undefined).definition.value).toBe(200);
    // An empty number is missing (the server answers "required"), not 0.
    expect(ruleInputOf({ ...fit, op: 'lte', value: ' ' }, undefined).definition.value).toBeNull();
    expect(ruleInputOf({ ...fit, op: 'exists', value: 'left over' }, undefined).definition.value).toBeNull();
  });

  it('offers operators that fit the custom field type', () => {
    expect(OPS_BY_TYPE.number).not.toContain('contains');
    expect(OPS_BY_TYPE.date).not.toContain('gte'); // a date is no size: "2026-05-01" would read as 2026
    expect(OPS_BY_TYPE.multi_choice).toEqual(['contains', 'exists']);
  });
});
