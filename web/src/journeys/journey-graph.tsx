import { Background, Controls, type Edge, MarkerType, type Node, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useTranslation } from 'react-i18next';
import type { JourneyDefinition, StepCounter } from './journeys-api.js';

/*
 * The journey as a flow diagram (@xyflow/react): one node per step with its live numbers, one edge
 * per path (next / yes / no / timeout). Steps without a saved position are laid out top to bottom
 * in the order of a walk from the start.
 */

function layout(def: JourneyDefinition): Map<string, { x: number; y: number }> {
  const pos = new Map<string, { x: number; y: number }>();
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const queue: [string, number][] = [[def.startStepId, 0]];
  while (queue.length > 0) {
    const [id, d] = queue.shift()!;
    if (depth.has(id) || !byId.has(id)) continue;
    depth.set(id, d);
    const s = byId.get(id)!;
    for (const n of [s.next, s.yes, s.no, s.timeoutNext]) if (n) queue.push([n, d + 1]);
  }
  const perRow = new Map<number, number>();
  for (const s of def.steps) {
    const d = depth.get(s.id) ?? perRow.size;
    const col = perRow.get(d) ?? 0;
    perRow.set(d, col + 1);
    pos.set(s.id, s.position ?? { x: col * 260, y: d * 140 });
  }
  return pos;
}

export function JourneyGraph({
  definition,
  counters,
}: {
  definition: JourneyDefinition;
  counters: StepCounter[];
}) {
  const { t } = useTranslation();
  const pos = layout(definition);
  const byStep = new Map(counters.map((c) => [c.stepId, c]));
  const nodes: Node[] = definition.steps.map((s) => {
    const c = byStep.get(s.id);
    return {
      id: s.id,
      position: pos.get(s.id)!,
      draggable: false,
      ariaLabel: `${s.label ?? s.id}`,
      data: {
        label: (
          <div>
            <strong>{s.label ?? s.id}</strong>
            <div>{t(`journeys.stepTypes.${s.type}`, { defaultValue: s.type })}</div>
            <div data-testid={`counters-${s.id}`}>
              {t('journeys.counters', {
                entered: c?.entered ?? 0,
                waiting: c?.waiting ?? 0,
                completed: c?.completed ?? 0,
              })}
            </div>
          </div>
        ),
      },
      style: { width: 220, color: '#1b1f24', background: '#ffffff', border: '1px solid #4a5360' },
    };
  });
  const edges: Edge[] = definition.steps.flatMap((s) =>
    (
      [
        ['next', s.next],
        ['yes', s.yes],
        ['no', s.no],
        ['timeout', s.timeoutNext],
      ] as const
    )
      .filter(([, to]) => typeof to === 'string')
      .map(([kind, to]) => ({
        id: `${s.id}-${kind}-${to}`,
        source: s.id,
        target: to as string,
        label: kind === 'next' ? undefined : t(`journeys.paths.${kind}`),
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
  );
  return (
    <div style={{ height: 480, border: '1px solid #d0d5dc', borderRadius: 8 }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        fitView
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
