"""Seeing a corpus: read samples, draw pages with boxes, collect statistics, render a report.

- `corpus`: `Corpus(url)` — index, vocab, errors, `samples()`, `find(key)`, the tokenizers.
- `draw`: pages with their boxes (PIL) and the `docsynth inspect` figure.
- `sequence`: serialized sequences with image runs collapsed.
- `stats`: one streaming pass of counts, distributions and vision-code usage.
- `plots` / `html`: matplotlib figures and the self-contained HTML report.
"""
