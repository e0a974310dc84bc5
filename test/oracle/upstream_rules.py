#!/usr/bin/env python3
"""Python's own semantics for the upstream scoring rules, as an oracle for the unit tests.

The rules (WPR001/Ego-ST: infer_code/*/mcq_infer.py extract_choice after the answer tag;
ST-R1/src/open_r1_video/grpo.py accuracy_reward's string match and format_reward) are restated
here from their description, run by CPython's str and re, so the tests compare the product with
what Python really does with white space and word characters.

  python3 upstream_rules.py classify      JSON: Python's white space and word characters (BMP)
  python3 upstream_rules.py score         stdin {"chars": [code points]} -> the probes and results
  python3 upstream_rules.py fixture       the committed fixture (test/oracle/python-rules.json)

accuracy_reward first tries math_verify's parse/verify; that path is not reproduced here (nor in
the product): only the string match, which decides letter answers.
"""
import json
import platform
import re
import sys
import unicodedata

ANSWER = re.compile(r'<answer>(.*?)</answer>', re.DOTALL)
FORMAT = re.compile(r'<think>.*?</think>\s*<answer>.*?</answer>', re.DOTALL)
LEADING = re.compile(r'^([A-D])\b')


def extracted(response):
    """mcq_infer: the answer tag's content (else the whole response), stripped, then extract_choice."""
    m = ANSWER.search(response)
    text = (m.group(1) if m else response).strip()
    lead = LEADING.match(text)
    if lead:
        return lead.group(1)
    for ch in text:
        if ch in 'ABCD':
            return ch
    return text


def reward(completion, solution):
    """grpo_reward: the accuracy reward's string match (1.0 or 0.0); any exception gives 0.0."""
    try:
        m = ANSWER.search(solution)
        truth = m.group(1).strip() if m else solution.strip()
        got = ANSWER.search(completion)
        if got:
            student = got.group(1).strip()
            return 1.0 if student[0] == truth[0] else 0.0
        return 0.0
    except Exception:
        return 0.0


def format_ok(response):
    return FORMAT.match(response) is not None


def probes(chars):
    """Responses and golds that put each character where strip, \\s and \\b decide the result."""
    out = []
    for c in chars:
        ch = chr(c)
        for response, gold in (
            ('<answer>%sB%s</answer>' % (ch, ch), 'B'),  # strip around the answer tag's content
            ('%sA%s' % (ch, ch), 'A'),  # no tag: the whole response stripped
            ('<answer>A%sB</answer>' % ch, 'B'),  # ^([A-D])\b with ch after the letter
            ('<answer>%s</answer> C' % ch, 'C'),  # a tag holding only ch
            ('<think>t</think>%s<answer>A</answer>' % ch, 'A'),  # the format's \s*
            ('<think>t</think>%s%s <answer>A</answer>' % (ch, ch), 'A'),
            ('<answer>B</answer>', '<think>t</think> <answer>%sB%s</answer>' % (ch, ch)),  # a chain as gold
            ('<answer>B</answer>', '%sB%s' % (ch, ch)),  # a plain gold stripped
        ):
            out.append({
                'char': c,
                'response': response,
                'gold': gold,
                'extracted': extracted(response),
                'reward': reward(response, gold),
                'format': format_ok(response),
            })
    return out


def bmp():
    return range(0x10000)


def ranges(codes):
    out = []
    for c in codes:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def classify():
    space = [c for c in bmp() if chr(c).isspace()]
    sre_space = [c for c in bmp() if re.match(r'\s', chr(c))]
    word = [c for c in bmp() if re.match(r'\w', chr(c))]
    isalnum = [c for c in bmp() if chr(c).isalnum() or chr(c) == '_']
    return {
        'python': platform.python_version(),
        'unicode': unicodedata.unidata_version,
        'space': space,
        'sreSpaceIsIsspace': sre_space == space,
        'word': ranges(word),
        'sreWordIsIsalnum': word == isalnum,
    }


# ECMAScript's \s (WhiteSpace and LineTerminator): TAB, VT, FF, ZWNBSP, the Zs characters, LF, CR,
# LS, PS. Zs is taken from this Python's Unicode database (it has not changed since Unicode 6).
def ecmascript_space():
    zs = {c for c in bmp() if unicodedata.category(chr(c)) == 'Zs'}
    return sorted(zs | {0x09, 0x0B, 0x0C, 0xFEFF, 0x0A, 0x0D, 0x2028, 0x2029})


# Word-boundary examples: '_', a Latin letter, an Arabic-Indic digit, a superscript two (No), a
# Roman numeral (Nl), a CJK numeral (Lo), a combining mark (not a word character), and letters
# that Unicode 15-17 added to the BMP, which JavaScript engines with newer Unicode data count as
# word characters and Python 3.11 (Unicode 14) does not.
WORD_EXAMPLES = [0x5F, 0xE9, 0x663, 0xB2, 0x2163, 0x4E00, 0x301,
                 0x88F, 0xC5C, 0xCDC, 0x1C89, 0x1C8A, 0xA7CB, 0xA7CC, 0xA7CD, 0xA7CE, 0xA7CF,
                 0xA7D2, 0xA7D4, 0xA7DA, 0xA7DB, 0xA7DC, 0xA7F1]


def fixture():
    py = {c for c in bmp() if chr(c).isspace()}
    js = set(ecmascript_space())
    differing = sorted(py ^ js)
    chars = differing + WORD_EXAMPLES
    return {
        'command': 'python3 test/oracle/upstream_rules.py fixture > test/oracle/python-rules.json',
        'python': platform.python_version(),
        'unicode': unicodedata.unidata_version,
        'spaceDiffers': [{'char': c, 'python': c in py, 'ecmascript': c in js} for c in differing],
        'wordExamples': [{'char': c, 'pythonWord': re.match(r'\w', chr(c)) is not None} for c in WORD_EXAMPLES],
        'probes': probes(chars),
    }


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    if mode == 'classify':
        out = classify()
    elif mode == 'score':
        out = {'probes': probes(json.load(sys.stdin)['chars'])}
    elif mode == 'fixture':
        out = fixture()
    else:
        sys.exit('usage: upstream_rules.py classify|score|fixture')
    if mode == 'fixture':
        # One probe per line: a reviewable diff when the fixture is made again.
        head = ',\n'.join(' %s: %s' % (json.dumps(k), json.dumps(v)) for k, v in out.items() if k != 'probes')
        body = ',\n'.join('  ' + json.dumps(p) for p in out['probes'])
        sys.stdout.write('{\n%s,\n "probes": [\n%s\n ]\n}\n' % (head, body))
    else:
        json.dump(out, sys.stdout)
        sys.stdout.write('\n')


if __name__ == '__main__':
    main()
