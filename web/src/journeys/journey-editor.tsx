import { ActionIcon, Alert, Badge, Button, Group, Paper, Select, Stack, Text, Title } from '@mantine/core';
import { IconArrowBackUp, IconArrowForwardUp } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  Handle,
  MarkerType,
  MiniMap,
  type Node,
  type NodeChange,
  type NodeProps,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { type DragEvent, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';
import { useApi } from '../api/context.js';
import { messageOf } from '../ui/errors.js';
import {
  addStep,
  connect,
  deleteStep,
  type EditorDefinition,
  type EditorStep,
  errorsByStep,
  forSave,
  outputsOf,
  record,
  redo,
  STEP_TYPES,
  startHistory,
  TRIGGER_NODE,
  undo,
  withPositions,
} from './editor-model.js';
import type { StepCounter } from './journeys-api.js';
import { ReentryForm, RulesForm, StepForm, TriggerForm } from './step-settings.js';

/*
 * The visual journey editor (@xyflow/react): the trigger on top, one node per step with its outputs
 * (next / yes / no / timeout) as handles and its live numbers, edges for the paths. Steps come from
 * the palette — dragged onto the canvas, or added with the keyboard (a palette button adds the step
 * below the selected one and connects its free output). Outputs are connected and reconnected by
 * dragging edges, or in the side panel. The side panel edits the selected step, the trigger, or the
 * journey's goals, exit rules and re-entry. "Save draft" PATCHes the definition; the server's
 * validation errors are shown on the steps they concern; "Publish" makes the draft the live version.
 * Every edit can be undone and redone (toolbar buttons, Ctrl+Z / Ctrl+Shift+Z or Ctrl+Y outside text
 * fields; a bounded history, a burst of typing or one drag is one step), and a minimap shows the
 * whole journey.
 */

const DRAG_TYPE = 'application/x-leadwerk-journey-step';

type StepData = {
  step: EditorStep;
  typeLabel: string;
  counters: string;
  errors: string[];
  outputs: { key: string; label: string }[];
};
type TriggerData = { title: string; text: string };

function StepNode({ data, selected }: NodeProps<Node<StepData>>) {
  const { step, typeLabel, counters, errors, outputs } = data;
  return (
    <div
      style={{
        width: 220,
        padding: 8,
        color: '#1b1f24',
        background: '#ffffff',
        borderRadius: 6,
        border: `${selected ? 3 : 1}px solid ${errors.length > 0 ? '#c92a2a' : selected ? '#1864ab' : '#4a5360'}`,
        fontSize: 12,
      }}
    >
      <Handle type="target" position={Position.Top} />
      <strong>{step.label || step.id}</strong>
      <div>{typeLabel}</div>
      <div data-testid={`counters-${step.id}`}>{counters}</div>
      {errors.length > 0 ? (
        <div style={{ color: '#c92a2a' }} data-testid={`errors-${step.id}`}>
          {errors.join('; ')}
        </div>
      ) : null}
      {outputs.map((o, i) => (
        <Handle
          key={o.key}
          id={o.key}
          type="source"
          position={Position.Bottom}
          title={o.label}
          style={{ left: `${((i + 1) * 100) / (outputs.length + 1)}%`, width: 12, height: 12 }}
        />
      ))}
      {outputs.length > 1 ? (
        <div style={{ display: 'flex', justifyContent: 'space-around', marginTop: 4 }}>
          {outputs.map((o) => (
            <span key={o.key}>{o.label}</span>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function TriggerNode({ data, selected }: NodeProps<Node<TriggerData>>) {
  return (
    <div
      style={{
        width: 220,
        padding: 8,
        color: '#1b1f24',
        background: '#e7f5ff',
        borderRadius: 20,
        border: `${selected ? 3 : 1}px solid #1864ab`,
        fontSize: 12,
        textAlign: 'center',
      }}
    >
      <strong>{data.title}</strong>
      <div>{data.text}</div>
      <Handle type="source" id="start" position={Position.Bottom} style={{ width: 12, height: 12 }} />
    </div>
  );
}

const nodeTypes = { step: StepNode, trigger: TriggerNode };

export interface JourneyEditorProps {
  journeyId: string;
  draft: EditorDefinition;
  counters: StepCounter[];
  readOnly: boolean;
  /** Called after a successful save (e.g. to enable the test run on the saved draft). */
  onSaved?: () => void;
}

export function JourneyEditor(props: JourneyEditorProps) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor({ journeyId, draft, counters, readOnly, onSaved }: JourneyEditorProps) {
  const { t } = useTranslation();
  const api = useApi();
  const qc = useQueryClient();
  const flow = useReactFlow();
  const [history, setHistory] = useState(() => startHistory<EditorDefinition>(withPositions(draft)));
  const def = history.present;
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const [errorFields, setErrorFields] = useState<{ field: string; message: string }[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  // Publishing removes steps that still have contacts: the server names them; the user maps each.
  const [unmapped, setUnmapped] = useState<string[]>([]);
  const [moves, setMoves] = useState<Record<string, string>>({});

  /** Records an edit; edits with the same `key` in quick succession (typing, dragging) undo together. */
  const update = (next: EditorDefinition, key?: string) => {
    setHistory((h) => record(h, next, key ? { key, at: Date.now() } : {}));
    setDirty(true);
    setNotice(null);
  };
  const travel = (to: typeof undo) => {
    setHistory(to);
    setDirty(true);
    setNotice(null);
  };

  useEffect(() => {
    if (readOnly) return;
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      // Text fields keep their own undo.
      const el = e.target as HTMLElement | null;
      if (el?.closest('input, textarea, select, [contenteditable="true"]')) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) {
        e.preventDefault();
        travel(undo);
      } else if ((key === 'z' && e.shiftKey) || key === 'y') {
        e.preventDefault();
        travel(redo);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // A step that an undo or redo took away is no longer selected.
  useEffect(() => {
    if (
      selected &&
      selected !== TRIGGER_NODE &&
      selected !== 'settings' &&
      !def.steps.some((s) => s.id === selected)
    )
      setSelected(null);
  }, [def, selected]);

  const save = useMutation({
    mutationFn: async (publish: boolean) => {
      await api.patch(`/api/v1/journeys/${encodeURIComponent(journeyId)}`, { definition: forSave(def) });
      if (publish)
        await api.post(
          `/api/v1/journeys/${encodeURIComponent(journeyId)}/publish`,
          unmapped.length > 0 ? { moveContacts: moves } : {},
        );
      return publish;
    },
    onSuccess: (published) => {
      setDirty(false);
      setErrorFields([]);
      setUnmapped([]);
      setMoves({});
      setNotice(t(published ? 'journeys.editor.published' : 'journeys.editor.saved'));
      onSaved?.();
      void qc.invalidateQueries();
    },
    onError: (e) => {
      setNotice(null);
      setErrorFields(e instanceof ApiError ? e.fieldErrors : []);
      if (e instanceof ApiError && e.code === 'JOURNEY_STEP_MAPPING_REQUIRED') {
        const steps = (e.details as { steps?: unknown } | undefined)?.steps;
        setUnmapped(Array.isArray(steps) ? steps.map(String) : []);
      }
    },
  });

  const errors = useMemo(() => errorsByStep(def, errorFields), [def, errorFields]);
  const byStep = new Map(counters.map((c) => [c.stepId, c]));
  const outputLabel = (key: string): string =>
    t(`journeys.editor.outputs.${key as 'next' | 'yes' | 'no' | 'timeoutNext'}`);
  const stepName = (s: EditorStep) =>
    `${s.label || s.id} (${t(`journeys.stepTypes.${s.type}`, { defaultValue: s.type })})`;
  const top = def.steps.reduce((m, s) => Math.min(m, s.position?.y ?? 0), 140);
  const startX = def.steps.find((s) => s.id === def.startStepId)?.position?.x ?? 0;

  const triggerText = t(`journeys.triggers.${def.trigger.type}`, { defaultValue: def.trigger.type });
  const nodes: Node[] = [
    {
      id: TRIGGER_NODE,
      type: 'trigger',
      position: { x: startX, y: top - 140 },
      draggable: false,
      deletable: false,
      selected: selected === TRIGGER_NODE,
      ariaLabel: `${t('journeys.editor.trigger')}: ${triggerText}`,
      data: { title: t('journeys.editor.trigger'), text: triggerText },
      ...(measured[TRIGGER_NODE] ? { measured: measured[TRIGGER_NODE] } : {}),
    },
    ...def.steps.map((s): Node => {
      const c = byStep.get(s.id);
      const typeLabel = t(`journeys.stepTypes.${s.type}`, { defaultValue: s.type });
      const counterText = t('journeys.counters', {
        entered: c?.entered ?? 0,
        waiting: c?.waiting ?? 0,
        completed: c?.completed ?? 0,
        exited: c?.exited ?? 0,
        goal: c?.goal ?? 0,
      });
      const stepErrors = errors.get(s.id) ?? [];
      return {
        id: s.id,
        type: 'step',
        position: s.position ?? { x: 0, y: 0 },
        draggable: !readOnly,
        deletable: !readOnly,
        selected: selected === s.id,
        ariaLabel: `${typeLabel}: ${s.label || s.id}. ${counterText}${
          stepErrors.length > 0 ? `. ${t('journeys.editor.hasErrors')}` : ''
        }`,
        data: {
          step: s,
          typeLabel,
          counters: counterText,
          errors: stepErrors,
          outputs: outputsOf(s).map((key) => ({ key, label: outputLabel(key) })),
        } satisfies StepData,
        ...(measured[s.id] ? { measured: measured[s.id] } : {}),
      };
    }),
  ];
  const edges: Edge[] = [
    ...(def.startStepId && def.steps.some((s) => s.id === def.startStepId)
      ? [
          {
            id: `${TRIGGER_NODE}:start`,
            source: TRIGGER_NODE,
            sourceHandle: 'start',
            target: def.startStepId,
            reconnectable: !readOnly,
            deletable: false,
            markerEnd: { type: MarkerType.ArrowClosed },
          } satisfies Edge,
        ]
      : []),
    ...def.steps.flatMap((s) =>
      outputsOf(s)
        .filter((k) => typeof s[k] === 'string' && def.steps.some((x) => x.id === s[k]))
        .map(
          (k): Edge => ({
            id: `${s.id}:${k}`,
            source: s.id,
            sourceHandle: k,
            target: s[k] as string,
            label: k === 'next' ? undefined : outputLabel(k),
            selected: selectedEdge === `${s.id}:${k}`,
            reconnectable: !readOnly,
            deletable: !readOnly,
            ariaLabel: `${s.label || s.id} → ${outputLabel(k)} → ${s[k] as string}`,
            markerEnd: { type: MarkerType.ArrowClosed },
          }),
        ),
    ),
  ];

  const onNodesChange = (changes: NodeChange[]) => {
    let next = def;
    let moved = false;
    let removed = false;
    const dims: Record<string, { width: number; height: number }> = {};
    for (const c of changes) {
      if (c.type === 'position' && c.position && c.id !== TRIGGER_NODE) {
        const pos = c.position;
        next = { ...next, steps: next.steps.map((s) => (s.id === c.id ? { ...s, position: pos } : s)) };
        moved = true;
      } else if (c.type === 'dimensions' && c.dimensions) {
        dims[c.id] = c.dimensions;
      } else if (c.type === 'select') {
        if (c.selected) {
          setSelected(c.id);
          setSelectedEdge(null);
        } else if (selected === c.id) setSelected(null);
      } else if (c.type === 'remove' && c.id !== TRIGGER_NODE && !readOnly) {
        next = deleteStep(next, c.id);
        moved = true;
        removed = true;
        if (selected === c.id) setSelected(null);
      }
    }
    if (Object.keys(dims).length > 0) setMeasured((m) => ({ ...m, ...dims }));
    if (moved) update(next, removed ? undefined : 'move');
  };

  const onEdgesChange = (changes: EdgeChange[]) => {
    let next = def;
    let changed = false;
    for (const c of changes) {
      if (c.type === 'select') {
        if (c.selected) setSelectedEdge(c.id);
        else if (selectedEdge === c.id) setSelectedEdge(null);
      } else if (c.type === 'remove' && !readOnly) {
        const [source, handle] = c.id.split(':');
        if (source && source !== TRIGGER_NODE) {
          next = connect(next, source, handle, null);
          changed = true;
        }
      }
    }
    if (changed) update(next);
  };

  const onConnect = (c: Connection) => {
    if (readOnly || c.target === TRIGGER_NODE || c.source === c.target) return;
    update(connect(def, c.source, c.sourceHandle, c.target));
  };

  const onReconnect = (old: Edge, c: Connection) => {
    if (readOnly || c.target === TRIGGER_NODE) return;
    let next = def;
    if (old.source !== c.source || old.sourceHandle !== c.sourceHandle)
      next = connect(next, old.source, old.sourceHandle, null);
    update(connect(next, c.source, c.sourceHandle, c.target));
  };

  const add = (type: string, position?: { x: number; y: number }) => {
    const after =
      selected && selected !== TRIGGER_NODE && selected !== 'settings' ? selected : lastInChain(def);
    const r = addStep(def, type, position, position ? null : after);
    update(r.def);
    setSelected(r.id);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const type = e.dataTransfer.getData(DRAG_TYPE);
    if (!type || readOnly) return;
    add(type, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  };

  const step = def.steps.find((s) => s.id === selected);
  const general = errors.get('') ?? [];
  const stepsWithErrors = def.steps.filter((s) => errors.has(s.id));

  return (
    <Stack>
      {!readOnly ? (
        <Group justify="space-between">
          <Group>
            <Button loading={save.isPending && save.variables === false} onClick={() => save.mutate(false)}>
              {t('journeys.editor.save')}
            </Button>
            <Button
              variant="default"
              loading={save.isPending && save.variables === true}
              onClick={() => save.mutate(true)}
            >
              {t('journeys.editor.publish')}
            </Button>
            <ActionIcon.Group>
              <ActionIcon
                variant="default"
                size="lg"
                aria-label={t('journeys.editor.undo')}
                title={`${t('journeys.editor.undo')} (${t('journeys.editor.undoKeys')})`}
                aria-keyshortcuts="Control+Z Meta+Z"
                disabled={history.past.length === 0}
                onClick={() => travel(undo)}
              >
                <IconArrowBackUp size={18} aria-hidden />
              </ActionIcon>
              <ActionIcon
                variant="default"
                size="lg"
                aria-label={t('journeys.editor.redo')}
                title={`${t('journeys.editor.redo')} (${t('journeys.editor.redoKeys')})`}
                aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y"
                disabled={history.future.length === 0}
                onClick={() => travel(redo)}
              >
                <IconArrowForwardUp size={18} aria-hidden />
              </ActionIcon>
            </ActionIcon.Group>
            {dirty ? <Badge color="dark">{t('journeys.editor.unsaved')}</Badge> : null}
          </Group>
          <Button variant="subtle" onClick={() => setSelected('settings')}>
            {t('journeys.editor.settings')}
          </Button>
        </Group>
      ) : null}
      <div role="status">{notice ? <Text fw={600}>{notice}</Text> : null}</div>
      {unmapped.length > 0 ? (
        <Alert color="blue" title={t('journeys.editor.moveTitle')}>
          <Stack gap="xs">
            <Text size="sm">{t('journeys.editor.moveHelp')}</Text>
            {unmapped.map((from) => (
              <Select
                key={from}
                label={t('journeys.editor.moveFrom', { step: from })}
                value={moves[from] ?? null}
                onChange={(v) => setMoves((m) => (v ? { ...m, [from]: v } : m))}
                data={def.steps.map((s) => ({ value: s.id, label: stepName(s) }))}
              />
            ))}
            <Group>
              <Button
                disabled={unmapped.some((from) => !moves[from])}
                loading={save.isPending}
                onClick={() => save.mutate(true)}
              >
                {t('journeys.editor.publishWithMoves')}
              </Button>
            </Group>
          </Stack>
        </Alert>
      ) : null}
      {save.isError && unmapped.length === 0 ? (
        <Alert color="red" title={t('journeys.editor.saveFailed')}>
          <Stack gap={4}>
            {errorFields.length === 0 ? <Text size="sm">{messageOf(save.error, t)}</Text> : null}
            {general.map((g) => (
              <Text size="sm" key={g}>
                {g}
              </Text>
            ))}
            {stepsWithErrors.map((s) => (
              <Group key={s.id} gap="xs">
                <Text size="sm">
                  {stepName(s)}: {(errors.get(s.id) ?? []).join('; ')}
                </Text>
                <Button size="compact-xs" variant="light" onClick={() => setSelected(s.id)}>
                  {t('journeys.editor.showStep', { name: s.label || s.id })}
                </Button>
              </Group>
            ))}
          </Stack>
        </Alert>
      ) : null}
      <div
        style={{
          display: 'grid',
          gridTemplateColumns: readOnly ? '1fr' : '170px minmax(0, 1fr) 300px',
          gap: 12,
          alignItems: 'start',
        }}
      >
        {!readOnly ? (
          <nav aria-label={t('journeys.editor.palette')}>
            <Stack gap={6}>
              <Title order={2} size="h5">
                {t('journeys.editor.palette')}
              </Title>
              <Text size="xs">{t('journeys.editor.paletteHelp')}</Text>
              {STEP_TYPES.map((type) => (
                <Button
                  key={type}
                  variant="default"
                  size="xs"
                  justify="flex-start"
                  draggable
                  data-testid={`palette-${type}`}
                  aria-label={t('journeys.editor.addType', { type: t(`journeys.stepTypes.${type}`) })}
                  onDragStart={(e: DragEvent) => {
                    e.dataTransfer.setData(DRAG_TYPE, type);
                    e.dataTransfer.effectAllowed = 'move';
                  }}
                  onClick={() => add(type)}
                >
                  {t(`journeys.stepTypes.${type}`)}
                </Button>
              ))}
            </Stack>
          </nav>
        ) : null}
        <section
          aria-label={t('journeys.diagram')}
          style={{ height: 560, border: '1px solid #d0d5dc', borderRadius: 8 }}
          data-testid="journey-canvas"
          onDragOver={(e) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = 'move';
          }}
          onDrop={onDrop}
        >
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onReconnect={onReconnect}
            nodesConnectable={!readOnly}
            nodesDraggable={!readOnly}
            edgesReconnectable={!readOnly}
            deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls showInteractive={false} />
            <MiniMap pannable zoomable ariaLabel={t('journeys.editor.minimap')} nodeStrokeWidth={3} />
          </ReactFlow>
        </section>
        {!readOnly ? (
          <Paper withBorder p="sm" component="aside" aria-label={t('journeys.editor.panel')}>
            <Stack gap="sm">
              <Select
                label={t('journeys.editor.edit')}
                value={selected}
                onChange={(v) => {
                  setSelected(v);
                  setSelectedEdge(null);
                }}
                data={[
                  { value: TRIGGER_NODE, label: t('journeys.editor.trigger') },
                  { value: 'settings', label: t('journeys.editor.settings') },
                  ...def.steps.map((s) => ({ value: s.id, label: stepName(s) })),
                ]}
              />
              {selected === TRIGGER_NODE ? (
                <>
                  <Title order={3} size="h5">
                    {t('journeys.editor.trigger')}
                  </Title>
                  <TriggerForm
                    value={def.trigger}
                    onChange={(tr) => update({ ...def, trigger: tr }, 'edit:trigger')}
                  />
                </>
              ) : null}
              {selected === 'settings' ? (
                <>
                  <Title order={3} size="h5">
                    {t('journeys.editor.goals')}
                  </Title>
                  <Text size="xs">{t('journeys.editor.goalsHelp')}</Text>
                  <RulesForm
                    kind="goals"
                    rules={def.goals}
                    onChange={(g) => update({ ...def, goals: g }, 'edit:goals')}
                  />
                  <Title order={3} size="h5">
                    {t('journeys.editor.exitRules')}
                  </Title>
                  <Text size="xs">{t('journeys.editor.exitRulesHelp')}</Text>
                  <RulesForm
                    kind="exitRules"
                    rules={def.exitRules}
                    onChange={(g) => update({ ...def, exitRules: g }, 'edit:exitRules')}
                  />
                  <ReentryForm
                    value={def.reentry}
                    onChange={(r) => update({ ...def, reentry: r }, 'edit:reentry')}
                  />
                </>
              ) : null}
              {step ? (
                <>
                  <Title order={3} size="h5">
                    {stepName(step)}
                  </Title>
                  {(errors.get(step.id) ?? []).length > 0 ? (
                    <Alert color="red" title={t('journeys.editor.stepErrors')}>
                      {(errors.get(step.id) ?? []).join('; ')}
                    </Alert>
                  ) : null}
                  <StepForm
                    key={step.id}
                    step={step}
                    onChange={(s) =>
                      update({ ...def, steps: def.steps.map((x) => (x.id === s.id ? s : x)) }, `edit:${s.id}`)
                    }
                  />
                  {outputsOf(step).map((k) => (
                    <Select
                      key={k}
                      label={t('journeys.editor.connectOutput', { output: outputLabel(k) })}
                      value={typeof step[k] === 'string' ? (step[k] as string) : '__end'}
                      allowDeselect={false}
                      onChange={(v) => update(connect(def, step.id, k, v && v !== '__end' ? v : null))}
                      data={[
                        { value: '__end', label: t('journeys.editor.endOfJourney') },
                        ...def.steps
                          .filter((s) => s.id !== step.id)
                          .map((s) => ({ value: s.id, label: stepName(s) })),
                      ]}
                    />
                  ))}
                  <Group>
                    {def.startStepId !== step.id ? (
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => update({ ...def, startStepId: step.id })}
                      >
                        {t('journeys.editor.makeStart')}
                      </Button>
                    ) : (
                      <Badge variant="light">{t('journeys.editor.isStart')}</Badge>
                    )}
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      onClick={() => {
                        update(deleteStep(def, step.id));
                        setSelected(null);
                      }}
                    >
                      {t('journeys.editor.deleteStep', { name: step.label || step.id })}
                    </Button>
                  </Group>
                </>
              ) : null}
              {selected === null ? <Text size="sm">{t('journeys.editor.nothingSelected')}</Text> : null}
            </Stack>
          </Paper>
        ) : null}
      </div>
    </Stack>
  );
}

/** The last step of the chain from the start (following `next`, then the first free output). */
function lastInChain(def: EditorDefinition): string | null {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  let current = byId.get(def.startStepId);
  const seen = new Set<string>();
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    const nextId = outputsOf(current)
      .map((k) => current?.[k])
      .find((v): v is string => typeof v === 'string' && byId.has(v));
    if (!nextId) return current.id;
    current = byId.get(nextId);
  }
  return current?.id ?? null;
}
