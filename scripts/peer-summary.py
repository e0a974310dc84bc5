#!/usr/bin/env python3
"""The researchers' own way to summarise a results file, as a peer for `npm run bench` (issue 10):
a plain Python loop that json.loads each line, takes the first <answer>…</answer> (else the whole
response), applies upstream's extract_choice rule (a leading A-D, else the first of A-D anywhere,
else the text) and counts correct answers per category, as the inference scripts of the upstream
repository (WPR001/Ego-ST, infer_code/) score a run. Written here for the benchmark; it reads the
bench's canonical records (question, gold, response).

Usage: python3 scripts/peer-summary.py FILE
Prints the counts as JSON. With BENCH_RSS_OUT set, writes its peak resident set size (KiB) there,
as scripts/bench-rss.cjs does for the Node processes.
"""
import json
import os
import re
import resource
import sys

ANSWER = re.compile(r'<answer>(.*?)</answer>', re.DOTALL)
LEADING = re.compile(r'^([A-D])\b')


def choice(text):
    text = text.strip()
    m = LEADING.match(text)
    if m:
        return m.group(1)
    for ch in text:
        if ch in 'ABCD':
            return ch
    return text


def category(question):
    q = question.lower()
    for name in ('direction', 'landmark', 'action'):
        if name in q:
            return name
    return 'route'


def main(path):
    totals = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            response = record.get('response', '')
            m = ANSWER.search(response)
            predicted = choice(m.group(1) if m else response)
            counts = totals.setdefault(category(record.get('question', '')), [0, 0])
            counts[0] += predicted == record.get('gold', '')[:1]
            counts[1] += 1
    print(json.dumps({c: {'correct': n[0], 'total': n[1]} for c, n in sorted(totals.items())}))
    out = os.environ.get('BENCH_RSS_OUT')
    if out:
        with open(out, 'w') as f:
            f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


if __name__ == '__main__':
    main(sys.argv[1])
