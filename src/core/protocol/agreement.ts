/** The judge agreement view's messages: two judgments of one file's route answers; the webview asks for an export. */
import { z } from 'zod';
import { judgeComparisonViewSchema } from './compare';
import { readyMessageSchema } from './shared';

/** Host → judge agreement view. */
export const agreementHostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('judgeAgreement'),
    /** The results file whose route answers were judged. */
    file: z.string(),
    /** What each side is (a judge model of the judgments file, an upstream judge output, another judgments file). */
    a: z.string(),
    b: z.string(),
    judge: judgeComparisonViewSchema,
  }),
]);
export type AgreementHostMessage = z.infer<typeof agreementHostMessageSchema>;

/** Judge agreement view → host. */
export const agreementWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  z.object({ type: z.literal('exportAgreement') }),
]);
export type AgreementWebviewMessage = z.infer<typeof agreementWebviewMessageSchema>;
