import type { WorkingHours } from '../../shared/db/schema.js';
import { type Calendar, isWorkingAt, nextWorkingStart } from './working-hours.js';

/*
 * The routing decision, as a pure function: the service loads the facts under a per-workspace
 * lock, calls `chooseRep`, and stores the result (including the new round-robin credits).
 *
 * Order: (1) the account owner — the rep who owns another contact of the same company; (2) the
 * first matching territory (by priority) that has an eligible rep; (3) weighted round robin over
 * every active rep. A rep is eligible when active, not absent now, and below capacity. Among the
 * eligible reps of a step, those inside their working hours now win; when nobody is working now,
 * the reps whose working time starts soonest. Among those, smooth weighted round robin (the nginx
 * algorithm): every candidate gains its weight, the highest credit wins and pays the sum of the
 * weights — over time each rep gets leads in proportion to the weight, evenly interleaved.
 * Nobody eligible anywhere: the lead waits unassigned in the managers' queue.
 */

export interface RepState {
  userId: string;
  active: boolean;
  weight: number;
  /** Max open leads (assigned or accepted); null = no limit. */
  capacity: number | null;
  openLeads: number;
  timeZone: string;
  workingHours: WorkingHours;
  absences: { startsAt: Date; endsAt: Date }[];
  /** Round-robin credit. */
  rrCurrent: number;
}

export interface Territory {
  id: string;
  name: string;
  priority: number;
  countries: string[];
  postcodeRanges: { from: string; to: string }[];
  industries: string[];
  companySizes: string[];
  userIds: string[];
}

export interface LeadFacts {
  country: string | null;
  postcode: string | null;
  industry: string | null;
  companySize: string | null;
  /** Owner of another contact of the same company (the account owner), if any. */
  accountOwnerId: string | null;
}

export type RoutingDecision =
  | { kind: 'account_owner' | 'round_robin'; userId: string; territoryId: null }
  | { kind: 'territory'; userId: string; territoryId: string }
  | { kind: 'unassigned'; reason: 'no_reps' | 'nobody_available'; userId: null; territoryId: null };

export interface RoutingResult {
  decision: RoutingDecision;
  /** New round-robin credits of the reps that took part in the draw (empty if there was none). */
  credits: Map<string, number>;
  /** Why, step by step: shown with the lead ("territory DACH: nobody below capacity"). */
  trace: string[];
}

export type Ineligibility = 'inactive' | 'absent' | 'at_capacity';

/** Why a rep cannot take a lead now, or null when they can. */
export function ineligibility(rep: RepState, now: Date): Ineligibility | null {
  if (!rep.active) return 'inactive';
  const t = now.getTime();
  if (rep.absences.some((a) => a.startsAt.getTime() <= t && t < a.endsAt.getTime())) return 'absent';
  if (rep.capacity !== null && rep.openLeads >= rep.capacity) return 'at_capacity';
  return null;
}

function calendarOf(rep: RepState): Calendar {
  return { timeZone: rep.timeZone, hours: rep.workingHours };
}

const norm = (v: string | null | undefined) => (v ?? '').trim().toLowerCase();

/** Postcodes compare as strings of digits/letters; a range matches codes of the same length. */
function postcodeInRange(code: string, range: { from: string; to: string }): boolean {
  const c = code.replace(/\s+/g, '').toUpperCase();
  const from = range.from.replace(/\s+/g, '').toUpperCase();
  const to = range.to.replace(/\s+/g, '').toUpperCase();
  if (c.length !== from.length || c.length !== to.length) {
    // "80000"–"89999" also matches a prefix like "8"? No: only full codes of the range's length.
    return false;
  }
  return from <= c && c <= to;
}

/** True when every condition the territory sets holds for the lead (empty lists match anything). */
export function territoryMatches(t: Territory, lead: LeadFacts): boolean {
  if (t.countries.length > 0 && !t.countries.some((c) => norm(c) === norm(lead.country))) return false;
  if (t.industries.length > 0 && !t.industries.some((i) => norm(i) === norm(lead.industry))) return false;
  if (t.companySizes.length > 0 && !t.companySizes.some((s) => norm(s) === norm(lead.companySize)))
    return false;
  if (t.postcodeRanges.length > 0) {
    if (!lead.postcode || !t.postcodeRanges.some((r) => postcodeInRange(lead.postcode as string, r)))
      return false;
  }
  return true;
}

/** Narrows eligible reps to those working now, or else those who start working soonest. */
export function availableNow(reps: RepState[], now: Date): RepState[] {
  const working = reps.filter((r) => isWorkingAt(now, calendarOf(r)));
  if (working.length > 0) return working;
  let best = Number.POSITIVE_INFINITY;
  let soonest: RepState[] = [];
  for (const rep of reps) {
    const next = nextWorkingStart(now, calendarOf(rep));
    if (!next) continue;
    const t = next.getTime();
    if (t < best) {
      best = t;
      soonest = [rep];
    } else if (t === best) soonest.push(rep);
  }
  return soonest;
}

/** Smooth weighted round robin over the candidates; ties go to fewer open leads, then user id. */
export function drawRoundRobin(candidates: RepState[]): { userId: string; credits: Map<string, number> } {
  if (candidates.length === 0) throw new Error('drawRoundRobin needs candidates');
  const total = candidates.reduce((sum, r) => sum + r.weight, 0);
  const credits = new Map<string, number>();
  let winner: RepState | undefined;
  for (const rep of candidates) {
    const credit = rep.rrCurrent + rep.weight;
    credits.set(rep.userId, credit);
    if (!winner) {
      winner = rep;
      continue;
    }
    const best = credits.get(winner.userId) as number;
    if (
      credit > best ||
      (credit === best &&
        (rep.openLeads < winner.openLeads ||
          (rep.openLeads === winner.openLeads && rep.userId < winner.userId)))
    ) {
      winner = rep;
    }
  }
  const w = winner as RepState;
  credits.set(w.userId, (credits.get(w.userId) as number) - total);
  return { userId: w.userId, credits };
}

/** Decides who gets a lead. Pure: the same facts always give the same answer. */
export function chooseRep(input: {
  now: Date;
  lead: LeadFacts;
  reps: RepState[];
  territories: Territory[];
  /** Reps that must not get this lead (e.g. the one an SLA escalation takes it from). */
  exclude?: string[];
}): RoutingResult {
  const { now, lead } = input;
  const exclude = new Set(input.exclude ?? []);
  const trace: string[] = [];
  const reps = input.reps.filter((r) => !exclude.has(r.userId));
  const byId = new Map(reps.map((r) => [r.userId, r]));
  const eligible = (r: RepState) => {
    const why = ineligibility(r, now);
    if (why) trace.push(`${r.userId}: ${why}`);
    return why === null;
  };

  if (input.reps.filter((r) => r.active).length === 0) {
    trace.push('no active reps');
    return {
      decision: { kind: 'unassigned', reason: 'no_reps', userId: null, territoryId: null },
      credits: new Map(),
      trace,
    };
  }

  if (lead.accountOwnerId) {
    const owner = byId.get(lead.accountOwnerId);
    if (owner && eligible(owner)) {
      trace.push(`account owner ${owner.userId}`);
      return {
        decision: { kind: 'account_owner', userId: owner.userId, territoryId: null },
        credits: new Map(),
        trace,
      };
    }
    trace.push(owner ? 'account owner not available' : 'account owner is not an active rep here');
  }

  const territories = [...input.territories].sort(
    (a, b) => a.priority - b.priority || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
  for (const territory of territories) {
    if (!territoryMatches(territory, lead)) continue;
    const pool = territory.userIds.map((id) => byId.get(id)).filter((r): r is RepState => !!r && eligible(r));
    const candidates = availableNow(pool, now);
    if (candidates.length === 0) {
      trace.push(`territory ${territory.name}: nobody available`);
      continue;
    }
    const { userId, credits } = drawRoundRobin(candidates);
    trace.push(`territory ${territory.name}: ${userId}`);
    return { decision: { kind: 'territory', userId, territoryId: territory.id }, credits, trace };
  }

  const pool = reps.filter((r) => r.active && eligible(r));
  const candidates = availableNow(pool, now);
  if (candidates.length === 0) {
    trace.push('round robin: nobody available');
    return {
      decision: { kind: 'unassigned', reason: 'nobody_available', userId: null, territoryId: null },
      credits: new Map(),
      trace,
    };
  }
  const { userId, credits } = drawRoundRobin(candidates);
  trace.push(`round robin: ${userId}`);
  return { decision: { kind: 'round_robin', userId, territoryId: null }, credits, trace };
}
