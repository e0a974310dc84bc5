/**
 * How a record row of the Results tree reads, and how records group by video. The rows of one
 * group often share their question word for word, so by default a row leads with what tells records
 * apart (the line and the video's short name); the question stays in the description and tooltip.
 */
import type { IndexEntry } from './index';
import { CATEGORIES, DIRECTIONS } from './vocabulary';

/** `stThink.tree.recordLabel`'s choices (package.json lists the same, with their descriptions). */
export const RECORD_LABELS = ['lineAndVideo', 'videoAndLine', 'videoAndId', 'id', 'question'] as const;
export type RecordLabelChoice = (typeof RECORD_LABELS)[number];
/**
 * The line first: it is short and always differs, where video names of one dataset share a long
 * start ("ADT_Lite_release_recognition_…") that a narrow sidebar cuts before the part that differs.
 */
export const DEFAULT_RECORD_LABEL: RecordLabelChoice = 'lineAndVideo';

/** `stThink.tree.groupBy`'s choices. */
export const TREE_GROUPINGS = ['category', 'video'] as const;
export type TreeGrouping = (typeof TREE_GROUPINGS)[number];

export function recordLabelChoice(v: unknown): RecordLabelChoice {
  return (RECORD_LABELS as readonly unknown[]).includes(v) ? (v as RecordLabelChoice) : DEFAULT_RECORD_LABEL;
}

export function treeGrouping(v: unknown): TreeGrouping {
  return v === 'video' ? 'video' : 'category';
}

/** A video's short name: its file name without folder or extension ("sun3d_3" for ".../r1_video/sun3d_3.mp4"). */
export function videoShortName(video: string): string {
  const base = video.split(/[\\/]/).pop() ?? video;
  return base.replace(/\.[A-Za-z0-9]{2,4}$/, '');
}

/** A video's file name, with its extension ("sun3d_3.mp4"): what search matches. */
export function videoFileName(video: string): string {
  return video.split(/[\\/]/).pop() ?? video;
}

/** The parts of a record row: its label, and what the description starts with (before the row's marks). */
export interface RecordRowText {
  label: string;
  /** Shown after the label, before any marks (worded as, format, re-runs). */
  description: string;
}

const cap = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/**
 * A record row's label and description. `predicted` is the prediction under the rule the tree shows
 * ('n/a' when the rule does not apply). Under a video node (`underVideo`) the video is the parent's
 * label, so the row leads with its category and direction instead.
 */
export function recordRowText(
  e: Pick<IndexEntry, 'id' | 'video' | 'line' | 'label' | 'gold' | 'category' | 'direction'>,
  predicted: string,
  choice: RecordLabelChoice,
  underVideo = false,
): RecordRowText {
  const answer = `${e.gold || '?'} → ${predicted || '–'}`;
  const question = e.label || `(record ${e.id})`;
  const video = e.video ? videoShortName(e.video) : 'no video';
  const where = underVideo ? `${cap(e.category)} ${e.direction}` : video;
  switch (choice) {
    case 'question':
      return { label: `${answer}  ${question}`, description: underVideo ? `line ${e.line}` : `${video} · line ${e.line}` };
    case 'id':
      return { label: e.id, description: `${answer} · ${underVideo ? where : video} · line ${e.line} · ${question}` };
    case 'videoAndId':
      return { label: `${where} · ${e.id}`, description: `${answer} · line ${e.line} · ${question}` };
    case 'videoAndLine':
      return { label: `${where} · line ${e.line}`, description: `${answer} · ${question}` };
    case 'lineAndVideo':
      return { label: `line ${e.line} · ${where}`, description: `${answer} · ${question}` };
  }
}

/** One video's records, forward and reverse questions of a category side by side. */
export interface VideoGroup {
  video: string;
  entries: IndexEntry[];
}

/**
 * Records grouped by video: videos by short name (numbers in names compared as numbers), records with
 * no video last; within a video, by category, then forward before reverse, then file order.
 */
export function groupByVideo(entries: readonly IndexEntry[]): VideoGroup[] {
  const byVideo = new Map<string, IndexEntry[]>();
  for (const e of entries) {
    let list = byVideo.get(e.video);
    if (!list) byVideo.set(e.video, (list = []));
    list.push(e);
  }
  const rank = (e: IndexEntry) => CATEGORIES.indexOf(e.category) * DIRECTIONS.length + DIRECTIONS.indexOf(e.direction);
  const groups = [...byVideo].map(([video, list]) => ({
    video,
    entries: list.slice().sort((a, b) => rank(a) - rank(b) || a.line - b.line),
  }));
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return groups.sort((a, b) => {
    if (!a.video || !b.video) return a.video ? -1 : b.video ? 1 : 0;
    return collator.compare(videoShortName(a.video), videoShortName(b.video)) || collator.compare(a.video, b.video);
  });
}
