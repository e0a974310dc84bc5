/**
 * The reasoning steps of a think text. ST-R1 chains read "Let's start by thinking reverse|forward
 * {the opposite question}{its answer} And then think about {this question} Hence, {the answer}":
 * those three steps are labelled; other text is split into sentences.
 */
export const STEP_KINDS = ['opposite', 'this', 'conclusion', 'sentence'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface ReasoningStep {
  kind: StepKind;
  /** A label for the step: "Thinking reverse", "And then", "Hence", or "" for a sentence. */
  label: string;
  text: string;
}

const ST_R1 = /^\s*(Let's start by thinking (reverse|forward))([\s\S]*?)(And then think about)([\s\S]*?)(Hence,?)([\s\S]*)$/i;

export function reasoningSteps(think: string): ReasoningStep[] {
  const m = ST_R1.exec(think);
  if (m) {
    return [
      { kind: 'opposite', label: `Thinking ${m[2].toLowerCase()}`, text: m[3].trim() },
      { kind: 'this', label: 'And then', text: m[5].trim() },
      { kind: 'conclusion', label: 'Hence', text: m[7].trim() },
    ];
  }
  return splitSentences(think).map((text) => ({ kind: 'sentence', label: '', text }));
}

/** Sentences: split after . ! ? (and their CJK forms) followed by space, or at line breaks. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?。！？])\s+|\n+/u)
    .map((s) => s.trim())
    .filter(Boolean);
}
