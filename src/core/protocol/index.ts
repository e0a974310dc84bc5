/**
 * Every message between the extension host and its webviews, per view: each view has one
 * discriminated union per direction, validated with zod on arrival on both sides, and each panel
 * accepts only its own view's messages. The webview bundle serves all the views, so it reads
 * the union of the host's messages.
 */
import { z } from 'zod';
import { agreementHostMessageSchema, type AgreementWebviewMessage } from './agreement';
import { compareHostMessageSchema, type CompareWebviewMessage } from './compare';
import { runsHostMessageSchema, type RunsWebviewMessage } from './runs';
import { summaryHostMessageSchema, type SummaryWebviewMessage } from './summary';
import { traceHostMessageSchema, type TraceWebviewMessage } from './trace';
import {
  trainingCurvesHostMessageSchema,
  trainingHostMessageSchema,
  type TrainingCurvesWebviewMessage,
  type TrainingWebviewMessage,
} from './training';

export * from './agreement';
export * from './compare';
export * from './runs';
export * from './shared';
export * from './summary';
export * from './trace';
export * from './training';

/** Host → webview, any view (what the webview bundle accepts). */
export const hostMessageSchema = z.discriminatedUnion('type', [
  ...traceHostMessageSchema.options,
  ...compareHostMessageSchema.options,
  ...summaryHostMessageSchema.options,
  ...runsHostMessageSchema.options,
  ...trainingHostMessageSchema.options,
  ...agreementHostMessageSchema.options,
  ...trainingCurvesHostMessageSchema.options,
]);
export type HostMessage = z.infer<typeof hostMessageSchema>;

/** Webview → host, any view. */
export type WebviewMessage =
  | TraceWebviewMessage
  | CompareWebviewMessage
  | SummaryWebviewMessage
  | RunsWebviewMessage
  | TrainingWebviewMessage
  | AgreementWebviewMessage
  | TrainingCurvesWebviewMessage;
