import { describe, expect, it } from 'vitest';
import {
  addStep,
  connect,
  deleteStep,
  type EditorDefinition,
  errorsByStep,
  outputsOf,
  record,
  redo,
  startHistory,
  TRIGGER_NODE,
  undo,
  withPositions,
} from './editor-model.js';

const base = (): EditorDefinition => ({
  trigger: { type: 'manual' },
  timeZone: 'Europe/Berlin',
  startStepId: 'a',
  steps: [
    { id: 'a', type: 'wait', wait: { kind: 'duration', duration: { days: 1 } }, next: 'b' },
    { id: 'b', type: 'branch', condition: { type: 'tag', tag: 'vip' }, yes: 'c', no: null },
    { id: 'c', type: 'exit' },
  ],
  goals: [],
  exitRules: [],
  reentry: { policy: 'never' },
});

describe('journey editor model', () => {
  it('knows each step type’s outputs (a wait on an event has a timeout path)', () => {
    const [a, b, c] = base().steps;
    expect(outputsOf(a!)).toEqual(['next']);
    expect(outputsOf(b!)).toEqual(['yes', 'no']);
    expect(outputsOf(c!)).toEqual([]);
    expect(
      outputsOf({
        id: 'w',
        type: 'wait',
        wait: { kind: 'event', activityType: 'mail.clicked', timeout: {} },
      }),
    ).toEqual(['next', 'timeoutNext']);
  });

  it('connects an output, and the trigger’s output sets the start step', () => {
    const d = connect(base(), 'b', 'no', 'c');
    expect(d.steps[1]).toMatchObject({ yes: 'c', no: 'c' });
    expect(connect(d, TRIGGER_NODE, 'start', 'b').startStepId).toBe('b');
  });

  it('deletes a step: references to it end there, the start moves on', () => {
    const d = deleteStep(base(), 'c');
    expect(d.steps.map((s) => s.id)).toEqual(['a', 'b']);
    expect(d.steps[1]).toMatchObject({ yes: null, no: null });
    expect(deleteStep(base(), 'a').startStepId).toBe('b');
  });

  it('adds a step by keyboard below the chosen step, on its free output', () => {
    const placed = withPositions(base());
    const { def, id } = addStep(placed, 'send-mail', undefined, 'b');
    expect(id).toBe('send-mail-4');
    expect(def.steps.find((s) => s.id === 'b')).toMatchObject({ yes: 'c', no: 'send-mail-4' });
    const added = def.steps.find((s) => s.id === id)!;
    expect(added).toMatchObject({ type: 'send-mail', kind: 'marketing', next: null });
    expect(added.position!.y).toBeGreaterThan(placed.steps[1]!.position!.y);
  });

  it('adds a dropped step unconnected at the drop position', () => {
    const { def, id } = addStep(base(), 'webhook', { x: 5, y: 7 }, null);
    expect(def.steps.find((s) => s.id === id)).toMatchObject({ position: { x: 5, y: 7 }, next: null });
    expect(def.steps.find((s) => s.id === 'b')).toMatchObject({ no: null });
  });

  it('puts server validation errors at the step they name', () => {
    const errors = errorsByStep(base(), [
      { field: 'definition.steps.1.condition', message: 'invalid' },
      { field: 'definition.timeZone', message: 'not a known time zone' },
    ]);
    expect(errors.get('b')).toEqual(['condition invalid']);
    expect(errors.get('')).toEqual(['definition.timeZone: not a known time zone']);
  });

  it('undoes and redoes edits; a new edit drops what was undone', () => {
    const start = base();
    const deleted = deleteStep(start, 'c');
    const connected = connect(deleted, 'b', 'no', 'a');
    let h = record(record(startHistory(start), deleted), connected);
    h = undo(h);
    expect(h.present).toBe(deleted);
    h = undo(h);
    expect(h.present).toBe(start);
    expect(h.present.steps.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(undo(h)).toBe(h); // nothing earlier
    h = redo(h);
    expect(h.present).toBe(deleted);
    const other = connect(deleted, 'a', 'next', null);
    h = record(h, other);
    expect(h.future).toEqual([]);
    expect(redo(h)).toBe(h);
    expect(undo(h).present).toBe(deleted);
  });

  it('keeps a bounded history and merges a burst of the same edit into one step', () => {
    let h = startHistory(0);
    for (let i = 1; i <= 150; i++) h = record(h, i, { limit: 100 });
    expect(h.past).toHaveLength(100);
    expect(h.past[0]).toBe(50);
    while (h.past.length > 0) h = undo(h);
    expect(h.present).toBe(50);

    // Typing a label: three changes within a second are one step; a pause starts another.
    let t = record(startHistory('W'), 'Wa', { key: 'edit:a', at: 1000 });
    t = record(t, 'Wai', { key: 'edit:a', at: 1400 });
    t = record(t, 'Wait', { key: 'edit:a', at: 1800 });
    t = record(t, 'Wait!', { key: 'edit:a', at: 5000 });
    t = record(t, 'Wait!?', { key: 'edit:b', at: 5100 });
    expect(t.past).toEqual(['W', 'Wait', 'Wait!']);
    expect(undo(undo(t)).present).toBe('Wait');
  });
});
