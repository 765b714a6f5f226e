"""Oracles for the fuzzed files (issue 17): what a file's bytes hold, read by the
documented rules (docs/formats.md), not by ckb's reader — its decompressed bytes, its text,
which lines carry content."""

from __future__ import annotations

import codecs
import gzip
import zlib


def decompressed(name: str, data: bytes) -> bytes | None:
    """The file's bytes as a reader sees them; None for a damaged (or fake) gzip file."""
    if not name.endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def text_of(data: bytes, declared: str | None) -> tuple[str, str] | None:
    """(encoding, text) as docs/formats.md reads the bytes: a byte-order mark says the
    encoding and is skipped, else the declared one, else UTF-8; bytes not in it kept as
    surrogate escapes. None when the file must be refused for it (an unknown encoding,
    a mark the declaration contradicts, UTF-16 that does not decode)."""
    if declared is not None:
        try:
            declared = codecs.lookup(declared).name
        except LookupError:
            return None
        declared = "utf-8" if declared == "utf-8-sig" else declared
    found = next(((b, e) for b, e in _BOMS if data.startswith(b)), None)
    encoding = declared or "utf-8"
    if found is not None:
        bom, encoding = found
        ok = declared in (None, encoding) or (declared == "utf-16" and encoding != "utf-8")
        if not ok:
            return None
        data = data[len(bom) :]
    try:
        strict = encoding.startswith(("utf-16", "utf-32"))
        return encoding, data.decode(encoding, "strict" if strict else "surrogateescape")
    except UnicodeDecodeError:
        return None


def jsonl_content_lines(data: bytes, declared: str | None) -> set[int] | None:
    """The lines of a JSON Lines file with something on them: a line ends at LF, blank
    lines count but hold no record (docs/formats.md)."""
    read = text_of(data, declared)
    if read is None:
        return None
    encoding, text = read
    if encoding == "utf-8":  # read as bytes: white space is ASCII white space
        body = text.encode("utf-8", "surrogateescape")
        lines = [line.strip() for line in body.split(b"\n")]
        if lines:
            lines[0] = lines[0].removeprefix(codecs.BOM_UTF8)
        return {n for n, line in enumerate(lines, start=1) if line}
    parts = [line.strip() for line in text.split("\n")]
    if parts:
        parts[0] = parts[0].removeprefix("\ufeff")
    return {n for n, line in enumerate(parts, start=1) if line}


def line_count(data: bytes) -> int:
    """An upper bound on the number of lines, whatever ends them and whatever encoding."""
    return data.count(b"\n") + data.count(b"\r") + 1


def push_content_lines(body: bytes) -> list[int]:
    """The lines of a pushed body that the answer must list: split at LF, blank ones left
    out (a UTF-8 byte-order mark on the first line is skipped)."""
    lines = [line.strip() for line in body.split(b"\n")]
    lines[0] = lines[0].removeprefix(codecs.BOM_UTF8)
    return [n for n, line in enumerate(lines, start=1) if line]
