/**
 * Tags and notes on records: Tag Record(s)…, Remove Tag… and Edit Note…, on the Results tree's
 * selection (several records at once), a tree row's context menu, the trace view's buttons and keys,
 * or a `{ file, entry }` argument. The change is appended to the results file's notes file
 * (`run.notes.jsonl`); the results file is never written.
 */
import * as vscode from 'vscode';
import { MAX_NOTE_LENGTH, normaliseTag } from '../../core/notes';
import type { NoteChange, RecordNotesService } from '../notes';
import { isRecordNode, isResultsNode, type RecordRef } from './args';
import type { CommandContext } from './context';
import type { ResultsNode } from '../tree';

type NotesContext = Pick<CommandContext, 'args' | 'view' | 'store'> & { notes: RecordNotesService };

/**
 * The records a notes command works on: the tree's multi-selection a context menu passes (`all`),
 * else the argument's record, else the records selected in the tree, else the record the trace view shows.
 */
export function recordsOf({ args, view, store }: Pick<CommandContext, 'args' | 'view' | 'store'>, arg: unknown, all: unknown): RecordRef[] {
  // Records of files still open (a selection can outlive its file).
  const open = new Set(store.list);
  const pick = (nodes: readonly unknown[]) =>
    nodes
      .filter((n): n is RecordRef & ResultsNode => isResultsNode(n) && isRecordNode(n) && open.has(n.file))
      .map((n) => ({ file: n.file, entry: n.entry }));
  if (Array.isArray(all) && all.length) {
    const many = pick(all);
    if (many.length) return many;
  }
  if (arg === undefined) {
    const selected = pick(view.selection);
    if (selected.length) return selected;
  }
  const one = args.recordOrTraced(arg);
  return one && open.has(one.file) ? [one] : [];
}

/** Tags given to the command (a keybinding's or a test's argument), normalised; undefined when none was given. */
function givenTags(v: unknown): string[] | undefined {
  const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
  if (!list) return undefined;
  const tags = list.map((t) => normaliseTag(t));
  const bad = list.find((_t, i) => !tags[i]);
  if (bad !== undefined) throw new Error(`ST-Think: not a tag: ${JSON.stringify(bad)}`);
  return tags as string[];
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The tag picker: tags in use and suggested, several at once, and a new one typed in the box. */
async function pickTags(known: readonly string[], count: number): Promise<string[] | undefined> {
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem>();
  qp.title = `ST-Think: Tag ${plural(count, 'record')}`;
  qp.placeholder = 'Pick tags, or type a new one (e.g. "wrong direction") and press Enter';
  qp.canSelectMany = true;
  const base = known.map((t) => ({ label: t }));
  qp.items = base;
  qp.onDidChangeValue((v) => {
    const t = normaliseTag(v);
    const selected = qp.selectedItems;
    qp.items = t && !known.includes(t) ? [{ label: t, description: 'new tag' }, ...base] : base;
    qp.selectedItems = qp.items.filter((i) => selected.some((s) => s.label === i.label));
  });
  const result = await new Promise<string[] | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const typed = normaliseTag(qp.value);
      const picked = qp.selectedItems.map((i) => i.label);
      resolve([...new Set(picked.length ? picked : typed ? [typed] : [])]);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return result?.length ? result : undefined;
}

async function apply(notes: RecordNotesService, records: RecordRef[], changes: NoteChange[]): Promise<number> {
  try {
    for (const c of changes) await notes.write(records, c);
    return records.length;
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: the notes could not be saved: ${(e as Error).message}`);
    return 0;
  }
}

function noRecords(): number {
  void vscode.window.showInformationMessage('ST-Think: select one or more records in the Results tree, or show one in the trace view.');
  return 0;
}

async function tagRecords(ctx: NotesContext, arg: unknown, all: unknown, tagArg: unknown): Promise<number> {
  const records = recordsOf(ctx, arg, all);
  if (!records.length) return noRecords();
  for (const r of records) await ctx.notes.ready(r.file);
  const tags = givenTags(tagArg) ?? (await pickTags(ctx.notes.knownTags(), records.length));
  if (!tags) return 0;
  return apply(
    ctx.notes,
    records,
    tags.map((tag) => ({ op: 'tag', tag })),
  );
}

async function untagRecords(ctx: NotesContext, arg: unknown, all: unknown, tagArg: unknown): Promise<number> {
  const records = recordsOf(ctx, arg, all);
  if (!records.length) return noRecords();
  for (const r of records) await ctx.notes.ready(r.file);
  const counts = new Map<string, number>();
  for (const r of records) for (const t of ctx.notes.notesOf(r.file, r.entry)?.tags ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
  let tags = givenTags(tagArg);
  if (!tags) {
    if (!counts.size) {
      void vscode.window.showInformationMessage(`ST-Think: ${records.length === 1 ? 'this record has' : 'these records have'} no tags.`);
      return 0;
    }
    const picked = await vscode.window.showQuickPick(
      [...counts].map(([t, n]) => ({ label: t, description: records.length > 1 ? `on ${n} of ${records.length}` : undefined })),
      { canPickMany: true, title: `ST-Think: Remove Tags from ${plural(records.length, 'record')}` },
    );
    if (!picked?.length) return 0;
    tags = picked.map((p) => p.label);
  }
  // An untag event for each record that has the tag (a record without it needs none).
  let changed = 0;
  for (const tag of tags) {
    const having = records.filter((r) => ctx.notes.notesOf(r.file, r.entry)?.tags.includes(tag));
    if (having.length) changed += await apply(ctx.notes, having, [{ op: 'untag', tag }]);
  }
  return changed;
}

async function editNote(ctx: NotesContext, arg: unknown, all: unknown, textArg: unknown): Promise<number> {
  const records = recordsOf(ctx, arg, all);
  if (!records.length) return noRecords();
  for (const r of records) await ctx.notes.ready(r.file);
  const current = [...new Set(records.map((r) => ctx.notes.notesOf(r.file, r.entry)?.note?.text ?? ''))];
  const text =
    typeof textArg === 'string'
      ? textArg
      : await vscode.window.showInputBox({
          title: `ST-Think: Note on ${plural(records.length, 'record')}`,
          prompt: 'What you noticed (saved beside the results file, in its notes file); empty removes the note',
          value: current.length === 1 ? current[0] : '',
          validateInput: (v) => (v.length > MAX_NOTE_LENGTH ? `At most ${MAX_NOTE_LENGTH} characters` : undefined),
        });
  if (text === undefined) return 0;
  return apply(ctx.notes, records, [{ op: 'note', text: text.trim() }]);
}

export function registerNotesCommands(ctx: NotesContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.tagRecords', (arg: unknown, all: unknown, tag: unknown) => tagRecords(ctx, arg, all, tag)),
    vscode.commands.registerCommand('stThink.untagRecords', (arg: unknown, all: unknown, tag: unknown) => untagRecords(ctx, arg, all, tag)),
    vscode.commands.registerCommand('stThink.editNote', (arg: unknown, all: unknown, text: unknown) => editNote(ctx, arg, all, text)),
  ];
}
