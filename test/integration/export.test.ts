/**
 * Export in a real extension host (issue 11, item 11): the summary (as filtered), the filtered
 * records as JSONL and ids, and a comparison's flips; the target given as the command's argument
 * (no save dialog); never over a results file.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StThinkApi } from '../../src/extension/extension';
import { api, sample } from './helpers';

describe('Export in a real extension host', function () {
  let a: StThinkApi;
  let dir = '';
  let copy = '';

  before(async () => {
    a = await api();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-export-it-'));
    copy = path.join(dir, 'run-a.jsonl');
    fs.copyFileSync(sample, copy);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('stThink.clearFilter');
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    for (const s of [...a.comparisons.list]) a.comparisons.remove(s);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exports the summary as filtered (Markdown, LaTeX) and refuses to write over a results file', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(copy));
    const file = a.store.list[0];
    assert.equal(file.state.kind, 'ready');
    const md = path.join(dir, 'summary.md');
    assert.equal(await vscode.commands.executeCommand('stThink.exportSummary', { file }, md), md);
    const lines = fs.readFileSync(md, 'utf8').trimEnd().split('\n');
    assert.match(lines[0], /^\| category \| direction \| records \| mcq_infer correct \|/);
    // 126 records, 75.4% under mcq_infer (the tree's figure): 95 of 126.
    assert.equal(lines.at(-1)!.split(' | ').slice(0, 6).join(' | '), '| all | both | 126 | 95 | 126 | 75.4');

    // Filtered: only reverse questions are counted.
    await vscode.commands.executeCommand('stThink.setFilter', { directions: ['reverse'] });
    const reverse = file.visible.length;
    assert.ok(reverse > 0 && reverse < 126, String(reverse));
    const tex = vscode.Uri.file(path.join(dir, 'summary.tex'));
    await vscode.commands.executeCommand('stThink.exportSummary', { file }, tex);
    const latex = fs.readFileSync(tex.fsPath, 'utf8');
    assert.match(latex, /^\\begin\{tabular\}/);
    assert.match(latex, new RegExp(`\\n {2}all & both & ${reverse} & `));
    assert.doesNotMatch(latex, /all & forward/);

    // Never over a results file, by its name or through a link named like an export: refused, the
    // file unchanged, nothing returned.
    const before = fs.readFileSync(copy);
    const link = path.join(dir, 'link.csv');
    fs.symlinkSync(copy, link);
    for (const target of [copy, link])
      assert.equal(await vscode.commands.executeCommand('stThink.exportSummary', { file }, target), undefined, target);
    assert.deepEqual(fs.readFileSync(copy), before);
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.ok(!fs.readdirSync(dir).some((n) => n.includes('.tmp-')), 'no temporary file left');
  });

  it('exports the filtered records as JSONL (the lines as written) and as an id list', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(copy));
    const file = a.store.list[0];
    await vscode.commands.executeCommand('stThink.setFilter', { outcomes: ['incorrect'] });
    const ids = file.visible.map((e) => e.id);
    assert.ok(ids.length > 0);
    const jsonl = path.join(dir, 'wrong.jsonl');
    await vscode.commands.executeCommand('stThink.exportFilteredRecords', { file }, jsonl);
    const written = fs.readFileSync(jsonl, 'utf8').trimEnd().split('\n');
    const source = new Set(fs.readFileSync(copy, 'utf8').split('\n'));
    assert.deepEqual(
      written.map((l) => JSON.parse(l).id),
      ids,
    );
    for (const l of written) assert.ok(source.has(l), 'each line as it is in the results file');
    const txt = path.join(dir, 'wrong.txt');
    await vscode.commands.executeCommand('stThink.exportFilteredRecords', { file }, txt);
    assert.equal(fs.readFileSync(txt, 'utf8'), ids.map((id) => `${id}\n`).join(''));
  });

  it("exports a comparison's flips and its table from the comparison node", async () => {
    const runB = path.join(dir, 'run-b.jsonl');
    let flippedOne = '';
    const lines = fs.readFileSync(copy, 'utf8').split('\n');
    const changed = lines.map((line) => {
      let r: { id: string; gold: string; response: string };
      try {
        r = JSON.parse(line);
      } catch {
        return line;
      }
      if (flippedOne || !/<answer>/.test(r.response)) return line;
      flippedOne = r.id;
      const gold = r.gold.trim()[0];
      const other = gold === 'A' ? 'B' : 'A';
      const now = r.response.includes(`<answer>${gold}`) ? other : gold;
      r.response = r.response.replace(/<answer>[\s\S]*<\/answer>/, `<answer>${now}</answer>`);
      return JSON.stringify(r);
    });
    fs.writeFileSync(runB, changed.join('\n'));
    const [uA, uB] = [vscode.Uri.file(copy), vscode.Uri.file(runB)];
    await vscode.commands.executeCommand('stThink.compareWith', uA, [uA, uB]);
    const session = a.comparisons.list[0];
    assert.ok(session, 'the comparison is made');
    const node = a.tree.getChildren(a.tree.getChildren().find((n) => n.kind === 'comparisons')).find((n) => n.kind === 'comparison');
    assert.ok(node);
    const csv = path.join(dir, 'flips.csv');
    await vscode.commands.executeCommand('stThink.exportFlips', node, csv);
    const rows = fs.readFileSync(csv, 'utf8').split('\r\n');
    assert.equal(rows[0], 'flip,category,direction,video,A id,A line,A answer,B id,B line,B answer,gold');
    assert.equal(rows.length, 3, 'the header, one flip, and the final CRLF');
    assert.equal(rows[1].split(',')[4], flippedOne);
    const md = path.join(dir, 'comparison.md');
    await vscode.commands.executeCommand('stThink.exportComparison', node, md);
    assert.match(fs.readFileSync(md, 'utf8'), /\| McNemar discordant pairs \| 1 \|/);
  });
});
