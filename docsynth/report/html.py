"""One self-contained HTML report: inline CSS, plots and thumbnails as data URIs, no external URL.

A small inline script checks on load that every image decoded (`naturalWidth > 0`) and that
no script or resource error fired, and writes the verdict into `#report-check` (its
`data-status` is `ok` or `failed`), which headless browsers and readers both see.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime, timezone

from docsynth import __version__
from docsynth.report.draw import draw_boxes, type_color
from docsynth.report.plots import Plot, all_plots
from docsynth.report.stats import CorpusStats, code_usage

THUMB_HEIGHT = 300  # pixels

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{background:#1f2a44;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.8}main{max-width:1180px;margin:0 auto;padding:16px 32px 48px}
h2{margin:28px 0 10px;font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card b{display:block;font-size:22px}.card span{color:#666;font-size:12px}
figure{background:#fff;margin:0 0 16px;padding:12px;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
figure img{max-width:100%;height:auto;display:block}figcaption{color:#555;font-size:13px;margin-top:6px}
table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
.thumbs{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
.thumbs figure{padding:8px;margin:0}.thumbs img{border:1px solid #d8d8d8;margin:0 auto}
.thumbs figcaption{font:12px ui-monospace,monospace;word-break:break-all}
.legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
#report-check{color:#888;font-size:12px;margin-top:32px}#report-check[data-status=failed]{color:#b00;font-weight:bold}
"""

CHECK_SCRIPT = """
(function(){var errors=[];
window.addEventListener('error',function(e){
  errors.push(String(e.message||(e.target&&e.target.src)||'error').slice(0,80));},true);
window.addEventListener('load',function(){
  var imgs=Array.prototype.slice.call(document.images);
  var bad=imgs.filter(function(im){return !(im.complete&&im.naturalWidth>0);});
  var el=document.getElementById('report-check');var ok=bad.length===0&&errors.length===0;
  el.dataset.status=ok?'ok':'failed';el.dataset.images=imgs.length;el.dataset.broken=bad.length;
  el.dataset.errors=errors.length;
  el.textContent=ok?('All '+imgs.length+' images loaded.'):(bad.length+' of '+imgs.length+
    ' images failed to load; '+errors.length+' errors: '+errors.join('; '));});
})();
"""


def e(x) -> str:
    return html.escape(str(x))


def _cards(st: CorpusStats) -> str:
    j, t = st.to_json(), st.index.get("totals", {})
    items = [("documents", len(st.docs)), ("pages", st.samples), ("shards", j["shards"])]
    items += [(f"tokens {f}", f"{d['total']:,}") for f, d in j["tokens"].items()]
    items += [("documents in", t.get("docs_in", "n/a")), ("dropped", t.get("docs_dropped", sum(st.dropped.values())))]
    cards = "".join(f"<div class='card'><b>{e(v)}</b><span>{e(k)}</span></div>" for k, v in items)
    return f"<div class='cards'>{cards}</div>"


def _table(head: list[str], rows: list[list]) -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def dropped_section(st: CorpusStats) -> str:
    if not st.dropped:
        return "<p>No input was dropped.</p>"
    rows = sorted(st.dropped.items(), key=lambda kv: (-kv[1], kv[0]))
    return _table(["reason", "inputs"], rows) + "<p>Each dropped input and its reason: <code>.docsynth/errors.jsonl</code>.</p>"


def _codes_table(st: CorpusStats) -> str:
    rows = [[h["head"], h["used"], f"{h['used_frac']:.1%}", f"{h['perplexity']:.1f}", f"{h['perplexity_frac']:.1%}",
             f"{h['top_share']:.2%}"] for h in code_usage(st.codes)]  # fmt: skip
    return _table(["head", "codes used", "of K", "perplexity", "perplexity / K", "most frequent code"], rows)


def thumbnail_uri(sample) -> str:
    """The sample's (first) page with its boxes, and a glimpse sample's looks."""
    meta, image = sample.pages()[0], sample.image()
    im = draw_boxes(image, meta, "para", scale=THUMB_HEIGHT / image.shape[0], labels=False)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _what(s) -> str:
    n = len(s.pages()[0]["elements"])
    if s.unit == "document":
        return f"page 1 of {len(s.pages())}, {n} elements"
    if s.unit == "glimpse":
        return f"{n} elements, {len(s.meta['views']) - 1} looks"
    return f"{n} elements"


def _thumbs(st: CorpusStats) -> str:
    kinds = {el["type"] for s in st.thumbs for el in s.pages()[0]["elements"]}
    legend = "".join(f"<span><i style='background:rgb{type_color(k)}'></i>{e(k)}</span>" for k in sorted(kinds))
    items = "".join(
        f"<figure><img src='{thumbnail_uri(s)}' alt='{e(s.key)}'><figcaption>{e(s.key)} · {_what(s)}</figcaption></figure>"
        for s in st.thumbs
    )
    return f"<p class='legend'>{legend}</p><div class='thumbs'>{items}</div>"


def _figure(p: Plot) -> str:
    return f"<h2>{e(p.title)}</h2><figure><img src='{p.uri}' alt='{e(p.title)}'><figcaption>{e(p.caption)}</figcaption></figure>"


def render_html(st: CorpusStats, plots: list[Plot] | None = None) -> str:
    plots = all_plots(st) if plots is None else plots
    partial = st.samples < st.index.get("num_samples", st.samples)
    scope = f"first {st.samples} of {st.index.get('num_samples')} samples" if partial else f"all {st.samples} samples"
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>docsynth corpus report · {e(st.url)}</title><style>{CSS}</style><script>{CHECK_SCRIPT}</script></head>
<body><header><h1>docsynth corpus report</h1><p>{e(st.url)} · {e(scope)} · docsynth {e(__version__)} · {e(when)}</p></header>
<main><h2>Counts</h2>{_cards(st)}
<h2>Dropped inputs by reason</h2>{dropped_section(st)}
{"".join(_figure(p) for p in plots)}
<h2>Vision codes per head</h2>{_codes_table(st)}
<h2>Sample pages</h2>{_thumbs(st)}
<p id="report-check" data-status="pending">Checking images…</p></main></body></html>
"""


def write_html(st: CorpusStats, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_html(st))
