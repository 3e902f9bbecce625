import type { AppDeps } from '../../shared/module.js';
import { type CaptureLimits, DEFAULT_LIMITS } from './abuse.js';
import { DEFAULT_POW, type PowOptions } from './altcha.js';
import type { FormDefinition } from './form-definition.js';
import type { FormRow } from './forms.repository.js';

/** Tunable protections; tests and the benchmark pass their own. */
export interface CaptureOptions {
  limits: CaptureLimits;
  pow: PowOptions;
  /** Proof-of-work for every form, whatever the form says (off only for benchmarks and tests). */
  powEnabled: boolean;
  timeTrap: { minSeconds: number; maxSeconds: number };
  /** How long a form looked up by slug is reused before it is read again. */
  formCacheMs: number;
  /**
   * Write a new address's sign-up in one statement when nothing needs deciding (see
   * docs/practices/capture.md, "Performance"). Off only in the test that compares both ways.
   */
  fastPath: boolean;
}

export const DEFAULT_CAPTURE_OPTIONS: CaptureOptions = {
  limits: DEFAULT_LIMITS,
  pow: DEFAULT_POW,
  powEnabled: true,
  timeTrap: { minSeconds: 2, maxSeconds: 24 * 3600 },
  formCacheMs: 2000,
  fastPath: true,
};

export interface LiveForm {
  form: FormRow;
  version: number;
  definition: FormDefinition;
}

/** What the capture services need: the app's dependencies, the options, and a small form cache. */
export interface CaptureContext {
  deps: AppDeps;
  options: CaptureOptions;
  /** slug → live form (or null when not live), with the time it was read. Versions never change. */
  formCache: Map<string, { at: number; live: LiveForm | null }>;
}

export function createCaptureContext(deps: AppDeps, options: Partial<CaptureOptions> = {}): CaptureContext {
  return { deps, options: { ...DEFAULT_CAPTURE_OPTIONS, ...options }, formCache: new Map() };
}
