/** The Results filter: picked in two steps (fields, then text), set by other code, cleared. */
import * as vscode from 'vscode';
import { parseFilter, splitTagWords, type ResultsFilter } from '../../core/filter';
import { CATEGORIES, DIRECTIONS, OUTCOMES } from '../../core/schemas';
import type { ResultsStore } from '../store';
import type { CommandContext } from './context';

type Item = vscode.QuickPickItem & { apply?: (f: ResultsFilter) => void };

/** The quick pick's items: outcomes, categories, directions, format and tags in use, the current filter's picked. */
function filterItems(store: ResultsStore, tags: readonly string[]): Item[] {
  const cur = store.filter;
  const items: Item[] = [{ label: 'Outcome', kind: vscode.QuickPickItemKind.Separator }];
  for (const o of OUTCOMES)
    items.push({
      label: o,
      description: `under ${store.rule}`,
      picked: cur.outcomes?.includes(o),
      apply: (f) => (f.outcomes ??= []).push(o),
    });
  items.push({ label: 'Category', kind: vscode.QuickPickItemKind.Separator });
  for (const c of CATEGORIES)
    items.push({ label: c, description: 'category', picked: cur.categories?.includes(c), apply: (f) => (f.categories ??= []).push(c) });
  items.push({ label: 'Direction', kind: vscode.QuickPickItemKind.Separator });
  for (const d of DIRECTIONS)
    items.push({ label: d, description: 'direction', picked: cur.directions?.includes(d), apply: (f) => (f.directions ??= []).push(d) });
  items.push({ label: 'Format', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: 'format valid', picked: cur.format === 'valid', apply: (f) => (f.format = f.format ? undefined : 'valid') });
  items.push({ label: 'format invalid', picked: cur.format === 'invalid', apply: (f) => (f.format = f.format ? undefined : 'invalid') });
  if (tags.length) items.push({ label: 'Tag (any of those picked)', kind: vscode.QuickPickItemKind.Separator });
  for (const t of tags)
    items.push({ label: `tag:${t}`, description: 'tag', picked: cur.tags?.includes(t), apply: (f) => (f.tags ??= []).push(t) });
  return items;
}

async function pickFilter(store: ResultsStore, tagsInUse: () => string[]): Promise<void> {
  const picked = await vscode.window.showQuickPick(filterItems(store, tagsInUse()), {
    canPickMany: true,
    title: 'ST-Think: Filter Results (1/2)',
    placeHolder: 'Pick outcomes, categories, directions, format, tags (none = any); Enter to go on to the text',
  });
  if (!picked) return;
  const text = await vscode.window.showInputBox({
    title: 'ST-Think: Filter Results (2/2)',
    prompt: 'Text to find in the question or the response (case-insensitive), and tag:NAME for a tag; empty for any',
    value: store.filter.text ?? '',
  });
  if (text === undefined) return;
  const next: ResultsFilter = {};
  for (const p of picked) p.apply?.(next);
  const typed = splitTagWords(text);
  if (typed.text) next.text = typed.text;
  if (typed.tags.length) next.tags = [...new Set([...(next.tags ?? []), ...typed.tags])];
  await store.setFilter(next);
}

/** `stThink.setFilter`'s argument, checked: a bad one is refused with what is wrong and what is expected. */
function checkedFilter(arg: unknown): ResultsFilter {
  try {
    return parseFilter(arg);
  } catch (e) {
    const message = `ST-Think: stThink.setFilter: ${(e as Error).message}`;
    void vscode.window.showErrorMessage(message);
    throw new Error(message, { cause: e });
  }
}

export function registerFilterCommands({
  store,
  notes,
}: Pick<CommandContext, 'store'> & Partial<Pick<CommandContext, 'notes'>>): vscode.Disposable[] {
  // Tags in use in the open files (not the suggestions: a filter on a tag no record has shows nothing).
  const tagsInUse = () => {
    const used = new Set<string>();
    for (const f of store.list) for (const n of notes?.attached(f)?.byEntry.values() ?? []) for (const t of n.tags) used.add(t);
    return [...used].sort();
  };
  return [
    vscode.commands.registerCommand('stThink.filterResults', () => pickFilter(store, tagsInUse)),
    vscode.commands.registerCommand('stThink.setFilter', (arg: unknown) => store.setFilter(checkedFilter(arg))),
    vscode.commands.registerCommand('stThink.clearFilter', () => store.setFilter({})),
  ];
}
