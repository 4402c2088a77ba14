"""Judging music, one question per module.

metrics.py        numbers about one piece (pitch range, density, histograms, ...)
distributions.py  does a set sound like the reference? (MGEval distance distributions)
diversity.py      is a set varied? (distinct n-grams)
memorisation.py   does a set copy its training data? (copied spans, 4-bar windows)
report.py         the comparison report: Markdown, HTML, JSON beside the plots
compare.py        reads the folders and ties the above into one comparison
plots.py          figures of pieces, sets and learning curves
"""
