/**
 * The first view (issue 11, item 14): the files `stThink.autoOpen` names (as `npm start`'s demo
 * workspace does) open in the Results view and, when the editor area is empty, the last one's
 * summary fills it; an editor already open is left alone.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StThinkApi } from '../../src/extension/extension';
import { api } from './helpers';

const summaryTabs = () =>
  vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('stThink.summary'));

describe('The first view in a real extension host', function () {
  let a: StThinkApi;
  const config = () => vscode.workspace.getConfiguration('stThink', vscode.workspace.workspaceFolders?.[0]);

  before(async () => {
    a = await api();
    assert.ok(vscode.workspace.workspaceFolders?.length, 'the tests run in a folder holding the demo file');
    await config().update('autoOpen', ['st-r1-demo-run.jsonl'], vscode.ConfigurationTarget.Workspace);
  });

  afterEach(async () => {
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await config().update('autoOpen', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it("opens the auto-opened file's summary in an empty editor area", async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await a.autoOpen();
    assert.deepEqual(
      a.store.list.map((f) => f.uri.path.split('/').pop()),
      ['st-r1-demo-run.jsonl'],
    );
    // The tab shows once the workbench has made the panel.
    const end = Date.now() + 10_000;
    while (!summaryTabs().length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const tabs = summaryTabs();
    assert.equal(tabs.length, 1, 'one summary view');
    assert.equal(tabs[0].label, 'Summary: st-r1-demo-run.jsonl');
    assert.ok(tabs[0].isActive, 'it is the active editor');
  });

  it('leaves an editor area that already shows something as it is', async () => {
    // A saved file (an untitled one would ask to be saved when the editors close).
    const notes = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-startup-')), 'notes.txt');
    fs.writeFileSync(notes, 'notes\n');
    await vscode.window.showTextDocument(vscode.Uri.file(notes));
    await a.autoOpen();
    assert.equal(a.store.list.length, 1, 'the file still opens in the Results view');
    await new Promise((r) => setTimeout(r, 1_000)); // a summary's tab would show by now (see above)
    assert.equal(summaryTabs().length, 0);
  });
});
