/**
 * Tags and notes (issue 11, item 10): the notes file beside a results file is an append-only event
 * log; reading folds it (latest per record and tag, latest note), reports bad lines with file, line
 * and why, tolerates a partial last line, keys records by id (and `line-N` records by line and
 * fingerprint), and writes go through the safe writer, never into the results file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { splitTagWords, visibleEntries } from '../../src/core/filter';
import { ResultsIndex, type IndexEntry } from '../../src/core/index';
import {
  appendNoteEvents,
  attachNotes,
  countTags,
  fingerprint,
  foldNotes,
  noteEvents,
  normaliseTag,
  notesPath,
  parseNoteEvent,
  readNotes,
  recordKey,
  tagCountRows,
  type KeyedEntry,
  type NoteEvent,
} from '../../src/core/notes';
import { makeTempDir, removeDir, repoRoot } from './helpers';

let dir = '';
before(() => (dir = makeTempDir('notes')));
after(() => removeDir(dir));

const AT = '2026-12-06T10:00:00.000Z';
const ev = (o: Partial<NoteEvent>): string => JSON.stringify({ v: 1, record: 'a', op: 'tag', tag: 'wrong-direction', at: AT, ...o });

function entry(id: string, line: number, o: Partial<KeyedEntry> = {}): KeyedEntry {
  return { id, line, video: `/v/${id}.mp4`, label: `question of ${id}`, category: 'direction', direction: 'forward', ...o };
}

describe('the notes file: path, tags, events', () => {
  test('beside the results file, as re-runs are', () => {
    assert.equal(notesPath('/d/run.jsonl'), '/d/run.notes.jsonl');
    assert.equal(notesPath('/d/run.JSON'), '/d/run.notes.jsonl');
    assert.equal(notesPath('/d/run.reruns.jsonl'), '/d/run.reruns.notes.jsonl');
    assert.equal(notesPath('/d/run.txt'), '/d/run.txt.notes.jsonl');
  });

  test('tags are normalised: lower case, hyphens; empty, long or with control characters refused', () => {
    assert.equal(normaliseTag('  Wrong direction '), 'wrong-direction');
    assert.equal(normaliseTag('hallucinated_landmark'), 'hallucinated-landmark');
    assert.equal(normaliseTag('   '), undefined);
    assert.equal(normaliseTag('a'.repeat(65)), undefined);
    assert.equal(normaliseTag('bad\u0007tag'), undefined);
    assert.equal(normaliseTag('a,b'), undefined);
  });

  test('a line is checked field by field; the reason names what is wrong', () => {
    assert.deepEqual(parseNoteEvent(ev({})), { v: 1, record: 'a', op: 'tag', tag: 'wrong-direction', at: AT });
    assert.match(parseNoteEvent('{"v":1,') as string, /^not JSON/);
    assert.match(parseNoteEvent('[1]') as string, /not a JSON object/);
    assert.match(parseNoteEvent(ev({ v: 2 as 1 })) as string, /unknown version 2/);
    assert.match(parseNoteEvent(ev({ record: '' })) as string, /missing "record"/);
    assert.match(parseNoteEvent(ev({ op: 'delete' as 'tag' })) as string, /"op" must be one of tag, untag, note/);
    assert.match(parseNoteEvent(ev({ at: 'yesterday' })) as string, /"at" must be an ISO time/);
    assert.match(parseNoteEvent(ev({ tag: 'Wrong Direction' })) as string, /"tag" must be a tag/);
    assert.match(parseNoteEvent(ev({ op: 'note', tag: undefined })) as string, /a note event needs "text"/);
    assert.match(parseNoteEvent(ev({ line: 0 })) as string, /"line" must be a positive/);
    assert.match(parseNoteEvent(ev({ by: 3 as unknown as string })) as string, /"by" must be text/);
  });
});

describe('folding the events', () => {
  test('latest per record and tag wins (by time, then by place); an untag removes; the latest note replaces', () => {
    const text = [
      ev({ tag: 'wrong-direction' }),
      ev({ tag: 'hallucinated-landmark' }),
      ev({ op: 'untag', tag: 'wrong-direction', at: '2026-12-06T11:00:00.000Z' }),
      // Older than the untag, though read after it (a merged file): the untag stands.
      ev({ op: 'tag', tag: 'wrong-direction', at: '2026-12-06T10:30:00.000Z' }),
      ev({ op: 'note', tag: undefined, text: 'first', at: '2026-12-06T10:00:00.000Z' }),
      ev({ op: 'note', tag: undefined, text: 'second', at: '2026-12-06T12:00:00.000Z', by: 'ana' }),
      ev({ record: 'b', op: 'note', tag: undefined, text: 'gone' }),
      ev({ record: 'b', op: 'note', tag: undefined, text: '', at: '2026-12-06T10:00:01.000Z' }),
      '',
    ].join('\n');
    const s = foldNotes(text, 'n.jsonl');
    assert.deepEqual(s.problems, []);
    assert.equal(s.events, 8);
    const recs = [...s.records()];
    assert.deepEqual(recs, [
      {
        key: { record: 'a' },
        notes: { tags: ['hallucinated-landmark'], note: { text: 'second', at: '2026-12-06T12:00:00.000Z', by: 'ana' } },
      },
    ]);
  });

  test('same time: the later line wins (tag, untag, tag again)', () => {
    const s = foldNotes([ev({}), ev({ op: 'untag' }), ev({})].join('\n') + '\n', 'n');
    assert.deepEqual([...s.records()][0].notes.tags, ['wrong-direction']);
    const t = foldNotes([ev({}), ev({ op: 'untag' })].join('\n') + '\n', 'n');
    assert.deepEqual([...t.records()], []);
  });

  test('bad lines are reported with file, line and why, and skipped; the rest still counts', () => {
    const text = [ev({}), 'garbage', ev({ op: 'nope' as 'tag' }), '   ', ev({ record: 'b' })].join('\n') + '\n';
    const s = foldNotes(text, '/d/run.notes.jsonl');
    assert.deepEqual(
      s.problems.map((p) => [p.file, p.line, p.message.split(' (')[0]]),
      [
        ['/d/run.notes.jsonl', 2, 'not JSON'],
        ['/d/run.notes.jsonl', 3, '"op" must be one of tag, untag, note, got "nope"'],
      ],
    );
    assert.deepEqual(
      [...s.records()].map((r) => r.key.record),
      ['a', 'b'],
    );
  });

  test('a partial last line (a writer stopped mid-line) is skipped without a report; a whole one without its newline counts', () => {
    const cut = ev({ record: 'b' }).slice(0, 20);
    const s = foldNotes(`${ev({})}\n${cut}`, 'n');
    assert.deepEqual(s.problems, []);
    assert.equal(s.partialTail, true);
    assert.equal([...s.records()].length, 1);
    const whole = foldNotes(`${ev({})}\n${ev({ record: 'b' })}`, 'n');
    assert.equal(whole.partialTail, false);
    assert.equal([...whole.records()].length, 2);
  });

  test('an absent notes file is empty; a link (to the results file, say) is not read, and says so', async () => {
    const s = await readNotes(path.join(dir, 'none.notes.jsonl'));
    assert.equal(s.events, 0);
    assert.deepEqual([...s.records()], []);
    const results = path.join(dir, 'linked.jsonl');
    fs.writeFileSync(results, `${ev({})}\n`);
    const link = path.join(dir, 'linked.notes.jsonl');
    fs.symlinkSync(results, link);
    const l = await readNotes(link);
    assert.equal(l.events, 0);
    assert.deepEqual(
      l.problems.map((p) => [p.line, p.message]),
      [[1, `${link} is a symbolic link; ST-Think reads and writes notes files only as regular files`]],
    );
  });
});

describe('attaching notes to records', () => {
  test('by id; records without an id by line and fingerprint, followed when lines move, never to another record', () => {
    const a = entry('st-1', 1);
    const p = entry('line-2', 2);
    const q = entry('line-3', 3);
    // Events as written before two lines were inserted above p and q.
    const lines = [
      ...noteEvents([a], { op: 'tag', tag: 'wrong-direction' }, { at: new Date(AT) }),
      ...noteEvents([p], { op: 'tag', tag: 'hallucinated-landmark' }, { at: new Date(AT) }),
      ...noteEvents([q], { op: 'note', text: 'look again' }, { at: new Date(AT) }),
    ].map((e) => JSON.stringify(e));
    assert.deepEqual(recordKey(a), { record: 'st-1' });
    assert.deepEqual(recordKey(p), { record: 'line-2', line: 2, fp: fingerprint(p) });
    const state = foldNotes(lines.join('\n') + '\n', 'n');
    const before = attachNotes(state, [a, p, q]);
    assert.deepEqual(before.byEntry.get(p)?.tags, ['hallucinated-landmark']);
    assert.equal(before.byEntry.get(q)?.note?.text, 'look again');
    // Two lines inserted above: p is now line-4 and q line-5; a new record sits at line 2.
    const p2 = { ...p, id: 'line-4', line: 4 };
    const q2 = { ...q, id: 'line-5', line: 5 };
    const other = entry('line-2', 2, { video: '/v/other.mp4' });
    const after = attachNotes(state, [a, other, p2, q2]);
    assert.equal(after.byEntry.get(other), undefined, 'the new record at line 2 gets nothing');
    assert.deepEqual(after.byEntry.get(p2)?.tags, ['hallucinated-landmark']);
    assert.equal(after.byEntry.get(q2)?.note?.text, 'look again');
    assert.deepEqual(after.detached, []);
    // An untag written after the move (line-4) cancels the tag written before it (line-2).
    const untag = noteEvents([p2], { op: 'untag', tag: 'hallucinated-landmark' }, { at: new Date('2026-12-06T11:00:00Z') });
    const state2 = foldNotes([...lines, JSON.stringify(untag[0])].join('\n') + '\n', 'n');
    assert.equal(attachNotes(state2, [a, other, p2, q2]).byEntry.get(p2), undefined);
    // The record gone, or two records alike and neither at the line: detached, kept in the file.
    const twins = attachNotes(state, [a, { ...p, id: 'line-7', line: 7 }, { ...p, id: 'line-8', line: 8 }]);
    assert.equal(twins.detached.length, 2);
    assert.equal(attachNotes(state, []).detached.length, 3);
  });

  test('counts per tag × category × direction, over the records given', () => {
    const es = [
      entry('a', 1),
      entry('b', 2, { direction: 'reverse' }),
      entry('c', 3, { category: 'landmark' }),
      entry('d', 4, { category: 'landmark', direction: 'reverse' }),
    ];
    const tags: Record<string, string[]> = { a: ['wrong-direction'], b: ['wrong-direction', 'x'], c: ['wrong-direction'] };
    const counts = countTags(es, (e) => (tags[e.id] ? { tags: tags[e.id] } : undefined));
    assert.deepEqual(tagCountRows(counts), [
      { tag: 'wrong-direction', category: 'direction', forward: 1, reverse: 1 },
      { tag: 'wrong-direction', category: 'landmark', forward: 1, reverse: 0 },
      { tag: 'x', category: 'direction', forward: 0, reverse: 1 },
    ]);
  });

  test('the filter: tag:NAME words become tags; only records with one of them stay', async () => {
    assert.deepEqual(splitTagWords('tag:Wrong-Direction door  tag:x'), { text: 'door', tags: ['wrong-direction', 'x'] });
    assert.deepEqual(splitTagWords('no tags'), { text: 'no tags', tags: [] });
    const idx = ResultsIndex.create(path.join(repoRoot, 'samples/st-r1-demo-run.jsonl'));
    await idx.load();
    const [e1, e2, e3] = idx.entries;
    const tagsOf = (e: IndexEntry) => (e === e1 ? ['wrong-direction'] : e === e2 ? ['x'] : e === e3 ? [] : undefined);
    const shown = visibleEntries(idx.entries, { tags: ['wrong-direction', 'x'] }, 'mcq_infer', undefined, tagsOf);
    assert.deepEqual(shown, [e1, e2]);
    assert.deepEqual(
      visibleEntries(
        idx.entries,
        { tags: ['x'], directions: [e2.direction === 'forward' ? 'reverse' : 'forward'] },
        'mcq_infer',
        undefined,
        tagsOf,
      ),
      [],
    );
    assert.deepEqual(visibleEntries(idx.entries, { tags: ['x'] }, 'mcq_infer'), [], 'no notes: no record has a tag');
  });
});

describe('writing notes', () => {
  test('appends whole lines through the safe writer; the results file is never written, even named as the notes file', async () => {
    const results = path.join(dir, 'run.jsonl');
    fs.writeFileSync(results, '{"id":"a"}\n');
    const before = fs.readFileSync(results);
    const notes = notesPath(results);
    await appendNoteEvents(notes, noteEvents([entry('a', 1)], { op: 'tag', tag: 'wrong-direction' }), [results]);
    await appendNoteEvents(notes, noteEvents([entry('a', 1)], { op: 'note', text: 'line\nbreak "quoted"' }, { by: 'ana' }), [results]);
    const text = fs.readFileSync(notes, 'utf8');
    assert.equal(text.split('\n').length, 3, 'two whole lines');
    const s = await readNotes(notes);
    assert.deepEqual([...s.records()][0].notes.tags, ['wrong-direction']);
    assert.equal([...s.records()][0].notes.note?.text, 'line\nbreak "quoted"');
    // The results file given as the notes file, a results file named like one, or reached through a link: refused, unchanged.
    await assert.rejects(appendNoteEvents(results, noteEvents([entry('a', 1)], { op: 'tag', tag: 'x' }), [results]), /not a notes file/);
    const odd = path.join(dir, 'odd.notes.jsonl');
    fs.writeFileSync(odd, '{"id":"z"}\n');
    await assert.rejects(appendNoteEvents(odd, noteEvents([entry('a', 1)], { op: 'tag', tag: 'x' }), [odd]), /never writes a results file/);
    assert.equal(fs.readFileSync(odd, 'utf8'), '{"id":"z"}\n');
    const link = path.join(dir, 'link.notes.jsonl');
    fs.symlinkSync(results, link);
    await assert.rejects(appendNoteEvents(link, noteEvents([entry('a', 1)], { op: 'tag', tag: 'x' }), [results]), /symbolic link/);
    assert.deepEqual(fs.readFileSync(results), before);
    assert.throws(() => noteEvents([entry('a', 1)], { op: 'tag', tag: 'Not A Tag' }), /not a tag/);
  });

  test('a partial last line left by a killed writer is moved aside before the next event, which reads whole', async () => {
    const notes = path.join(dir, 'cut.notes.jsonl');
    fs.writeFileSync(notes, `${ev({})}\n${ev({ record: 'b' }).slice(0, 15)}`);
    await appendNoteEvents(notes, noteEvents([entry('c', 1)], { op: 'tag', tag: 'x' }), []);
    const s = await readNotes(notes);
    assert.deepEqual(s.problems, []);
    assert.deepEqual(
      [...s.records()].map((r) => r.key.record),
      ['a', 'c'],
    );
    assert.ok(fs.readdirSync(dir).some((n) => n.startsWith('cut.notes.jsonl.partial-')));
  });

  test('two processes appending at once: every event arrives as one whole line', async () => {
    const notes = path.join(dir, 'team.notes.jsonl');
    const script = `
      const { appendNoteEvents, noteEvents } = require(${JSON.stringify(path.join(repoRoot, 'out/src/core/notes.js'))});
      (async () => {
        const who = process.argv[1];
        for (let i = 0; i < 40; i++)
          await appendNoteEvents(${JSON.stringify(notes)}, noteEvents([{ id: who + '-' + i, line: i + 1, video: '', label: '' }],
            { op: 'note', text: who.repeat(500) }, { by: who }), []);
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const run = (who: string) =>
      new Promise<number>((resolve) =>
        spawn(process.execPath, ['-e', script, who], { stdio: 'inherit' }).on('exit', (c) => resolve(c ?? 1)),
      );
    assert.deepEqual(await Promise.all([run('p'), run('q')]), [0, 0]);
    const s = await readNotes(notes);
    assert.deepEqual(s.problems, []);
    assert.equal(s.events, 80);
    assert.equal([...s.records()].length, 80);
  });
});
