#!/usr/bin/env python3
"""Writes the reference values the RougeScore block's tests compare against.

Run once, by hand, in a virtualenv with the PyPI packages the numbers come from:

    python3 -m venv /tmp/rouge-venv
    /tmp/rouge-venv/bin/pip install rouge-score==0.1.2 nltk==3.10.4
    /tmp/rouge-venv/bin/python plugins/rouge_score/testdata/make_expected.py

It writes, beside this script:
- expected.json: text pairs and rouge-score's precision, recall and F-measure of rouge1,
  rouge2, rougeL and rougeLsum for each, with the Porter stemmer (as DataGenFlow's block
  uses it: RougeScorer(..., use_stemmer=True), score(reference, generated));
- porter_nltk.tsv: words and NLTK's Porter stem of each (the stemmer rouge-score uses), over
  words made to reach every rule of the algorithm and the prose of this repository's docs.
"""

import json
import pathlib
import random
import re

import nltk
import rouge_score
from nltk.stem import porter
from rouge_score import rouge_scorer

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]

VOCABULARY = (
    "model data block pipeline record seed answer question context evaluate "
    "generate running runner quickly relational conditional national happiness "
    "the a of and to in is was for on with as by at from that this it be are "
    "fox dog cat jumps lazy brown quick over under between through against "
    "computing computer computation compute computes computed agreement agreed "
    "organization organize organizing hopeful hopefulness goodness electrical "
    "sensitivity sensible adjustable adjustment dependent adoption effective "
    "skies dying lying news innings outing proceed exceed succeed flies spied"
).split()


def long_text(rng, words, lines=False):
    """`words` words from VOCABULARY with some punctuation, reproducible from `rng`; with
    `lines`, a sentence per line (for rougeLsum)."""
    out = []
    for i in range(words):
        word = rng.choice(VOCABULARY)
        if i % 11 == 10:
            word += rng.choice([".", ",", ";", "!"])
            if lines:
                word += "\n"
        out.append(word)
    return " ".join(out)


def pairs():
    rng = random.Random(20261203)
    return [
        ("The quick brown fox jumps over the lazy dog",
         "The quick brown dog jumps on the log."),
        ("The runners were running quickly through the running trails",
         "A runner runs quick through trails"),
        ("In 2023, GDP grew 3.5% (Q4: 1.2%).",
         "GDP grew by 3.5 percent in 2023"),
        ("Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 Stra\u00dfe",
         "cafe naive resume strasse"),
        ("First sentence here.\nSecond one is there.\nThird line about cats.",
         "Second one is here.\nCats have a third line.\n\nFirst sentence."),
        ("the the the cat", "the cat the cat the"),
        ("alpha beta gamma", "delta epsilon"),
        ("skies dying lying tying news innings outings cannings",
         "sky die lie tie news inning outing canning"),
        ("cats are bad; dogs are good", "cat is bad, dog is goods"),
        ("!!!", "something"),
        ("relational conditional rational valenci hesitanci digitizer conformabli "
         "radicalli differentli vileli analogousli vietnamization predication operator "
         "feudalism decisiveness hopefulness callousness formaliti sensitiviti sensibiliti",
         "relate condition rational valence hesitance digitize conformable radical "
         "different vile analogous vietnamize predicate operate feudal decisive hopeful "
         "callous formal sensitive sensible"),
        ("triplicate formative formalize electriciti electrical hopeful goodness revival "
         "allowance inference airliner gyroscopic adjustable defensible irritant "
         "replacement adjustment dependent adoption homologou communism activate",
         "triplic form formal electric electric hope good reviv allow infer airlin "
         "gyroscop adjust defens irrit replac adjust depend adopt homolog commun activ"),
        ("Paris is the capital of France.\nIt is also its largest city.",
         "The capital of France is Paris, its largest city."),
        ("A single line reference with several words in it",
         "A single line reference\nwith several words\nin it"),
        (long_text(rng, 500), long_text(rng, 500)),
        (long_text(rng, 500, lines=True), long_text(rng, 500, lines=True)),
    ]


def rules_words():
    """Words that reach each step and condition of the Porter algorithm and NLTK's extensions."""
    stems = ("relat condit ration valen hesit digit conform radic differ vil analog "
             "vietnam predic oper feud decis hope callous formal sensit sensib tripl "
             "electr good reviv allow infer airlin gyroscop adjust defens irrit replac "
             "depend adopt homolog commun activ angular effect bowdler prob rat ceas "
             "control rol fil fail hop tan fal his fiz sing motor plaster bled agr fe "
             "caress poni ti cat happ sk enjo sp fl tr geo theo archaeo philo gener "
             "nation condition organ visual cri di li ski ny by y yy yyy syzyg to").split()
    suffixes = ("'' s es ies sses ss ed ing eed ied ational tional enci anci izer bli "
                "abli alli entli eli ousli ization ation ator alism iveness fulness "
                "ousness aliti iviti biliti fulli logi icate ative alize iciti ical ful "
                "ness al ance ence er ic able ible ant ement ment ent ion sion tion ou ism "
                "ate iti ous ive ize e ll y ly ies at bl iz").split()
    words = set()
    for stem in stems:
        for suffix in suffixes:
            words.add(stem + ("" if suffix == "''" else suffix))
    return words


def docs_words():
    words = set()
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8").lower()
        words.update(re.findall(r"[a-z]+", text))
    return words


def main():
    scorer = rouge_scorer.RougeScorer(TYPES, use_stemmer=True)
    cases = []
    for reference, generated in pairs():
        scores = scorer.score(reference, generated)
        cases.append({
            "reference": reference,
            "generated": generated,
            "scores": {
                t: {"precision": s.precision, "recall": s.recall, "fmeasure": s.fmeasure}
                for t, s in scores.items()
            },
        })
    expected = {
        "made_by": "plugins/rouge_score/testdata/make_expected.py",
        "rouge_score_version": getattr(rouge_score, "__version__", "0.1.2"),
        "nltk_version": nltk.__version__,
        "cases": cases,
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")

    stemmer = porter.PorterStemmer()
    words = sorted(rules_words() | docs_words() | set(VOCABULARY))
    lines = [f"{w}\t{stemmer.stem(w)}" for w in words if len(w) > 0]
    (HERE / "porter_nltk.tsv").write_text(
        f"# word<TAB>NLTK {nltk.__version__} PorterStemmer().stem(word); made by make_expected.py\n"
        + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
