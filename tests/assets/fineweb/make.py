"""Rebuild the FineWeb-shaped fixtures of this folder: `python tests/assets/fineweb/make.py`.

fw-00.parquet          10 rows in row groups of 4; row 5 has a null text, row 7 repeats row 2's id
fw-01.jsonl            8 non-blank lines: good rows, bad JSON, a non-string text, invalid UTF-8,
                       a JSON array, a row without text, an id that is not docid-safe
fw-02-corrupt.parquet  not a parquet file at all (unreadable when planning)
fw-03-broken.parquet   8 rows; the text pages of its second row group are overwritten (fails when read)
"""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
TEXTS = [
    "Growing tomatoes on a balcony\nTomatoes need at least six hours of sun a day.\nWater them in the morning.",
    "The city council met on Tuesday to discuss the new bicycle lanes along the river.",
    "Recipe: lentil soup\nRinse the lentils, chop an onion and two carrots, and simmer for forty minutes.",
    "How to read a train timetable. Find your station in the left column, then follow the row.",
    "Der schnelle braune Fuchs springt über den faulen Hund.\nÜbung macht den Meister.",
    None,
    "Photographs from the 1920s show the harbour before the storm wall was built.",
    "Q: Can I bring my dog?\nA: Dogs on a leash are welcome in the garden, not inside.",
    "Notes on the history of the printing press in Venice and its first editions.",
    "Weather: light rain in the north, sunny spells in the south, 14 to 19 degrees.",
]


def fineweb_rows(texts, start=0):
    rows = []
    for i, text in enumerate(texts, start):
        rows.append({
            "text": text, "id": f"<urn:uuid:{i:08x}-7d2a-4c3b-9f1e-0123456789ab>", "dump": "CC-MAIN-2024-10",
            "url": f"https://example.org/page/{i}", "date": "2024-02-21T10:00:00Z",
            "file_path": f"s3://commoncrawl/crawl-data/CC-MAIN-2024-10/segments/{i}.warc.gz",
            "language": "en", "language_score": 0.9, "token_count": 20 + i,
        })  # fmt: skip
    return rows


def main():
    rows = fineweb_rows(TEXTS)
    rows[7]["id"] = rows[2]["id"]
    pq.write_table(pa.Table.from_pylist(rows), HERE / "fw-00.parquet", row_group_size=4)

    good = fineweb_rows(["First jsonl document.\nSecond paragraph.", "Plain id document."], 100)
    good[1]["id"] = "doc-1"
    odd = fineweb_rows(["Its id has a slash and a space."], 102)[0]
    odd["id"] = "a/b c"
    lines = [json.dumps(good[0]).encode(), json.dumps(good[1]).encode(), b"", b"{not json",
             json.dumps({**good[0], "id": "int-text", "text": 42}).encode(), b'{"text": "caf\xe9", "id": "latin1"}',
             b"[1, 2, 3]", json.dumps({"id": "no-text", "url": "https://example.org/x"}).encode(),
             json.dumps(odd, ensure_ascii=False).encode(), b"   "]  # fmt: skip
    (HERE / "fw-01.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    (HERE / "fw-02-corrupt.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")

    path = HERE / "fw-03-broken.parquet"
    pq.write_table(pa.Table.from_pylist(fineweb_rows([f"Row {i} of the broken file." for i in range(8)], 200)),
                   path, row_group_size=4)  # fmt: skip
    col = pq.ParquetFile(path).metadata.row_group(1).column(0)
    start = col.dictionary_page_offset or col.data_page_offset
    data = bytearray(path.read_bytes())
    data[start : start + col.total_compressed_size] = b"\xab" * col.total_compressed_size
    path.write_bytes(bytes(data))


if __name__ == "__main__":
    main()
