"""A serialized sequence (`a.txt` / `b.txt`) made readable: image runs collapsed, one element a line."""

from __future__ import annotations

import re

PAD = "<image_pad>"
_PAD_RUN = re.compile(f"(?:{re.escape(PAD)})+")
_ELEMENT_START = re.compile(r"(?=<para>|<look>|<page>|</page>|<eos>)|(?<!</look>)(?=<image>)")  # a look's view stays on its line


def compact_sequence(text: str, *, one_element_per_line: bool = True) -> str:
    """`<image_pad>` × n becomes `<image_pad>×n`; text stays text.

    With `one_element_per_line`, a line break goes before each `<para>`, `<image>` (but the view
    right after its `<look>`), `<look>`, `<page>`, `</page>` and `<eos>` (the serialized text
    itself has no breaks between elements).
    """
    out = _PAD_RUN.sub(lambda m: f"{PAD}×{len(m.group(0)) // len(PAD)}", text)
    if one_element_per_line:
        out = _ELEMENT_START.sub("\n", out).lstrip("\n")
    return out


def sequence_summary(text: str, num_rows: int | None = None) -> str:
    """One line: elements, image pads and (when given) token rows of a serialized sequence."""
    paras, images = text.count("<para>"), text.count("<image>")
    pads = text.count(PAD)
    rows = f", {num_rows} token rows" if num_rows is not None else ""
    units = "".join(f", {n} {name}{'s' * (n != 1)}" for name, n in (("page", text.count("<page>")), ("look", text.count("<look>"))) if n)
    return f"{paras} text element{'s' * (paras != 1)}, {images} image{'s' * (images != 1)} ({pads} image positions){units}{rows}"
