/**
 * What every view's messages share: the `ready` handshake and the pieces several views show.
 * Each view has its own two unions (trace.ts, compare.ts, summary.ts); the lists in them come from
 * the core modules that define them.
 */
import { z } from 'zod';
import { NA_REASONS, OUTCOMES, UNSCORED_REASONS } from '../vocabulary';
import { STEP_KINDS } from '../steps';

/** Webview → host, every view: the webview listens now; the host sends (and re-sends) its state. */
export const readyMessageSchema = z.object({ type: z.literal('ready') });

export const naReasonSchema = z.enum(NA_REASONS);

/** One scoring rule's verdict on a record. */
export const ruleResultSchema = z.object({
  outcome: z.enum(OUTCOMES),
  predicted: z.string(),
  na: naReasonSchema.optional(),
  unscored: z.enum(UNSCORED_REASONS).optional(),
});

export const stepSchema = z.object({ kind: z.enum(STEP_KINDS), label: z.string(), text: z.string() });

/** Where the record shown is among those it steps through. */
export const positionSchema = z.object({ index: z.number(), total: z.number() });

/** The two sides of a pair (run A and run B, forward and reverse). */
export const SIDES = ['a', 'b'] as const;
export type Side = (typeof SIDES)[number];
