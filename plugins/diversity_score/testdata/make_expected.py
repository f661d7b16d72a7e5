#!/usr/bin/env python3
"""Writes expected.json: lists of texts and the diversity DataGenFlow's DiversityScore gives
them (the mean over pairs of 1 - difflib.SequenceMatcher(None, a, b).ratio()), plus the ratio of
each pair. Python's standard library only:

    python3 plugins/diversity_score/testdata/make_expected.py
"""

import difflib
import json
import pathlib
import platform
import random

HERE = pathlib.Path(__file__).resolve().parent


def long_text(rng, length, alphabet):
    return "".join(rng.choice(alphabet) for _ in range(length))


def lists():
    rng = random.Random(7)
    words = "the a cat dog sat ran on under mat log quickly slowly".split()
    prose = lambda n: " ".join(rng.choice(words) for _ in range(n))
    return [
        [],
        ["only one"],
        ["", ""],
        ["same text", "same text"],
        ["abcd", "bcde"],
        ["The cat sat on the mat.", "A dog ran under the log.", "The cat sat on the log."],
        ["caf\u00e9 cr\u00e8me", "cafe creme", "\u65e5\u672c\u8a9e\u306e\u6587"],
        ["qabxcd", "abycdf"],
        # 200 characters and more: difflib's automatic junk heuristic ("popular" characters
        # of the second text are not used to start a match) changes the numbers.
        [prose(60), prose(60), prose(80)],
        [long_text(rng, 400, "ab"), long_text(rng, 300, "ab ")],
        ["a" * 250 + "b", "b" + "a" * 250],
        [long_text(rng, 500, "abcdefghij "), long_text(rng, 500, "abcdefghij ")],
    ]


def main():
    cases = []
    for texts in lists():
        pairs = []
        for i in range(len(texts)):
            for j in range(i + 1, len(texts)):
                pairs.append(difflib.SequenceMatcher(None, texts[i], texts[j]).ratio())
        diversity = sum(1 - r for r in pairs) / len(pairs) if pairs else 0.0
        cases.append({"texts": texts, "pair_ratios": pairs, "diversity_score": diversity})
    out = {"made_by": "plugins/diversity_score/testdata/make_expected.py",
           "python": platform.python_version(), "cases": cases}
    (HERE / "expected.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
