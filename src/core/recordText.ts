/**
 * A plain-text rendering of one record for the read-only record view. Text only: trace text is
 * untrusted and is never interpreted as Markdown or HTML.
 */
import { categoryLabel, categorySource } from './categories';
import { goldLetter } from './derive';
import { rerunSource } from './model/reruns';
import type { TraceAnalysis, TraceRecord } from './schemas';
import { NA_TEXT, UNSCORED_TEXT } from './vocabulary';

export function renderRecordText(record: TraceRecord, analysis: TraceAnalysis, where: { file: string; line: number }): string {
  const out: string[] = [];
  const rule = (name: string, r: TraceAnalysis['mcq_infer']) =>
    r.na
      ? `${name.padEnd(12)} n/a: ${NA_TEXT[r.na].long}`
      : `${name.padEnd(12)} predicted ${r.predicted || '—'}  →  ${r.outcome}${r.unscored ? `: ${UNSCORED_TEXT[r.unscored].long}` : ''}`;
  out.push(`Record ${record.id}   (${record.shape} shape, ${where.file}:${where.line})`);
  const category = record.wordedAs
    ? `${categoryLabel(record)}: ${categorySource(record)}`
    : `${record.category}${record.categoryExplicit ? '' : ' (from wording)'}`;
  out.push(`Category ${category} · direction ${record.direction}${record.directionExplicit ? '' : ' (from wording)'}`);
  out.push(`Video    ${record.video || '(none: "video" is empty; upstream writes "No video file specified." as the prediction)'}`);
  if (record.model || record.mode) out.push(`Model    ${record.model ?? '—'}${record.mode ? ` · mode ${record.mode}` : ''}`);
  out.push('', '── Question ──', record.question.trim());
  if (record.options.length) {
    const gold = goldLetter(record.gold);
    out.push('', '── Options ──');
    for (const o of record.options) {
      const marks = [
        o.letter === gold ? 'gold' : '',
        o.letter === analysis.mcq_infer.predicted ? 'mcq_infer' : '',
        o.letter === analysis.grpo_reward.predicted ? 'grpo_reward' : '',
      ].filter(Boolean);
      out.push(`${marks.length ? '▶' : ' '} ${o.letter}. ${o.text}${marks.length ? `   [${marks.join(', ')}]` : ''}`);
    }
  }
  out.push(
    '',
    '── Scoring ──',
    `gold         ${record.gold ?? '—'}`,
    rule('mcq_infer', analysis.mcq_infer),
    rule('grpo_reward', analysis.grpo_reward),
  );
  out.push(
    `format       ${
      analysis.format === 'n/a' && analysis.na
        ? `n/a: ${NA_TEXT[analysis.na].long}`
        : analysis.format === 'valid'
          ? 'valid'
          : 'invalid (expected <think>…</think><answer>…</answer> at the start)'
    }`,
  );
  if (analysis.think !== undefined) out.push('', '── Think ──', analysis.think.trim());
  if (analysis.answer !== undefined) out.push('', '── Answer ──', analysis.answer.trim());
  out.push('', '── Response (verbatim) ──', record.response);
  if (record.frames) out.push('', '── Frames ──', JSON.stringify(record.frames));
  if (record.meta) out.push('', '── Meta ──', JSON.stringify(record.meta, null, 2));
  return out.join('\n') + '\n';
}

type Titled = { id: string; direction: string };

/** What a record is called in a tab: its id and direction; a re-run by the record it re-ran ("… · re-run, forward thinking"). */
export function recordTitle(e: Titled): string {
  const r = rerunSource(e.id);
  return r ? `${r.source} · re-run, ${r.mode} thinking` : `${e.id} · ${e.direction}`;
}

/**
 * A pair's tab title: "id · forward ↔ reverse" when both sides are (or re-ran) the same record,
 * else both records' titles. Never a re-run's internal id ("…~forward~388238c7").
 */
export function pairTitle(a: Titled, b: Titled): string {
  const ra = rerunSource(a.id);
  const rb = rerunSource(b.id);
  const idA = ra?.source ?? a.id;
  const idB = rb?.source ?? b.id;
  if (idA !== idB) return `${recordTitle(a)} ↔ ${recordTitle(b)}`;
  const side = (e: Titled, r: typeof ra) => (r ? `re-run, ${r.mode} thinking` : e.direction);
  const [sa, sb] = [side(a, ra), side(b, rb)];
  return sa === sb ? `${idA} · ${sa}` : `${idA} · ${sa} ↔ ${sb}`;
}
