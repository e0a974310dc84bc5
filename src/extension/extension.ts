/**
 * Activation: wires the core (src/core) to VS Code: the Results tree, commands, the record view,
 * the status bar and diagnostics. Activation does no I/O; files are indexed when opened.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { rerunModes } from '../core/compare/compare';
import { describeFilter, isEmptyFilter, parseFilter, type ResultsFilter } from '../core/filter';
import type { IndexEntry } from '../core/indexer';
import { DEFAULT_PREFIX_STYLE, PREFIX_STYLES, type PrefixStyle } from '../core/model/prompt';
import { renderRecordText } from '../core/recordText';
import { CATEGORIES, DIRECTIONS, NA_TEXT, RULES, type Outcome, type ScoringRule } from '../core/schemas';
import { bucketOf, formatAccuracy, naOf, outcomeOf } from '../core/summary';
import { CHAIN_SCHEME, ChainDocuments, openChainDiff, oppositeDirection } from './chainDiff';
import { ComparePanel, type PairView } from './comparePanel';
import { Comparisons, fileName, type ComparisonSession } from './comparisons';
import { RerunService, type RerunChoice } from './rerun';
import { ResultsStore, type ResultsFile } from './store';
import { SummaryPanel } from './summaryPanel';
import { TracePanel, type TraceHost } from './tracePanel';
import { ResultsTreeProvider, recordUri, type ComparisonNode, type FlipNode, type RecordNode, type ResultsNode } from './tree';

export interface StThinkApi {
  store: ResultsStore;
  tree: ResultsTreeProvider;
  view: vscode.TreeView<ResultsNode>;
  /** Open trace panels (for tests). */
  tracePanels: ReadonlySet<TracePanel>;
  comparisons: Comparisons;
  /** Open comparison views (for tests). */
  comparePanels: ReadonlySet<ComparePanel>;
  reruns: RerunService;
}

export function activate(context: vscode.ExtensionContext): StThinkApi {
  const store = new ResultsStore(vscode.Uri.joinPath(context.extensionUri, 'dist', 'index-worker.js').fsPath);
  const comparisons = new Comparisons(store);
  // eslint-disable-next-line prefer-const
  let traceHost: TraceHost;
  const reruns = new RerunService(context, store, () => traceHost);
  const tree = new ResultsTreeProvider(store, comparisons, (f) => reruns.rerunsFileOf(f));
  const view = vscode.window.createTreeView('stThink.results', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: false });
  const records = new RecordDocuments(store);
  const status = vscode.window.createStatusBarItem('stThink.accuracy', vscode.StatusBarAlignment.Left, 50);
  status.name = 'ST-Think Accuracy';
  status.command = 'stThink.showSummary';

  const updateView = () => {
    const f = store.filter;
    view.message = isEmptyFilter(f) ? undefined : `Filter: ${describeFilter(f)}`;
    view.description = store.rule;
    const a = store.active;
    if (a?.index && a.state.kind === 'ready') {
      const b = bucketOf(a.visible, store.rule);
      status.text = `$(checklist) ${formatAccuracy(b)}`;
      const score = b.total || !b.na ? `${b.correct}/${b.total} correct under ${store.rule}` : `${store.rule} n/a: ${[...new Set(a.visible.map((e) => naOf(e, store.rule)))].filter((r) => r !== undefined).map((r) => NA_TEXT[r].long).join('; ')}`;
      status.tooltip = `ST-Think: ${a.uri.path.split('/').pop()}: ${score}${isEmptyFilter(f) ? '' : ` (filter: ${describeFilter(f)})`}. Click for the summary.`;
      status.show();
    } else if (a?.state.kind === 'indexing') {
      status.text = '$(loading~spin) ST-Think';
      status.tooltip = 'ST-Think: indexing…';
      status.show();
    } else status.hide();
  };

  const fileOf = async (arg: unknown): Promise<ResultsFile | undefined> => {
    if (arg && typeof arg === 'object' && 'file' in arg) return (arg as { file: ResultsFile }).file;
    if (arg instanceof vscode.Uri) return store.get(arg);
    const sel = view.selection[0];
    if (sel && 'file' in sel) return sel.file;
    const list = store.list;
    if (list.length <= 1) return list[0] ?? store.active;
    const pick = await vscode.window.showQuickPick(
      list.map((f) => ({ label: f.uri.path.split('/').pop() ?? f.path, description: f.path, file: f })),
      { placeHolder: 'Which results file?' },
    );
    return pick?.file;
  };

  const recordOf = (arg: unknown): RecordNode | undefined => {
    if (arg && typeof arg === 'object' && (arg as ResultsNode).kind === 'record') return arg as RecordNode;
    const sel = view.selection[0];
    return sel?.kind === 'record' ? sel : records.lastShown;
  };

  const openUris = async (uris: vscode.Uri[]) => {
    // The view is focused when opening starts, not when indexing ends: by then the user may be in
    // a quick pick or an editor, and taking focus would close or interrupt it.
    if (uris.length) await vscode.commands.executeCommand('stThink.results.focus');
    const opened: ResultsFile[] = [];
    for (const uri of uris) opened.push(await store.open(uri));
    // Each results file's re-runs file opens beside it (its records show under theirs in the tree).
    for (const f of [...opened]) {
      const companion = reruns.companionOf(f);
      if (companion && !store.get(companion)) await store.open(companion, { background: true });
    }
    const last = opened[opened.length - 1];
    if (last) {
      await view.reveal(tree.fileNode(last), { expand: true, select: false, focus: false }).then(undefined, () => undefined);
    }
    return opened;
  };

  traceHost = {
    context,
    store,
    rerun: { start: (p) => reruns.start(p), stop: (p) => reruns.stop(p), dismiss: (p) => reruns.dismiss(p) },
    step(t, delta, incorrectOnly) {
      // Records in tree order; Next/Previous stop at the ends, the incorrect ones wrap around.
      const order = tree.treeOrder();
      const n = order.length;
      const at = order.findIndex((o) => o.file === t.file && o.entry === t.entry);
      for (let k = 1; k <= n; k++) {
        const i = at < 0 ? (delta === 1 ? k - 1 : n - k) : at + delta * k;
        if (!incorrectOnly && (i < 0 || i >= n)) return undefined;
        const o = order[((i % n) + n) % n];
        if (!incorrectOnly || outcomeOf(o.entry, store.rule) === 'incorrect') return o === order[at] ? undefined : o;
      }
      return undefined;
    },
    position(t) {
      const order = tree.treeOrder();
      return { index: order.findIndex((o) => o.file === t.file && o.entry === t.entry), total: order.length };
    },
    onShow(t) {
      const node = tree.recordNode(t.file, t.entry);
      if (node) void view.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
    },
  };

  const showTrace = async (n: RecordNode, preserveFocus = true) => {
    records.lastShown = n;
    store.active = n.file;
    await TracePanel.show(traceHost, { file: n.file, entry: n.entry }, preserveFocus);
  };

  const stepIncorrect = async (delta: 1 | -1) => {
    const rule = store.rule;
    const order = tree.treeOrder().filter((o) => outcomeOf(o.entry, rule) === 'incorrect');
    if (!order.length) {
      void vscode.window.showInformationMessage(`ST-Think: no incorrect records under ${rule}${isEmptyFilter(store.filter) ? '' : ' and the current filter'}.`);
      return;
    }
    const cur = recordOf(undefined);
    let at = cur ? order.findIndex((o) => o.file === cur.file && o.entry === cur.entry) : -1;
    at = at < 0 ? (delta === 1 ? 0 : order.length - 1) : (at + delta + order.length) % order.length;
    const target = order[at];
    const node = tree.recordNode(target.file, target.entry);
    if (node) {
      await view.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
      await showTrace(node);
    }
  };

  /** A comparison's flip `i`: the pair view (inline diff), the diff editor, or one side's trace. */
  const openFlip = async (session: ComparisonSession, i: number, how: PairView) => {
    const f = session.comparison.flipped[i];
    if (!f) return;
    comparisons.active = session;
    session.cursor = i;
    if (how === 'inline') await TracePanel.showPair(traceHost, session.flip(i)!, false);
    else if (how === 'diffEditor') await openChainDiff({ file: session.a, entry: f.a }, { file: session.b, entry: f.b }, `${f.a.id}: ${session.title} (reasoning)`);
    else await TracePanel.show(traceHost, how === 'traceA' ? { file: session.a, entry: f.a } : { file: session.b, entry: f.b }, false);
  };

  const stepFlip = async (delta: 1 | -1) => {
    const session = comparisons.active;
    if (!session) return void vscode.window.showInformationMessage('ST-Think: compare two results files first (ST-Think: Compare With…).');
    const n = session.comparison.flipped.length;
    if (!n) return void vscode.window.showInformationMessage(`ST-Think: no flips between ${session.title}.`);
    const i = session.cursor < 0 ? (delta === 1 ? 0 : n - 1) : (session.cursor + delta + n) % n;
    await openFlip(session, i, 'inline');
    const node = tree.flipNode(session, i);
    if (node) void view.reveal(node, { select: true, focus: false }).then(undefined, () => undefined);
  };

  /** A results file to compare: an open one other than `not`, or one opened from disk. */
  const pickRun = async (title: string, not?: ResultsFile): Promise<ResultsFile | undefined> => {
    type Item = vscode.QuickPickItem & { file?: ResultsFile };
    const items: Item[] = store.list
      .filter((f) => f !== not && f.index)
      .map((f) => ({ label: fileName(f), description: f.path, detail: `${f.index!.entries.length.toLocaleString()} records`, file: f }));
    items.push({ label: '$(folder-opened) Open Another Results File…', alwaysShow: true });
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'An open results file, or another from disk', matchOnDescription: true });
    if (!pick) return undefined;
    if (pick.file) return pick.file;
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Compare', filters: { 'Results files': ['jsonl', 'json', 'ndjson'], 'All files': ['*'] } });
    return uris?.[0] ? (await openUris(uris))[0] : undefined;
  };

  /** Compare With…: from a file node (A), the Explorer (two files selected), or the palette. */
  const compareWith = async (arg?: unknown, all?: vscode.Uri[]) => {
    let a: ResultsFile | undefined;
    let b: ResultsFile | undefined;
    if (all && all.length === 2) [a, b] = await openUris(all);
    else if (all && all.length > 2) return void vscode.window.showWarningMessage('ST-Think: select exactly two results files to compare.');
    else if (arg instanceof vscode.Uri) a = (await openUris([arg]))[0];
    else if (arg && typeof arg === 'object' && (arg as ResultsNode).kind === 'file') a = (arg as { file: ResultsFile }).file;
    else a = await pickRun('ST-Think: Compare (1/2): run A');
    if (!a) return;
    b ??= await pickRun(`ST-Think: Compare ${fileName(a)} (A) with… (2/2): run B`, a);
    if (!b) return;
    if (a === b) return void vscode.window.showWarningMessage('ST-Think: pick two different results files.');
    for (const f of [a, b]) {
      if (f.state.kind === 'indexing') await new Promise<void>((done) => {
        const sub = store.onDidChange(() => f.state.kind !== 'indexing' && (sub.dispose(), done()));
      });
      if (!f.index || f.state.kind !== 'ready') return void vscode.window.showWarningMessage(`ST-Think: ${f.path} is not indexed${f.state.kind === 'failed' ? `: ${f.state.message}` : ''}.`);
    }
    // A results file against its re-runs: pair each record with its re-run of one mode.
    let rerunMode: 'forward' | 'reverse' | undefined;
    const modesB = rerunModes(b.index!.entries);
    const modes = modesB.length ? modesB : rerunModes(a.index!.entries);
    if (modes.length > 1) {
      const pick = await vscode.window.showQuickPick(
        modes.map((m) => ({ label: m === 'forward' ? 'Forward thinking re-runs' : 'Reverse thinking re-runs', mode: m })),
        { title: 'ST-Think: Compare with which re-runs?', placeHolder: 'Each record pairs with its latest re-run of this mode' },
      );
      if (!pick) return;
      rerunMode = pick.mode;
    }
    try {
      const session = await comparisons.compare(a, b, { rerunMode });
      if (session) ComparePanel.show(context, session, openFlip);
    } catch (e) {
      void vscode.window.showErrorMessage(`ST-Think: could not compare ${fileName(a)} with ${fileName(b)}: ${(e as Error).message}`);
    }
  };

  const diffWithOpposite = async (arg: unknown) => {
    const n = recordOf(arg);
    if (!n) return void vscode.window.showInformationMessage('ST-Think: select a record in the Results tree first.');
    const other = oppositeDirection(n.file, n.entry);
    if (!other) {
      const want = n.entry.direction === 'forward' ? 'reverse' : 'forward';
      return void vscode.window.showInformationMessage(`ST-Think: ${fileName(n.file)} has no ${want} ${n.entry.category} question on the video of record ${n.entry.id}.`);
    }
    const [fwd, rev] = n.entry.direction === 'forward' ? [n.entry, other] : [other, n.entry];
    const name = fileName(n.file);
    await TracePanel.showPair(
      traceHost,
      {
        a: { file: n.file, entry: fwd },
        b: { file: n.file, entry: rev },
        labelA: `Forward · ${name}:${fwd.line}`,
        labelB: `Reverse · ${name}:${rev.line}`,
        title: `Forward vs reverse: ${fwd.category} on ${fwd.video.split(/[\\/]/).pop()}`,
      },
      false,
    );
  };

  /** The record a re-run command is about: the argument, the tree's selection, the trace view's record. */
  const rerunTarget = (arg: unknown) => {
    const n = recordOf(arg);
    if (n) return { file: n.file, entry: n.entry };
    const p = [...TracePanel.all].find((x) => x.panel.active && x.target) ?? [...TracePanel.all].find((x) => x.target);
    return p?.target;
  };
  /** The mode, and for reverse thinking the prefix style: the setting's first, the other one offered beside it. */
  const pickMode = async (title: string): Promise<{ mode: RerunChoice; prefixStyle?: PrefixStyle } | undefined> => {
    const setting = vscode.workspace.getConfiguration('stThink').get<string>('rerun.prefixStyle', DEFAULT_PREFIX_STYLE);
    const style: PrefixStyle = setting === 'as-worded' ? 'as-worded' : 'as-trained';
    const other: PrefixStyle = style === 'as-trained' ? 'as-worded' : 'as-trained';
    const what: Record<PrefixStyle, string> = {
      'as-trained': "as trained: opens the way ST-R1's training chains open for this category and direction",
      'as-worded': "as worded: opens with the question's own opposite",
    };
    const items: (vscode.QuickPickItem & { mode: RerunChoice; prefixStyle?: PrefixStyle })[] = [
      { label: 'Forward thinking', description: 'the upstream ST-R1 prompt', mode: 'forward' },
      { label: 'Reverse thinking', description: `the assistant starts by thinking about the opposite journey, ${what[style]}`, mode: 'reverse', prefixStyle: style },
      { label: `Reverse thinking, ${other.replace('-', ' ')}`, description: what[other], mode: 'reverse', prefixStyle: other },
      { label: 'Both', description: `forward, then reverse (${style.replace('-', ' ')}), then the two chains side by side`, mode: 'both', prefixStyle: style },
      { label: `Both, reverse ${other.replace('-', ' ')}`, description: `forward, then reverse (${other.replace('-', ' ')}), then the two chains side by side`, mode: 'both', prefixStyle: other },
    ];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'How should the model think?' });
    return pick && { mode: pick.mode, prefixStyle: pick.prefixStyle };
  };
  const styleOf = (opts: unknown): PrefixStyle | undefined => {
    const v = (opts as { prefixStyle?: unknown } | undefined)?.prefixStyle;
    return (PREFIX_STYLES as readonly unknown[]).includes(v) ? (v as PrefixStyle) : undefined;
  };
  const isChoice = (m: unknown): m is RerunChoice => m === 'forward' || m === 'reverse' || m === 'both';

  const filterCommand = async () => {
    type Item = vscode.QuickPickItem & { apply?: (f: ResultsFilter) => void };
    const cur = store.filter;
    const items: Item[] = [{ label: 'Outcome', kind: vscode.QuickPickItemKind.Separator }];
    const outcomes: Outcome[] = ['correct', 'incorrect', 'unanswered', 'unscored'];
    for (const o of outcomes) items.push({ label: o, description: `under ${store.rule}`, picked: cur.outcomes?.includes(o), apply: (f) => (f.outcomes ??= []).push(o) });
    items.push({ label: 'Category', kind: vscode.QuickPickItemKind.Separator });
    for (const c of CATEGORIES) items.push({ label: c, description: 'category', picked: cur.categories?.includes(c), apply: (f) => (f.categories ??= []).push(c) });
    items.push({ label: 'Direction', kind: vscode.QuickPickItemKind.Separator });
    for (const d of DIRECTIONS) items.push({ label: d, description: 'direction', picked: cur.directions?.includes(d), apply: (f) => (f.directions ??= []).push(d) });
    items.push({ label: 'Format', kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: 'format valid', picked: cur.format === 'valid', apply: (f) => (f.format = f.format ? undefined : 'valid') });
    items.push({ label: 'format invalid', picked: cur.format === 'invalid', apply: (f) => (f.format = f.format ? undefined : 'invalid') });
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      title: 'ST-Think: Filter Results (1/2)',
      placeHolder: 'Pick outcomes, categories, directions, format (none = any); Enter to go on to the text',
    });
    if (!picked) return;
    const text = await vscode.window.showInputBox({
      title: 'ST-Think: Filter Results (2/2)',
      prompt: 'Text to find in the question or the response (case-insensitive); empty for any',
      value: cur.text ?? '',
    });
    if (text === undefined) return;
    const next: ResultsFilter = {};
    for (const p of picked) p.apply?.(next);
    if (text.trim()) next.text = text.trim();
    await store.setFilter(next);
  };

  const showSummary = async (arg: unknown) => {
    const file = await fileOf(arg);
    if (!file) return void vscode.window.showInformationMessage('ST-Think: open a results file first.');
    if (!file.index || file.state.kind !== 'ready') return void vscode.window.showWarningMessage(`ST-Think: ${file.path} is not indexed.`);
    SummaryPanel.show(context, store, file);
  };

  const goToSource = async (arg: unknown) => {
    const n = arg && typeof arg === 'object' && (arg as ResultsNode).kind === 'problem' ? (arg as Extract<ResultsNode, { kind: 'problem' }>) : recordOf(arg);
    if (!n) return;
    const line = n.kind === 'problem' ? n.problem.line : n.entry.line;
    const pos = new vscode.Position(line - 1, 0);
    // Opened read-only in spirit: the extension never edits it; the user may, in their own editor.
    await vscode.window.showTextDocument(n.file.uri, { selection: new vscode.Range(pos, pos), preview: true });
  };

  context.subscriptions.push(
    store,
    tree,
    view,
    status,
    records,
    vscode.workspace.registerTextDocumentContentProvider('st-think-record', records),
    vscode.window.registerFileDecorationProvider(new FormatDecorations()),
    store.onDidChange(updateView),
    view.onDidChangeSelection((e) => {
      const n = e.selection[0];
      void vscode.commands.executeCommand('setContext', 'stThink.recordSelected', n?.kind === 'record' || records.lastShown !== undefined);
      if (n && 'file' in n) {
        store.active = n.file;
        updateView();
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('stThink.scoringRule')) await store.refilterAll();
      else if (e.affectsConfiguration('stThink.recordsPerPage')) tree.refresh();
    }),
    vscode.commands.registerCommand('stThink.openResultsFile', async (uri?: vscode.Uri, all?: vscode.Uri[]) => {
      let uris = all?.length ? all : uri instanceof vscode.Uri ? [uri] : undefined;
      uris ??= await vscode.window.showOpenDialog({
        canSelectMany: true,
        openLabel: 'Open in ST-Think',
        filters: { 'Results files': ['jsonl', 'json', 'ndjson'], 'All files': ['*'] },
      });
      if (uris?.length) await openUris(uris);
    }),
    vscode.commands.registerCommand('stThink.openInStThink', async (uri?: vscode.Uri, all?: vscode.Uri[]) => {
      const uris = all?.length ? all : uri instanceof vscode.Uri ? [uri] : vscode.window.activeTextEditor ? [vscode.window.activeTextEditor.document.uri] : [];
      if (uris.length) await openUris(uris);
    }),
    vscode.commands.registerCommand('stThink.closeResultsFile', async (arg: unknown) => {
      const file = await fileOf(arg);
      if (file) store.close(file);
    }),
    vscode.commands.registerCommand('stThink.reindexFile', async (arg: unknown) => {
      const file = await fileOf(arg);
      if (file) await store.reindex(file);
    }),
    vscode.commands.registerCommand('stThink.filterResults', filterCommand),
    vscode.commands.registerCommand('stThink.setFilter', (f: unknown) => {
      let filter: ResultsFilter;
      try {
        filter = parseFilter(f);
      } catch (e) {
        const message = `ST-Think: stThink.setFilter: ${(e as Error).message}`;
        void vscode.window.showErrorMessage(message);
        throw new Error(message);
      }
      return store.setFilter(filter);
    }),
    vscode.commands.registerCommand('stThink.clearFilter', () => store.setFilter({})),
    vscode.commands.registerCommand('stThink.nextIncorrect', () => stepIncorrect(1)),
    vscode.commands.registerCommand('stThink.previousIncorrect', () => stepIncorrect(-1)),
    vscode.commands.registerCommand('stThink.showSummary', showSummary),
    vscode.commands.registerCommand('stThink.showRecord', (arg: unknown) => {
      const n = recordOf(arg);
      return n && showTrace(n);
    }),
    vscode.commands.registerCommand('stThink.showTrace', (arg: unknown) => {
      const n = recordOf(arg);
      if (!n) return void vscode.window.showInformationMessage('ST-Think: select a record in the Results tree first.');
      return showTrace(n, false);
    }),
    vscode.commands.registerCommand('stThink.showRecordAsText', (arg: unknown) => {
      const n = recordOf(arg);
      return n && records.show(n, false);
    }),
    vscode.commands.registerCommand('stThink.pinTrace', () => {
      const p = [...TracePanel.all].find((x) => x.panel.active) ?? [...TracePanel.all].pop();
      p?.pin();
    }),
    vscode.window.registerWebviewPanelSerializer(TracePanel.viewType, TracePanel.serializer(traceHost)),
    comparisons,
    vscode.workspace.registerTextDocumentContentProvider(CHAIN_SCHEME, new ChainDocuments(store)),
    vscode.commands.registerCommand('stThink.compareWith', compareWith),
    vscode.commands.registerCommand('stThink.openComparison', (n?: ComparisonNode) => {
      const session = n?.session ?? comparisons.active;
      if (!session) return void vscode.window.showInformationMessage('ST-Think: compare two results files first (ST-Think: Compare With…).');
      comparisons.active = session;
      ComparePanel.show(context, session, openFlip);
    }),
    vscode.commands.registerCommand('stThink.removeComparison', (n?: ComparisonNode) => {
      const session = n?.session ?? comparisons.active;
      if (session) comparisons.remove(session);
      for (const p of [...ComparePanel.all]) if (p.session === session) p.dispose();
    }),
    vscode.commands.registerCommand('stThink.showFlip', (n: FlipNode) => n?.kind === 'flip' && openFlip(n.session, n.index, 'inline')),
    vscode.commands.registerCommand('stThink.nextFlip', () => stepFlip(1)),
    vscode.commands.registerCommand('stThink.previousFlip', () => stepFlip(-1)),
    vscode.commands.registerCommand('stThink.diffWithOppositeDirection', diffWithOpposite),
    vscode.commands.registerCommand('stThink.openPairInDiffEditor', async () => {
      const p = [...TracePanel.all].find((x) => x.panel.active && x.pair) ?? [...TracePanel.all].find((x) => x.pair);
      if (!p) return void vscode.window.showInformationMessage('ST-Think: no pair of records is shown.');
      await p.openDiffEditor();
    }),
    reruns,
    vscode.commands.registerCommand('stThink.rerunQuestion', async (arg?: unknown, mode?: unknown, opts?: { prefixStyle?: PrefixStyle }) => {
      const target = rerunTarget(arg);
      if (!target?.file.index) return void vscode.window.showInformationMessage('ST-Think: select a record in the Results tree (or show one in the trace view) first.');
      const picked = isChoice(mode) ? { mode, prefixStyle: styleOf(opts) } : await pickMode(`ST-Think: Re-run ${target.entry.id}`);
      if (picked) return reruns.plan(target, picked.mode, picked.prefixStyle);
    }),
    vscode.commands.registerCommand('stThink.rerunFiltered', async (arg?: unknown, mode?: unknown, opts?: { confirm?: boolean; prefixStyle?: PrefixStyle }) => {
      const file = await fileOf(arg);
      if (!file?.index || file.state.kind !== 'ready') return void vscode.window.showInformationMessage('ST-Think: open and index a results file first.');
      const n = file.visible.length;
      if (!n) return void vscode.window.showInformationMessage('ST-Think: no record matches the filter.');
      const picked = isChoice(mode) ? { mode, prefixStyle: styleOf(opts) } : await pickMode(`ST-Think: Re-run ${n.toLocaleString()} filtered records of ${fileName(file)}`);
      if (!picked) return;
      const choice = picked.mode;
      if (opts?.confirm !== false) {
        const go = await vscode.window.showWarningMessage(
          `Re-run ${n.toLocaleString()} record${n === 1 ? '' : 's'} of ${fileName(file)} (${choice} thinking${choice !== 'forward' && picked.prefixStyle ? `, reverse prefix ${picked.prefixStyle.replace('-', ' ')}` : ''})?`,
          { modal: true, detail: `Each finished run is saved to ${reruns.rerunsFileOf(file.path)}. Records already re-run with the same settings are skipped, so a cancelled batch resumes where it stopped.` },
          'Re-run',
        );
        if (go !== 'Re-run') return;
      }
      return reruns.rerunFiltered(file, choice, picked.prefixStyle);
    }),
    vscode.commands.registerCommand('stThink.chooseModelFolder', (uri?: vscode.Uri) => reruns.chooseModelFolder(uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand('stThink.stopRerun', () => reruns.stopAll()),
    vscode.commands.registerCommand('stThink.installCudaProvider', async () => {
      // onnxruntime-node's own install script fetches its CUDA 12 provider (NuGet) on request.
      const script = vscode.Uri.joinPath(context.extensionUri, 'node_modules', 'onnxruntime-node', 'script', 'install.js').fsPath;
      if (!fs.existsSync(script)) {
        return void vscode.window.showErrorMessage(`ST-Think: onnxruntime-node is not installed beside the extension (${script} is missing); run npm ci in ${context.extensionUri.fsPath} first.`);
      }
      const go = await vscode.window.showWarningMessage(
        'Download the CUDA 12 provider of onnxruntime-node?',
        { modal: true, detail: 'It is fetched from NuGet (network needed, a few hundred MB) into the extension\'s node_modules. Running on the GPU also needs CUDA 12 and cuDNN 9 installed on this machine. Reload the window afterwards; the status bar then says CUDA.' },
        'Download',
      );
      if (go !== 'Download') return;
      const term = vscode.window.createTerminal({
        name: 'ST-Think: CUDA provider',
        shellPath: process.execPath,
        shellArgs: [script],
        cwd: path.dirname(path.dirname(script)),
        env: { ONNXRUNTIME_NODE_INSTALL: 'cuda12', ELECTRON_RUN_AS_NODE: '1' },
      });
      term.show();
    }),
    vscode.commands.registerCommand('stThink.diffRerunWithOriginal', async (arg?: unknown) => {
      const t = rerunTarget(arg);
      if (!t?.file.index) return void vscode.window.showInformationMessage('ST-Think: select a re-run in the Results tree first.');
      await reruns.diffWithOriginal(t);
    }),
    vscode.commands.registerCommand('stThink.copyRecordAsJson', async (arg: unknown) => {
      const n = recordOf(arg);
      if (!n?.file.index) return;
      const raw = await n.file.index.readRaw(n.entry);
      let text = raw;
      try {
        text = JSON.stringify(JSON.parse(raw), null, 2);
      } catch {
        // changed on disk: copy what is there
      }
      await vscode.env.clipboard.writeText(text);
      vscode.window.setStatusBarMessage(`ST-Think: copied record ${n.entry.id} as JSON`, 3000);
    }),
    vscode.commands.registerCommand('stThink.goToSource', goToSource),
    vscode.commands.registerCommand('stThink.switchScoringRule', async () => {
      const pick = await vscode.window.showQuickPick(
        RULES.map((r) => ({ label: r, picked: r === store.rule, description: r === 'mcq_infer' ? 'inference scripts: letter extraction' : 'training reward: first character of <answer>' })),
        { placeHolder: 'Scoring rule for the tree and the status bar' },
      );
      if (pick) await vscode.workspace.getConfiguration('stThink').update('scoringRule', pick.label as ScoringRule, vscode.ConfigurationTarget.Global);
    }),
  );
  store.updateContext();
  void vscode.commands.executeCommand('setContext', 'stThink.filterActive', false);
  updateView();
  void openAutoOpen(openUris);
  return { store, tree, view, tracePanels: TracePanel.all, comparisons, comparePanels: ComparePanel.all, reruns };
}

/** The files named by `stThink.autoOpen` (the demo workspace uses it to load its sample). */
async function openAutoOpen(open: (uris: vscode.Uri[]) => Promise<unknown>): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const paths = vscode.workspace.getConfiguration('stThink', folder).get<string[]>('autoOpen', []);
  const uris = paths.map((p) => (p.startsWith('/') || !folder ? vscode.Uri.file(p) : vscode.Uri.joinPath(folder.uri, p)));
  if (uris.length) await open(uris);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

/** The simple read-only record view: a virtual text document per record, reused as a preview tab. */
class RecordDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  lastShown: RecordNode | undefined;

  constructor(private readonly store: ResultsStore) {}

  async show(n: RecordNode, preserveFocus: boolean): Promise<void> {
    this.lastShown = n;
    this.store.active = n.file;
    const doc = await vscode.workspace.openTextDocument(recordUri(n.file, n.entry));
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus, viewColumn: vscode.ViewColumn.Active });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const file = this.store.get(vscode.Uri.parse(q.get('file') ?? ''));
    const line = Number(q.get('line'));
    const entry = file?.index && entryAtLine(file.index.entries, line);
    if (!file?.index || !entry) return `This record is no longer loaded (${q.get('file')}:${line}). Open the results file again.\n`;
    try {
      const { record, analysis } = await file.index.readRecord(entry);
      return renderRecordText(record, analysis, { file: file.path, line });
    } catch (e) {
      return `${(e as Error).message}\n`;
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** Marks records whose response breaks the <think>/<answer> format (the record URI says so). */
class FormatDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== 'st-think-record' || new URLSearchParams(uri.query).get('format') !== 'invalid') return undefined;
    return new vscode.FileDecoration('F', 'invalid <think>/<answer> format', new vscode.ThemeColor('list.warningForeground'));
  }
}

/** Entries are in file order, so a line is found by binary search. */
function entryAtLine(entries: readonly IndexEntry[], line: number): IndexEntry | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = entries[mid].line;
    if (l === line) return entries[mid];
    if (l < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
