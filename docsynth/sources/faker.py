"""Offline, seeded text from Faker: lorem sentences in the locale's own word list, mixed with
names, companies, jobs, places and dates, so each locale yields text in its own script.

Document `index` is generated from `ctx.rng(str(index), "faker")` alone, so the same
`(seed, index)` gives the same text whatever the shard split or the worker.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from functools import lru_cache

from docsynth import config as C
from docsynth.doc import Document
from docsynth.sources.ranges import check_spec, range_specs
from docsynth.steps import ShardContext

NO_SPACES = ("zh_CN", "zh_TW", "ja_JP")  # sentences run on without spaces
PUNCTUATION = {"zh_CN": ("，", "。"), "zh_TW": ("，", "。"), "ja_JP": ("、", "。")}  # (comma, full stop) by locale
DATE_PATTERNS = {"zh_CN": "%Y年%m月%d日", "ja_JP": "%Y年%m月%d日", "de_DE": "%d.%m.%Y", "ru_RU": "%d.%m.%Y",
                 "fr_FR": "%d/%m/%Y", "el_GR": "%d/%m/%Y", "en_US": "%m/%d/%Y"}  # fmt: skip
LAST_DATE = datetime.datetime(2024, 12, 31)  # Faker's dates default to "until now", which changes every second
FACT_PROB = 0.25  # chance a sentence is built from names, companies, places instead of lorem words


@lru_cache(maxsize=32)
def _faker(locale: str):
    from faker import Faker

    try:
        return Faker(locale)
    except AttributeError as e:  # Faker's error for an unknown locale
        raise ValueError(f"source.locales: Faker has no locale {locale!r}") from e


def _fact(fake, rng, locale: str, comma: str, stop: str) -> str:
    """A sentence of real names and places of the locale (address lines joined)."""
    date = fake.date(DATE_PATTERNS.get(locale, "%Y-%m-%d"), end_datetime=LAST_DATE)  # not "now": reproducible
    parts = [fake.name(), fake.job(), fake.company(), fake.city(), fake.address().replace("\n", " "), date]
    picked = [parts[i] for i in sorted(rng.choice(len(parts), size=int(rng.integers(2, 4)), replace=False))]
    return comma.join(picked) + stop


def _sentence(fake, rng, locale: str) -> str:
    comma, stop = PUNCTUATION.get(locale, (", ", "."))
    if rng.random() < FACT_PROB:
        return _fact(fake, rng, locale, comma, stop)
    s = fake.sentence(nb_words=int(rng.integers(4, 16)), variable_nb_words=False)
    return s[:-1] + stop if s.endswith(".") else s


def _title(fake, rng) -> str:
    """A short title line (no final stop): the renderer may set it as a heading."""
    return fake.sentence(nb_words=int(rng.integers(2, 7)), variable_nb_words=False).rstrip(".。")


def faker_document(index: int, cfg: C.SourceConfig, ctx: ShardContext) -> Document:
    rng = ctx.rng(str(index), "faker")
    locale = cfg.locales[int(rng.integers(len(cfg.locales)))]
    fake = _faker(locale)
    fake.seed_instance(int(rng.integers(2**63 - 1)))  # Faker's own draws follow the document, not the process
    paragraphs = []
    for i in range(int(rng.integers(cfg.paragraphs[0], cfg.paragraphs[1] + 1))):
        if rng.random() < (2 * cfg.title_prob if i == 0 else cfg.title_prob):
            paragraphs.append(_title(fake, rng))
        n = int(rng.integers(cfg.sentences[0], cfg.sentences[1] + 1))
        paragraphs.append(("" if locale in NO_SPACES else " ").join(_sentence(fake, rng, locale) for _ in range(n)))
    return Document("faker", f"f{index:08d}", "\n\n".join(paragraphs), meta={"index": index, "locale": locale})


class FakerSource:
    name = "faker"

    def __init__(self, cfg: C.PipelineConfig):
        self.cfg = cfg
        for locale in cfg.source.locales:
            _faker(locale)  # fail early, naming the locale

    def plan(self, cfg: C.PipelineConfig) -> list[dict]:
        return range_specs("faker", cfg, "needs a positive number of documents")

    def read(self, inputs: dict, ctx: ShardContext) -> Iterator[Document]:
        check_spec("faker", inputs)
        for index in range(inputs["start"], inputs["stop"]):
            yield faker_document(index, self.cfg.source, ctx)
