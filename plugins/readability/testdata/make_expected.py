#!/usr/bin/env python3
"""Writes the reference figures the Readability block's tests compare against.

Run once, by hand, in a virtualenv with the PyPI packages the numbers come from:

    python3 -m venv /tmp/readability-venv
    /tmp/readability-venv/bin/pip install textstat==0.7.4 pyphen==0.18.1
    /tmp/readability-venv/bin/python plugins/readability/testdata/make_expected.py

textstat 0.7.4 is the last release that counts syllables with pyphen alone; later ones look
words up in NLTK's CMU dictionary first, which they download at run time. Rounding is turned
off (set_rounding(False)), so the figures are the formulas' exact values.

It writes expected.json beside this script: each text with textstat's flesch_reading_ease,
flesch_kincaid_grade, gunning_fog, smog_index and coleman_liau_index.
"""

import json
import pathlib

import pyphen
import textstat

HERE = pathlib.Path(__file__).resolve().parent
FIGURES = ["flesch_reading_ease", "flesch_kincaid_grade", "gunning_fog", "smog_index",
           "coleman_liau_index"]

TEXTS = [
    # A children's story: short words, short sentences.
    "The cat sat on the mat. It was a warm day. The dog came to play. They ran in the sun. "
    "Then they both went home for tea.",
    # Legal prose: long sentences, long words.
    "Notwithstanding any provision of this agreement to the contrary, the licensee shall "
    "indemnify, defend and hold harmless the licensor, its affiliates and their respective "
    "officers, directors and employees from and against any and all liabilities, damages, "
    "losses, costs and expenses, including reasonable attorneys' fees, arising out of or "
    "relating to the licensee's unauthorized use of the licensed materials. The obligations "
    "set forth herein shall survive the termination or expiration of this agreement.",
    # A scientific abstract.
    "We investigate the thermodynamic stability of polycrystalline perovskite membranes under "
    "cyclic illumination. Spectroscopic measurements indicate that photoinduced segregation of "
    "halide ions accelerates degradation considerably. Computational simulations corroborate "
    "the experimental observations and suggest a mitigation strategy based on interfacial "
    "passivation. These results have implications for the commercialization of tandem "
    "photovoltaic architectures.",
    # News.
    "The city council voted on Tuesday to expand the bus network to three new districts. "
    "Officials said the first routes would open in March, and fares would not change. "
    "Residents who spoke at the meeting welcomed the plan, although some asked for more "
    "evening services. The project will cost about 40 million dollars over five years.",
    # Dialogue with contractions and quotes.
    "\"Where're you going?\" she asked. \"Out,\" he said. \"I'll be back before dinner, "
    "don't worry.\" She didn't believe him, but she let him go anyway. It's what she always "
    "did. \"You'd better be,\" she called after him.",
    # One long sentence without a full stop.
    "A pipeline reads the seed file and for every repetition of every seed it starts a run "
    "whose state begins as the metadata and then passes through each block in order",
    # Technical documentation with numbers and symbols.
    "Set BLOCK_MEMORY_MB to 256 (the default) to cap each block's linear memory. A block that "
    "exceeds it traps; the run fails with the limit's numbers. Version 2.3.1 raised the cap "
    "from 128 MB to 256 MB! See docs/limits.md for every limit.",
    # Poetry, line breaks and no punctuation at line ends.
    "Shall I compare thee to a summer's day\nThou art more lovely and more temperate\n"
    "Rough winds do shake the darling buds of May\nAnd summer's lease hath all too short a "
    "date.\nSometime too hot the eye of heaven shines.",
    # A list of short items.
    "Ingredients: flour, sugar, eggs, butter. Mix well. Bake for twenty minutes at 180 "
    "degrees. Serve warm with fresh cream and strawberries. Enjoy!",
    # Questions and exclamations.
    "Why does the sky look blue? Sunlight scatters off the molecules of the atmosphere! Blue "
    "light scatters far more than red light does. Isn't that remarkable? At sunset the light "
    "travels further, so the reds and oranges remain.",
    # Very short.
    "Hello world.",
    # Hyphenated and compound words, accents.
    "The well-known café served a state-of-the-art crème brûlée to thirty-two visitors. "
    "Its self-taught chef, a naïve but determined cook, re-examined every recipe twice. "
    "Everyone agreed that the dessert was extraordinarily good.",
    # Business e-mail.
    "Dear team, thank you for your hard work this quarter. Revenue increased by twelve "
    "percent, and customer satisfaction reached its highest level since we began measuring "
    "it. Please review the attached summary before our meeting on Friday. Let me know if you "
    "have questions or suggestions for the next quarter's priorities.",
    # Philosophy: long abstract words.
    "Epistemological skepticism questions whether knowledge is achievable at all. Its "
    "proponents argue that justification inevitably regresses infinitely, terminates "
    "arbitrarily, or circles back upon itself. Contemporary philosophers have responded with "
    "foundationalist, coherentist and infinitist theories, each attempting to demonstrate "
    "that rational belief remains possible despite these apparently insurmountable "
    "difficulties.",
    # Instructions for a model, with a code-like token.
    "You are a helpful assistant. Answer the user's question in two sentences. If you do not "
    "know the answer, say so. Never invent facts. Use the field answer_text for your reply.",
    # Several paragraphs, a longer text.
    "Rivers shape the land they cross. Over thousands of years, flowing water carves valleys, "
    "moves sediment and builds fertile plains where crops can grow.\n\nPeople have always "
    "settled near rivers. Water for drinking, fishing and transport made river valleys the "
    "cradles of early civilizations, from the Nile to the Yellow River.\n\nToday, many rivers "
    "face pollution and over-extraction. Dams provide electricity and irrigation, but they "
    "also block fish migration and trap sediment that deltas need. Restoring rivers means "
    "balancing these needs carefully, with the help of engineers, ecologists and the "
    "communities who depend on them.",
    # Ellipses and abbreviations.
    "Dr. Smith arrived at 9 a.m. and left at noon... Nobody knew why. The U.S. office said "
    "nothing, e.g. no statement at all. Mr. Jones waited. Then, finally, the phone rang.",
    # Empty text.
    "",
]


def main():
    textstat.set_lang("en_US")
    textstat.set_rounding(False)
    cases = []
    for text in TEXTS:
        cases.append({
            "text": text,
            "figures": {name: getattr(textstat, name)(text) for name in FIGURES},
        })
    expected = {
        "made_by": "plugins/readability/testdata/make_expected.py",
        "textstat_version": "0.7.4",
        "pyphen_version": pyphen.__version__,
        "cases": cases,
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
