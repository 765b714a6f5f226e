"""A source file read once, whole, before any of it loads: a compressed file decompresses
to its end, the text is in the encoding it will be read as, and a file that is not UTF-8
when no encoding was declared is refused with a guess at the one it is in.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from loaders.sources import (
    READ_ERRORS,
    UTF8,
    SourceFileError,
    bom_encoding,
    codec_name,
    encoding_label,
    file_format,
    open_binary,
    why_undecodable,
)

_CHUNK = 1 << 20
# Of the lines that are not UTF-8, this much is shown to the encoding detector.
_SAMPLE = 1 << 16


@dataclass(frozen=True, slots=True)
class FileCheck:
    encoding: str  # what the file is read as
    has_text: bool  # False: empty, or blank lines only


def check_file(path: Path, encoding: str | None = None) -> FileCheck:
    """Read the file once, whole, before any of it loads: a compressed file decompresses
    to its end (the gzip CRC and length are checked there), and the text is in the
    encoding it will be read as. A file without a declared encoding or byte-order mark
    is UTF-8; when most of its lines holding non-ASCII text are not, it is in another
    encoding, and refused with a guess at which (loading it would reject those lines
    and load the few that happen to be valid UTF-8 as garbage)."""
    file_format(path)
    declared = codec_name(encoding) if encoding else None
    enc = declared or UTF8
    with open_binary(path) as binary:
        try:
            first = binary.read(_CHUNK)
            bom, enc = bom_encoding(first[:4], declared)
            chunks = _chunks(binary, first[len(bom) :])
            if enc == UTF8:
                scan = _Utf8Scan()
                for chunk in chunks:
                    scan.feed(chunk)
                scan.close()
                scan.verdict(path)
                return FileCheck(enc, scan.has_text)
            return FileCheck(enc, _decodes(chunks, enc))
        except READ_ERRORS as exc:
            raise SourceFileError(
                f"{path}: unreadable ({exc}): a corrupt or cut-short file; nothing from it "
                "was loaded"
            ) from None
        except UnicodeError as exc:
            raise SourceFileError(
                f"{path}: not valid {encoding_label(enc)} ({why_undecodable(exc, enc)}); "
                "nothing from it was loaded"
            ) from None


def _chunks(binary: IO[bytes], first: bytes) -> Iterator[bytes]:
    yield first
    while chunk := binary.read(_CHUNK):
        yield chunk


def _decodes(chunks: Iterable[bytes], encoding: str) -> bool:
    """Whether the text holds anything but white space. A UTF-16 file must decode whole;
    in a declared single- or multi-byte encoding a bad line is the reader's to reject."""
    strict = encoding.startswith(("utf-16", "utf-32"))
    decoder = codecs.getincrementaldecoder(encoding)("strict" if strict else "replace")
    has_text = False
    for chunk in chunks:
        has_text = bool(decoder.decode(chunk).strip()) or has_text
    return bool(decoder.decode(b"", final=True).strip()) or has_text


@dataclass(slots=True)
class _Utf8Scan:
    """Counts the lines holding non-ASCII text that are and are not valid UTF-8, and keeps
    a sample of those that are not."""

    utf8: int = 0
    foreign: int = 0
    has_text: bool = False
    sample: list[tuple[int, bytes]] = field(default_factory=list)  # (line, bytes)
    _sampled: int = 0
    _rest: bytes = b""
    _line: int = 0  # lines before the block at hand

    def feed(self, chunk: bytes) -> None:
        data = self._rest + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < 16 * _CHUNK:
            self._rest = data  # no end of line yet
            return
        cut = cut or len(data)
        self._rest = data[cut:]
        self._lines(data[:cut])

    def close(self) -> None:
        self._lines(self._rest)
        self._rest = b""

    def _lines(self, block: bytes) -> None:
        first = self._line + 1
        self._line += block.count(b"\n")
        if not self.has_text and block.strip():
            self.has_text = True
        if block.isascii():
            return
        try:
            block.decode(UTF8)
        except UnicodeDecodeError:
            pass
        else:
            self.utf8 += sum(1 for line in block.split(b"\n") if not line.isascii())
            return
        for number, line in enumerate(block.split(b"\n"), start=first):
            if line.isascii():
                continue
            try:
                line.decode(UTF8)
            except UnicodeDecodeError:
                self.foreign += 1
                if self._sampled < _SAMPLE:
                    self.sample.append((number, line))
                    self._sampled += len(line)
            else:
                self.utf8 += 1

    def verdict(self, path: Path) -> None:
        """Refuse a file whose non-ASCII lines are mostly not UTF-8; a UTF-8 file with a
        few broken lines loads, and the reader rejects those."""
        if self.foreign <= self.utf8:
            return
        total = self.foreign + self.utf8
        lines = [line for _, line in self.sample]
        guess = guess_encoding(lines)
        if guess:
            number, line = self.sample[0]
            shown = line.decode(guess, errors="replace").strip()
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            hint = (
                f"looks like {encoding_label(guess)} (its line {number} then reads {shown!r}) — "
                f"rerun with --encoding {guess}"
            )
        else:
            hint = "rerun with --encoding NAME, the encoding it was saved in (e.g. gb18030, cp1252)"
        raise SourceFileError(
            f"{path}: not UTF-8 ({self.foreign:,} of {total:,} lines with non-ASCII text are "
            f"not); {hint}. Nothing from it was loaded"
        )


def guess_encoding(lines: list[bytes]) -> str | None:
    """The encoding lines that are not UTF-8 most likely are in: GB18030 when they read as
    common Chinese characters in it (what a Chinese spreadsheet saves; a detector needs far
    more text than names and places to tell), else what charset-normalizer says."""
    leads = _common_chinese(lines)
    if leads and max(leads) > 0xC8:
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(b"\n".join(lines)).best()
    name = codec_name(best.encoding) if best is not None else None
    if leads and name not in _KOREAN:
        # Korean (EUC-KR) Hangul takes the same bytes as the commonest Chinese characters
        # up to lead byte C8: only then is a detector asked which it is.
        return "gb18030"
    if name is None or name in ("ascii", UTF8) or name.startswith(("utf-16", "utf-32")):
        return None
    # GB2312 and GBK text is GB18030 text too; the superset decodes every byte of it.
    return "gb18030" if name in ("gb2312", "gbk") else name


_KOREAN = ("cp949", "euc_kr", "johab")


def _common_chinese(lines: list[bytes]) -> set[int]:
    """When the lines decode as GB18030 to ASCII and Chinese characters alone, at least four
    in five of them among the 3,755 most common (GB 2312 level 1: bytes B0A1-D7F9), the lead
    bytes of those; else nothing. Big5 and Shift-JIS text, or Latin text in a Windows code
    page, reads otherwise."""
    leads: set[int] = set()
    common = other = 0
    for line in lines:
        try:
            text = line.decode("gb18030")
        except UnicodeDecodeError:
            return set()
        for ch in text:
            if ch.isascii():
                continue
            if not ("\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"):
                return set()
            code = ch.encode("gb18030")
            if len(code) == 2 and 0xB0 <= code[0] <= 0xD7 and code[1] >= 0xA1:
                common += 1
                leads.add(code[0])
            else:
                other += 1
    return leads if common >= 4 * other else set()
