/**
 * The Results tree: file → category → direction → outcome → record (or, grouped by video, file →
 * video → record), each level with its count and accuracy under the chosen rule; invalid lines under
 * a "Problems" node. Nodes are cached per file version so `reveal` and `getParent` see stable objects.
 */
import * as vscode from 'vscode';
import { categoryLabel, categorySource } from '../core/categories';
import type { IndexEntry, IndexProblem } from '../core/index';
import {
  CATEGORIES,
  DIRECTIONS,
  NA_TEXT,
  noVerdictText,
  OUTCOMES,
  type Category,
  type Direction,
  type NaReason,
  type Outcome,
  type ScoringRule,
  type UnscoredReason,
} from '../core/schemas';
import { bucketOf, formatAccuracy, naOf, noVideoLine, outcomeOf, predictedOf } from '../core/summary';
import type { JudgeSummary } from '../core/judge/summary';
import { isRerunsFile, rerunSource } from '../core/model/reruns';
import type { RecordNotes } from '../core/notes';
import {
  groupByVideo,
  recordLabelChoice,
  recordRowText,
  treeGrouping,
  videoShortName,
  type TreeGrouping,
  type VideoGroup,
} from '../core/recordLabel';
import type { ComparisonSession, Comparisons } from './comparisons';
import type { ResultsFile, ResultsStore } from './store';
import { Disposable } from './dispose';

export type ResultsNode =
  | { kind: 'file'; id: string; file: ResultsFile }
  | { kind: 'category'; id: string; file: ResultsFile; category: Category; parent: ResultsNode }
  | { kind: 'direction'; id: string; file: ResultsFile; category: Category; direction: Direction; parent: ResultsNode }
  | { kind: 'outcome'; id: string; file: ResultsFile; outcome: Outcome; entries: IndexEntry[]; parent: ResultsNode }
  | { kind: 'video'; id: string; file: ResultsFile; video: string; entries: IndexEntry[]; parent: ResultsNode }
  | { kind: 'page'; id: string; file: ResultsFile; entries: IndexEntry[]; first: number; parent: ResultsNode }
  | { kind: 'record'; id: string; file: ResultsFile; entry: IndexEntry; parent: ResultsNode }
  | { kind: 'problems'; id: string; file: ResultsFile; parent: ResultsNode }
  | { kind: 'problem'; id: string; file: ResultsFile; problem: IndexProblem; parent: ResultsNode }
  | { kind: 'message'; id: string; text: string; parent?: ResultsNode }
  | { kind: 'comparisons'; id: string }
  | { kind: 'comparison'; id: string; session: ComparisonSession; parent: ResultsNode }
  | { kind: 'flip'; id: string; session: ComparisonSession; index: number; parent: ResultsNode };

export type RecordNode = Extract<ResultsNode, { kind: 'record' }>;
export type FileNode = Extract<ResultsNode, { kind: 'file' }>;
export type ComparisonNode = Extract<ResultsNode, { kind: 'comparison' }>;
export type FlipNode = Extract<ResultsNode, { kind: 'flip' }>;
export type VideoNode = Extract<ResultsNode, { kind: 'video' }>;

const OUTCOME_LABEL: Record<Outcome, string> = {
  correct: 'Correct',
  incorrect: 'Incorrect',
  unanswered: 'Unanswered',
  unscored: 'Unscored',
};

export function outcomeIcon(outcome: Outcome): vscode.ThemeIcon {
  switch (outcome) {
    case 'correct':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'incorrect':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'unanswered':
      return new vscode.ThemeIcon('question', new vscode.ThemeColor('editorWarning.foreground'));
    case 'unscored':
      return new vscode.ThemeIcon('circle-outline');
  }
}

/** A record's URI, used for its tree item decoration and its read-only view. */
export function recordUri(file: ResultsFile, entry: IndexEntry): vscode.Uri {
  const base = file.uri.path.split('/').pop() ?? 'results';
  return vscode.Uri.from({
    scheme: 'st-think-record',
    path: `/${base}:${entry.line}`,
    query: new URLSearchParams({
      file: file.uri.toString(),
      line: String(entry.line),
      format: entry.format,
    }).toString(),
  });
}

interface Grouping {
  key: string;
  /** category → direction → outcome → entries */
  groups: Map<Category, Map<Direction, Map<Outcome, IndexEntry[]>>>;
  /** The visible entries by video (made when the tree is grouped by video). */
  byVideo?: VideoGroup[];
}

/** How the tree groups records (`stThink.tree.groupBy`). */
export function treeGroupingSetting(): TreeGrouping {
  return treeGrouping(vscode.workspace.getConfiguration('stThink').get('tree.groupBy'));
}

export class ResultsTreeProvider extends Disposable implements vscode.TreeDataProvider<ResultsNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<ResultsNode | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, ResultsNode>();
  private readonly groupings = new WeakMap<ResultsFile, Grouping>();

  private companionPaths = new WeakMap<ResultsFile, string>();
  /** Re-runs by source id, per re-runs file version. */
  private readonly rerunIndex = new WeakMap<ResultsFile, { version: number; bySource: Map<string, IndexEntry[]> }>();

  constructor(
    private readonly store: ResultsStore,
    private readonly comparisons?: Comparisons,
    /** Where a results file's re-runs are written (their records show under the record re-run). */
    private readonly rerunsFileOf?: (resultsFile: string) => string,
    /** A record's tags and note (extension/notes.ts). */
    private readonly notesOf?: (file: ResultsFile, entry: IndexEntry) => RecordNotes | undefined,
    /** The route judge's scores (route records show their total, their buckets the mean). */
    private readonly judge?: JudgeScores,
  ) {
    super();
    this._register(store.onDidChange(() => this.refresh()));
    if (judge) this._register(judge.onDidChange(() => this.refresh()));
    if (comparisons) this._register(comparisons.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.nodes.clear();
    this.companionPaths = new WeakMap();
    this.emitter.fire(undefined);
  }

  private pageSize(): number {
    return Math.max(50, vscode.workspace.getConfiguration('stThink').get<number>('recordsPerPage', 1000));
  }

  /** The one node object for an id, so the tree sees the same element each time. */
  private node<T extends ResultsNode>(make: T): T {
    const hit = this.nodes.get(make.id) as T | undefined;
    if (hit) return hit;
    this.nodes.set(make.id, make);
    return make;
  }

  /** The re-runs of a record, from its results file's re-runs file when that is open. */
  rerunsOf(file: ResultsFile, entry: IndexEntry): { file: ResultsFile; entries: IndexEntry[] } | undefined {
    if (!this.rerunsFileOf || isRerunsFile(file.path)) return undefined;
    // Where a file's re-runs go is asked once per refresh (it can touch the disk), not per row.
    let where = this.companionPaths.get(file);
    if (where === undefined) this.companionPaths.set(file, (where = this.rerunsFileOf(file.path)));
    const companion = this.store.list.find((f) => f.path === where);
    if (!companion?.index) return undefined;
    let cache = this.rerunIndex.get(companion);
    if (!cache || cache.version !== companion.version) {
      const bySource = new Map<string, IndexEntry[]>();
      for (const e of companion.index.entries) {
        const src = rerunSource(e.id)?.source;
        if (src === undefined) continue;
        let list = bySource.get(src);
        if (!list) bySource.set(src, (list = []));
        list.push(e);
      }
      cache = { version: companion.version, bySource };
      this.rerunIndex.set(companion, cache);
    }
    const entries = cache.bySource.get(entry.id);
    return entries?.length ? { file: companion, entries } : undefined;
  }

  fileNode(file: ResultsFile): FileNode {
    return this.node({ kind: 'file', id: `f:${file.key}`, file });
  }

  /** The visible records of a file by video, forward and reverse questions side by side. */
  private videoGroups(file: ResultsFile): VideoGroup[] {
    const g = this.grouping(file);
    return (g.byVideo ??= groupByVideo(file.visible));
  }

  private grouping(file: ResultsFile): Grouping {
    const rule = this.store.rule;
    const key = `${file.version}:${rule}:${file.visible.length}`;
    const cached = this.groupings.get(file);
    if (cached && cached.key === key) return cached;
    const groups: Grouping['groups'] = new Map();
    for (const e of file.visible) {
      let byDir = groups.get(e.category);
      if (!byDir) groups.set(e.category, (byDir = new Map()));
      let byOutcome = byDir.get(e.direction);
      if (!byOutcome) byDir.set(e.direction, (byOutcome = new Map()));
      const o = outcomeOf(e, rule);
      let list = byOutcome.get(o);
      if (!list) byOutcome.set(o, (list = []));
      list.push(e);
    }
    const g = { key, groups };
    this.groupings.set(file, g);
    return g;
  }

  getChildren(element?: ResultsNode): ResultsNode[] {
    if (!element) {
      const top: ResultsNode[] = this.store.list.map((f) => this.fileNode(f));
      if (this.comparisons?.list.length) top.push(this.node({ kind: 'comparisons', id: 'cmp' }));
      return top;
    }
    switch (element.kind) {
      case 'comparisons':
        return (this.comparisons?.list ?? []).map((session) => this.comparisonNode(session));
      case 'comparison':
        return this.flipChildren(element);
      case 'file':
        return this.fileChildren(element);
      case 'category': {
        const byDir = this.grouping(element.file).groups.get(element.category);
        return DIRECTIONS.filter((d) => byDir?.has(d)).map((direction) =>
          this.node({
            kind: 'direction',
            id: `d:${element.file.key}:${element.category}:${direction}`,
            file: element.file,
            category: element.category,
            direction,
            parent: element,
          }),
        );
      }
      case 'direction': {
        const byOutcome = this.grouping(element.file).groups.get(element.category)?.get(element.direction);
        return OUTCOMES.filter((o) => byOutcome?.has(o)).map((outcome) =>
          this.node({
            kind: 'outcome',
            id: `o:${element.file.key}:${element.category}:${element.direction}:${outcome}`,
            file: element.file,
            outcome,
            entries: byOutcome!.get(outcome)!,
            parent: element,
          }),
        );
      }
      case 'outcome':
      case 'video':
        return this.pagedRecords(element, element.entries);
      case 'page':
        return this.records(element, element.entries);
      case 'record': {
        const r = this.rerunsOf(element.file, element.entry);
        return r
          ? r.entries.map((entry) =>
              this.node({ kind: 'record', id: `${element.id}/rr:${r.file.key}:${entry.offset}`, file: r.file, entry, parent: element }),
            )
          : [];
      }
      case 'problems':
        return element.file.index!.problems.map((problem) =>
          this.node({ kind: 'problem', id: `q:${element.file.key}:${problem.offset}`, file: element.file, problem, parent: element }),
        );
      default:
        return [];
    }
  }

  private records(parent: ResultsNode & { file: ResultsFile }, entries: IndexEntry[]): ResultsNode[] {
    return entries.map((entry) =>
      this.node({ kind: 'record', id: `r:${parent.file.key}:${entry.offset}`, file: parent.file, entry, parent }),
    );
  }

  /**
   * Every visible record in the tree's order: file, category, direction, outcome, file order (or,
   * grouped by video: file, video, category, direction, file order).
   */
  treeOrder(): { file: ResultsFile; entry: IndexEntry }[] {
    const out: { file: ResultsFile; entry: IndexEntry }[] = [];
    const byVideo = treeGroupingSetting() === 'video';
    for (const file of this.store.list) {
      if (!file.index) continue;
      if (byVideo) {
        for (const g of this.videoGroups(file)) for (const entry of g.entries) out.push({ file, entry });
        continue;
      }
      const { groups } = this.grouping(file);
      for (const c of CATEGORIES)
        for (const d of DIRECTIONS)
          for (const o of OUTCOMES) for (const entry of groups.get(c)?.get(d)?.get(o) ?? []) out.push({ file, entry });
    }
    return out;
  }

  getParent(element: ResultsNode): ResultsNode | undefined {
    return element.kind === 'file' || element.kind === 'comparisons' ? undefined : element.parent;
  }

  comparisonNode(session: ComparisonSession): ComparisonNode {
    const parent = this.node({ kind: 'comparisons', id: 'cmp' });
    return this.node({ kind: 'comparison', id: `cmp:${session.key}`, session, parent });
  }

  /** The tree node of flip `index` of a comparison (for reveal), when the tree lists it. */
  flipNode(session: ComparisonSession, index: number): FlipNode | undefined {
    const holder = this.comparisonNode(session);
    return this.getChildren(holder).find((n): n is FlipNode => n.kind === 'flip' && n.index === index);
  }

  /** The record node of an entry, built through its ancestors so `reveal` can expand them. */
  recordNode(file: ResultsFile, entry: IndexEntry): RecordNode | undefined {
    const rule = this.store.rule;
    const fileNode = this.fileNode(file);
    let out: ResultsNode | undefined;
    if (treeGroupingSetting() === 'video') {
      out = this.getChildren(fileNode).find((n) => n.kind === 'video' && n.video === entry.video);
    } else {
      const cat = this.getChildren(fileNode).find((n) => n.kind === 'category' && n.category === entry.category);
      const dir = cat && this.getChildren(cat).find((n) => n.kind === 'direction' && n.direction === entry.direction);
      out = dir && this.getChildren(dir).find((n) => n.kind === 'outcome' && n.outcome === outcomeOf(entry, rule));
    }
    if (!out || (out.kind !== 'outcome' && out.kind !== 'video')) return undefined;
    let holder: ResultsNode = out;
    if (out.entries.length > this.pageSize()) {
      const pos = out.entries.indexOf(entry);
      holder = this.getChildren(out)[Math.floor(pos / this.pageSize())];
    }
    return this.getChildren(holder).find((n): n is RecordNode => n.kind === 'record' && n.entry === entry);
  }

  getTreeItem(n: ResultsNode): vscode.TreeItem {
    const rule = this.store.rule;
    const C = vscode.TreeItemCollapsibleState;
    switch (n.kind) {
      case 'file':
        return this.fileItem(n);
      case 'category':
      case 'direction':
        return this.groupItem(n);
      case 'outcome': {
        // Unscored because the rule does not apply (only the extracted letter): "n/a" and why.
        const why = n.outcome === 'unscored' ? commonNa(n.entries, rule) : undefined;
        const item = new vscode.TreeItem(why ? 'n/a' : OUTCOME_LABEL[n.outcome], C.Collapsed);
        item.id = n.id;
        item.description = why ? `${n.entries.length.toLocaleString()} · ${NA_TEXT[why].short}` : n.entries.length.toLocaleString();
        if (why) item.tooltip = `n/a under ${rule}: ${NA_TEXT[why].long}`;
        item.iconPath = outcomeIcon(n.outcome);
        item.contextValue = 'stThink.outcome';
        return item;
      }
      case 'video':
        return this.videoItem(n);
      case 'page': {
        const item = new vscode.TreeItem(
          `Records ${(n.first + 1).toLocaleString()}–${(n.first + n.entries.length).toLocaleString()}`,
          C.Collapsed,
        );
        item.id = n.id;
        return item;
      }
      case 'record':
        return this.recordItem(n);
      case 'problems': {
        const idx = n.file.index!;
        const item = new vscode.TreeItem('Problems', C.Collapsed);
        item.id = n.id;
        const listed = idx.problemCount > idx.problems.length ? ` (first ${idx.problems.length.toLocaleString()} listed)` : '';
        item.description = `${idx.problemCount.toLocaleString()} invalid${listed}`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(`Line ${n.problem.line}`, C.None);
        item.id = n.id;
        item.description = n.problem.message;
        item.tooltip = `${n.file.path}:${n.problem.line}\n${n.problem.message}`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
        item.contextValue = 'stThink.problem';
        item.command = { command: 'stThink.goToSource', title: 'Go to Source', arguments: [n] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(n.text, C.None);
        item.id = n.id;
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
      case 'comparisons': {
        const item = new vscode.TreeItem('Comparisons', C.Expanded);
        item.id = n.id;
        item.iconPath = new vscode.ThemeIcon('git-compare');
        item.description = `${this.comparisons?.list.length ?? 0}`;
        return item;
      }
      case 'comparison':
        return this.comparisonItem(n);
      case 'flip':
        return this.flipItem(n);
    }
  }

  private flipChildren(element: ComparisonNode): ResultsNode[] {
    const flipped = element.session.comparison.flipped;
    const shown = Math.min(flipped.length, this.pageSize());
    const out: ResultsNode[] = [];
    for (let index = 0; index < shown; index++)
      out.push(this.node({ kind: 'flip', id: `${element.id}:${index}`, session: element.session, index, parent: element }));
    if (flipped.length > shown) {
      out.push(
        this.node({
          kind: 'message',
          id: `${element.id}:more`,
          text: `${(flipped.length - shown).toLocaleString()} more flips: open the comparison view`,
          parent: element,
        }),
      );
    }
    if (!flipped.length)
      out.push(this.node({ kind: 'message', id: `${element.id}:none`, text: 'No flips: the paired records agree', parent: element }));
    return out;
  }

  private fileChildren(element: FileNode): ResultsNode[] {
    const f = element.file;
    if (!f.index) {
      const text =
        f.state.kind === 'failed'
          ? f.state.message
          : f.state.kind === 'cancelled'
            ? 'Indexing cancelled: select "Re-index File" to retry'
            : '';
      return text ? [this.node({ kind: 'message', id: `m:${f.key}`, text, parent: element })] : [];
    }
    const { groups } = this.grouping(f);
    const out: ResultsNode[] =
      treeGroupingSetting() === 'video'
        ? this.videoGroups(f).map((g) =>
            this.node({ kind: 'video', id: `v:${f.key}:${g.video}`, file: f, video: g.video, entries: g.entries, parent: element }),
          )
        : CATEGORIES.filter((c) => groups.has(c)).map((category) =>
            this.node({ kind: 'category', id: `c:${f.key}:${category}`, file: f, category, parent: element }),
          );
    if (f.index.problemCount) out.push(this.node({ kind: 'problems', id: `p:${f.key}`, file: f, parent: element }));
    if (!out.length && f.state.kind === 'ready') {
      const text = f.index.entries.length ? 'No record matches the filter' : 'No records';
      out.push(this.node({ kind: 'message', id: `m:${f.key}`, text, parent: element }));
    }
    return out;
  }

  /** A group's records, in pages of `stThink.recordsPerPage` when there are more. */
  private pagedRecords(element: Extract<ResultsNode, { kind: 'outcome' | 'video' }>, entries: IndexEntry[]): ResultsNode[] {
    const size = this.pageSize();
    if (entries.length <= size) return this.records(element, entries);
    const pages: ResultsNode[] = [];
    for (let i = 0; i < entries.length; i += size) {
      pages.push(
        this.node({
          kind: 'page',
          id: `${element.id}:${i}`,
          file: element.file,
          entries: entries.slice(i, i + size),
          first: i,
          parent: element,
        }),
      );
    }
    return pages;
  }

  private fileItem(n: FileNode): vscode.TreeItem {
    const rule = this.store.rule;
    const C = vscode.TreeItemCollapsibleState;
    const f = n.file;
    const item = new vscode.TreeItem(f.uri.path.split('/').pop() ?? f.path, C.Expanded);
    item.id = n.id;
    item.resourceUri = f.uri;
    item.iconPath = new vscode.ThemeIcon('file-code');
    item.contextValue = `stThink.file.${f.state.kind}`;
    const idx = f.index;
    if (f.state.kind === 'indexing') {
      const pct = f.state.total ? Math.floor((f.state.done / f.state.total) * 100) : 0;
      item.description = `indexing ${pct}% · ${idx?.entries.length.toLocaleString() ?? 0} records`;
      item.iconPath = new vscode.ThemeIcon('loading~spin');
    } else if (f.state.kind === 'failed') {
      item.description = 'not loaded';
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.tooltip = f.state.message;
    } else if (f.state.kind === 'cancelled') {
      item.description = 'indexing cancelled';
    } else if (idx) {
      const b = bucketOf(f.visible, rule);
      const shown =
        f.visible.length === idx.entries.length
          ? `${idx.entries.length.toLocaleString()}`
          : `${f.visible.length.toLocaleString()} of ${idx.entries.length.toLocaleString()}`;
      const noVideo = countNoVideo(idx.entries);
      const records = `${shown} record${idx.entries.length === 1 ? '' : 's'}`;
      const invalid = idx.problemCount ? ` · ${idx.problemCount.toLocaleString()} invalid` : '';
      const warnings = noVideo ? ` · ${noVideo.toLocaleString()} warning${noVideo === 1 ? '' : 's'}` : '';
      item.description = `${records} · ${formatAccuracy(b)}${invalid}${warnings}`;
      item.tooltip = [
        f.path,
        b.total || !b.na ? `${b.correct}/${b.total} correct under ${rule}` : `${rule}: n/a`,
        ...naNotes(f.visible, rule),
        ...formatNaNotes(f.visible),
        noVideoLine(noVideo),
      ]
        .filter(Boolean)
        .join('\n');
    }
    return item;
  }

  private groupItem(n: Extract<ResultsNode, { kind: 'category' | 'direction' }>): vscode.TreeItem {
    const rule = this.store.rule;
    const C = vscode.TreeItemCollapsibleState;
    const g = this.grouping(n.file).groups.get(n.category);
    const entries =
      n.kind === 'category'
        ? [...(g?.values() ?? [])].flatMap((m) => [...m.values()].flat())
        : [...(g?.get(n.direction)?.values() ?? [])].flat();
    const label = n.kind === 'category' ? cap(n.category) : cap(n.direction);
    const item = new vscode.TreeItem(label, n.kind === 'category' ? C.Expanded : C.Collapsed);
    item.id = n.id;
    item.description = countAndAccuracy(entries, rule);
    const judged = n.category === 'route' ? this.judge?.summaryOf(n.file, entries) : undefined;
    if (judged) item.description += ` · ${judgeBucketText(judged)}`;
    const notes = naNotes(entries, rule);
    if (notes.length) item.tooltip = notes.join('\n');
    const worded = wordedAsCounts(entries);
    if (worded) {
      // Upstream words its forward action questions as landmark questions: say how many are.
      item.description += ` · ${worded}`;
      const evidence = `(a reference chain, or the reverse ${n.category} question on the same video)`;
      const recognised = `${worded}: recognised as ${n.category} questions from the evidence in the file ${evidence}`;
      item.tooltip = `${item.tooltip ? `${item.tooltip}\n` : ''}${entries.length.toLocaleString()} ${n.category} questions; ${recognised}`;
    }
    item.iconPath = new vscode.ThemeIcon(
      n.kind === 'category' ? 'symbol-folder' : n.direction === 'forward' ? 'arrow-right' : 'arrow-left',
    );
    item.contextValue = `stThink.${n.kind}`;
    return item;
  }

  private recordItem(n: RecordNode): vscode.TreeItem {
    const rule = this.store.rule;
    const C = vscode.TreeItemCollapsibleState;
    const e = n.entry;
    const outcome = outcomeOf(e, rule);
    const na = naOf(e, rule);
    const pred = na ? 'n/a' : predictedOf(e, rule);
    const formatMark = e.format === 'invalid' ? ' · format ✗' : '';
    // The stems of one group are often alike word for word, and a narrow sidebar cuts the end of
    // the row first: the row leads with what tells records apart (stThink.tree.recordLabel).
    const rerun = isRerunsFile(n.file.path);
    const under = rerun && n.parent.kind === 'record';
    const runs = rerun ? undefined : this.rerunsOf(n.file, e);
    const choice = recordLabelChoice(vscode.workspace.getConfiguration('stThink').get('tree.recordLabel'));
    const row = recordRowText(e, pred, choice, n.parent.kind === 'video' || (n.parent.kind === 'page' && n.parent.parent.kind === 'video'));
    const label = under ? `${e.gold || '?'} → ${pred || '–'}  ${rerunSource(e.id)?.mode ?? 'unknown'} thinking (re-run)` : row.label;
    const item = new vscode.TreeItem(label, runs ? C.Collapsed : C.None);
    item.id = n.id;
    const wordedMark = e.wordedAs ? ` · worded as ${e.wordedAs}` : '';
    const rerunsMark = runs ? ` · ${runs.entries.length} re-run${runs.entries.length === 1 ? '' : 's'}` : '';
    const notes = this.notesOf?.(n.file, e);
    const notesMark = notesMarks(notes);
    // The marks before the question, which is the part a narrow sidebar may cut.
    const [answer, ...rest] = row.description.split(' · ');
    const judged = e.category === 'route' ? this.judge?.judgmentOf(n.file, e.id) : undefined;
    const judgeMark = judged ? ` · judge ${judged.total.toFixed(2)}/5${judged.status === 'scored' ? '' : ` (${judged.status})`}` : '';
    const marks = `${notesMark}${judgeMark}${wordedMark}${formatMark}${rerunsMark}`;
    item.description = under
      ? `line ${e.line} of ${n.file.path.split(/[\\/]/).pop()}${formatMark}`
      : choice === 'question'
        ? `${row.description}${marks}`
        : [`${answer}${marks}`, ...rest].join(' · ');
    item.iconPath = e.format === 'invalid' ? new vscode.ThemeIcon('warning', outcomeColour(outcome)) : outcomeIcon(outcome);
    item.resourceUri = recordUri(n.file, e);
    item.contextValue = rerun ? 'stThink.rerun' : 'stThink.record';
    item.command = { command: 'stThink.showRecord', title: 'Show Record', arguments: [n] };
    const verdict = na ? `${rule} n/a: ${NA_TEXT[na].long}` : outcome;
    const invalidNote = e.format === 'invalid' ? ', invalid format' : '';
    const videoNote = e.video ? '' : ', no video';
    const wordedNote = e.wordedAs ? `, ${e.category} question worded as ${e.wordedAs}` : '';
    const tagsNote = notes?.tags.length ? `, tagged ${notes.tags.join(', ')}` : '';
    const said = `${invalidNote}${videoNote}${wordedNote}${tagsNote}${notes?.note ? ', has a note' : ''}`;
    const video = e.video ? `Video ${videoShortName(e.video)}, line ${e.line}` : `No video, line ${e.line}`;
    item.accessibilityInformation = {
      label: `${video}: ${e.label}. ${verdict}. gold ${e.gold || 'none'}, predicted ${pred || 'none'}${said}.`,
    };
    return item;
  }

  /** A video of the file (grouped by video): its short name, how many questions, their accuracy. */
  private videoItem(n: VideoNode): vscode.TreeItem {
    const rule = this.store.rule;
    const item = new vscode.TreeItem(n.video ? videoShortName(n.video) : 'No video', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = n.id;
    const kinds = [...new Set(n.entries.map((e) => `${e.category} ${e.direction}`))].join(', ');
    item.description = `${countAndAccuracy(n.entries, rule)} · ${kinds}`;
    item.tooltip = [n.video || 'Records with no video', `${n.entries.length} question${n.entries.length === 1 ? '' : 's'}: ${kinds}`]
      .concat(naNotes(n.entries, rule))
      .join('\n');
    item.iconPath = new vscode.ThemeIcon(n.video ? 'device-camera-video' : 'circle-slash');
    item.contextValue = 'stThink.video';
    return item;
  }

  private comparisonItem(n: ComparisonNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    const c = n.session.comparison;
    const item = new vscode.TreeItem(n.session.title, C.Collapsed);
    item.id = n.id;
    item.iconPath = new vscode.ThemeIcon('diff');
    const d = c.overall.difference;
    const p = c.mcnemar.p;
    const points = d === null ? '—' : `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)} pts`;
    const pText = p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
    const pairedOnly = c.accuracyOver === 'paired';
    const over = pairedOnly ? ` · paired records only: ${c.paired}` : '';
    item.description = `${points} · ${c.flips.rightToWrong}↓ ${c.flips.wrongToRight}↑ · p ${pText}${over}`;
    item.tooltip = [
      `A: ${n.session.a.path}`,
      `B: ${n.session.b.path}`,
      `${c.paired} pairs by ${c.pairedBy} under ${c.rule}; unpaired ${c.unpairedA} in A, ${c.unpairedB} in B`,
      ...(pairedOnly ? [`Accuracies and B − A over the paired records only (${c.paired}): one side is re-runs`] : []),
      `A right → B wrong: ${c.flips.rightToWrong}; A wrong → B right: ${c.flips.wrongToRight}`,
      `Exact McNemar p = ${p.toPrecision(3)}`,
    ].join('\n');
    item.contextValue = 'stThink.comparison';
    item.command = { command: 'stThink.openComparison', title: 'Open Comparison', arguments: [n] };
    return item;
  }

  private flipItem(n: FlipNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    const f = n.session.comparison.flipped[n.index];
    const rule = n.session.comparison.rule;
    const down = f.kind === 'rightToWrong';
    const item = new vscode.TreeItem(
      `${f.a.gold || '?'}: ${predictedOf(f.a, rule) || '–'} → ${predictedOf(f.b, rule) || '–'}  ${f.a.label || f.a.id}`,
      C.None,
    );
    item.id = n.id;
    item.description = `${f.a.category} · ${f.a.direction} · lines ${f.a.line} / ${f.b.line}`;
    item.iconPath = new vscode.ThemeIcon(
      down ? 'arrow-down' : 'arrow-up',
      new vscode.ThemeColor(down ? 'testing.iconFailed' : 'testing.iconPassed'),
    );
    const predictedA = predictedOf(f.a, rule);
    const predictedB = predictedOf(f.b, rule);
    const flipped = down ? 'A right → B wrong' : 'A wrong → B right';
    const flippedWords = down ? 'Right to wrong' : 'Wrong to right';
    item.tooltip = `${flipped} · ${f.a.id}\ngold ${f.a.gold || '—'}, A ${predictedA || '—'}, B ${predictedB || '—'} under ${rule}`;
    item.contextValue = 'stThink.flip';
    item.command = { command: 'stThink.showFlip', title: 'Show Flip', arguments: [n] };
    item.accessibilityInformation = {
      label: `${flippedWords}: ${f.a.label}. Gold ${f.a.gold || 'none'}, A ${predictedA || 'none'}, B ${predictedB || 'none'}.`,
    };
    return item;
  }

  /** Full question in the tooltip, read from the file only when the user hovers. */
  async resolveTreeItem(item: vscode.TreeItem, n: ResultsNode, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    if (n.kind !== 'record' || !n.file.index) return item;
    try {
      const { record, analysis } = await n.file.index.readRecord(n.entry);
      if (token.isCancellationRequested) return item;
      const rule = this.store.rule;
      const lines = [
        record.question,
        '',
        `id ${record.id} · line ${n.entry.line} · ${categoryLabel(record)} · ${record.direction}`,
        ...(record.wordedAs ? [`category ${categorySource(record)}`] : []),
        `gold ${record.gold ?? '—'} · mcq_infer ${ruleText(analysis.mcq_infer)} · grpo_reward ${ruleText(analysis.grpo_reward)}`,
        analysis.format === 'n/a'
          ? `format n/a${analysis.na ? `: ${NA_TEXT[analysis.na].long}` : ''}`
          : analysis.format === 'valid'
            ? 'format valid'
            : 'format invalid: not <think>…</think><answer>…</answer>',
        ...(record.video ? [] : [noVideoLine(1)]),
        `tree shows ${rule}`,
        ...notesLines(this.notesOf?.(n.file, n.entry)),
      ];
      // A plain string: trace text is untrusted and is never rendered as Markdown or HTML.
      item.tooltip = lines.join('\n');
    } catch (e) {
      item.tooltip = (e as Error).message;
    }
    return item;
  }
}

/** " · #wrong-direction #skipped-step · ✎" for a record's tags and note; '' for none. */
export function notesMarks(notes: RecordNotes | undefined): string {
  if (!notes) return '';
  const tags = notes.tags.map((t) => `#${t}`).join(' ');
  return `${tags ? ` · ${tags}` : ''}${notes.note ? ' · ✎' : ''}`;
}

/** The tooltip's lines for a record's tags and note (plain text, as written). */
function notesLines(notes: RecordNotes | undefined): string[] {
  if (!notes) return [];
  const by = notes.note?.by ? ` (${notes.note.by})` : '';
  return ['', ...(notes.tags.length ? [`tags: ${notes.tags.join(', ')}`] : []), ...(notes.note ? [`note${by}: ${notes.note.text}`] : [])];
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

function outcomeColour(o: Outcome): vscode.ThemeColor | undefined {
  return outcomeIcon(o).color;
}

/** "18 worded as landmark" (per wording, in the order met), or '' when none is worded as another category. */
function wordedAsCounts(entries: readonly IndexEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) if (e.wordedAs) counts.set(e.wordedAs, (counts.get(e.wordedAs) ?? 0) + 1);
  return [...counts].map(([w, k]) => `${k.toLocaleString()} worded as ${w}`).join(', ');
}

/** What the tree needs of the judge service (src/extension/judge.ts). */
export interface JudgeScores {
  onDidChange: vscode.Event<unknown>;
  judgmentOf(file: ResultsFile, id: string): { total: number; status: string } | undefined;
  summaryOf(file: ResultsFile, entries: readonly IndexEntry[]): JudgeSummary | undefined;
}

/** A route bucket's judge mean: "judge 3.21 (12 judged)". */
function judgeBucketText(s: JudgeSummary): string {
  if (!s.judged) return s.notJudged ? 'not judged' : 'nothing to judge';
  return `judge ${s.mean!.toFixed(2)} (${s.judged.toLocaleString()} judged${s.failed ? `, ${s.failed} failed` : ''})`;
}

function countAndAccuracy(entries: readonly IndexEntry[], rule: ScoringRule): string {
  const b = bucketOf(entries, rule);
  const n = entries.length.toLocaleString();
  if (b.total) return `${n} · ${formatAccuracy(b)}${b.na ? ` · ${b.na.toLocaleString()} n/a` : ''}`;
  if (b.na) {
    const why = commonNa(entries, rule);
    return `${n} · n/a${why ? `: ${NA_TEXT[why].short}` : ''}`;
  }
  return `${n} · unscored`;
}

/** The one reason `rule` does not apply to any of `entries`, when every one of them is n/a for it. */
function commonNa(entries: readonly IndexEntry[], rule: ScoringRule): NaReason | undefined {
  const first = entries.length ? naOf(entries[0], rule) : undefined;
  if (!first) return undefined;
  for (const e of entries) if (naOf(e, rule) !== first) return undefined;
  return first;
}

/** "n/a under grpo_reward for 12 records: …", one line per reason found among `entries`. */
function naNotes(entries: readonly IndexEntry[], rule: ScoringRule): string[] {
  const counts = new Map<NaReason, number>();
  for (const e of entries) {
    const why = naOf(e, rule);
    if (why) counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  return [...counts].map(([why, k]) => `n/a under ${rule} for ${k.toLocaleString()} record${k === 1 ? '' : 's'}: ${NA_TEXT[why].long}`);
}

/** "format check n/a for 12 records: …": the format check does not care which rule is shown. */
function formatNaNotes(entries: readonly IndexEntry[]): string[] {
  const counts = new Map<NaReason, number>();
  for (const e of entries) if (e.format === 'n/a' && e.na) counts.set(e.na, (counts.get(e.na) ?? 0) + 1);
  return [...counts].map(([why, k]) => `format check n/a for ${k.toLocaleString()} record${k === 1 ? '' : 's'}: ${NA_TEXT[why].long}`);
}

function countNoVideo(entries: readonly IndexEntry[]): number {
  let n = 0;
  for (const e of entries) if (e.video === '') n++;
  return n;
}

function ruleText(r: { outcome: Outcome; predicted: string; na?: NaReason; unscored?: UnscoredReason }): string {
  const why = noVerdictText(r);
  return why ? `${r.predicted ? `${r.predicted}, ` : ''}${why}` : `${r.predicted || '—'} (${r.outcome})`;
}
