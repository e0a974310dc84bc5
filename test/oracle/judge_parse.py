"""
Upstream's judge-reply handling, re-stated for the tests (not upstream's code): for each reply on
stdin (a JSON list of strings), the span `re.search(r'\{.*\}', s, re.DOTALL)` read with
`ast.literal_eval` (any exception: {}), then the sample total as upstream computes it
((d.get('direction', 0) + d.get('landmark', 0) + d.get('semantic and logic', 0)) / 3.0, `total`
set on the dict) and the dict as `json.dumps(indent=2, ensure_ascii=False)` writes it. A reply
where upstream's script would stop (not a dict, a part that cannot be added, json cannot write it)
is reported as {"crash": "<exception type>"}.
Prints a JSON list of {"parsed": bool, "total": the float as json writes it, "dump": str} or {"crash": str}.
"""
import ast
import json
import re
import sys


def parse(s):
    try:
        m = re.search(r'\{.*\}', s, re.DOTALL)
        return (ast.literal_eval(m.group(0)), True) if m else ({}, False)
    except Exception:
        return {}, False


def one(s):
    value, parsed = parse(s)
    try:
        total = (value.get('direction', 0) + value.get('landmark', 0) + value.get('semantic and logic', 0)) / 3.0
        value['total'] = total
        if isinstance(total, complex):
            raise TypeError('complex total')
        dump = json.dumps(value, indent=2, ensure_ascii=False)
    except Exception as e:
        return {"crash": type(e).__name__}
    return {"parsed": parsed and len(value) > 1, "total": json.dumps(total), "dump": dump}


def main():
    replies = json.load(sys.stdin)
    json.dump([one(s) for s in replies], sys.stdout)


if __name__ == '__main__':
    main()
