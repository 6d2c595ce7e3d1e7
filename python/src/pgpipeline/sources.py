"""Records from files: JSON Lines and CSV, each record with its line number."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from typing import IO, Any, Callable, Iterable, Iterator, Mapping, Optional, Tuple, Union

from .errors import SourceError

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, Iterable[Mapping[str, Any]]]

FORMATS = ("jsonl", "csv")


def detect_format(path: PathLike) -> str:
    """"csv" for *.csv, else JSON Lines (*.jsonl, *.ndjson, *.json, stdin)."""
    return "csv" if os.fspath(path).lower().endswith(".csv") else "jsonl"


# what jsonb cannot hold in a string: U+0000 and halves of surrogate pairs
_NOT_JSONB = re.compile("[\x00\ud800-\udfff]")


def _no_constant(word: str) -> Any:
    """parse_constant: NaN and Infinity are not JSON (Python's reader takes them)."""
    raise ValueError(f"{word} is not a JSON number")


def _jsonb_strings(v: Any) -> bool:
    """Can jsonb hold every string (keys too) of v?"""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            if _NOT_JSONB.search(x):
                return False
        elif isinstance(x, dict):
            stack.extend(x)
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return True


def parse_json(text: str, name: str, line: int) -> Any:
    """A JSON value that jsonb can hold, or SourceError naming the line.

    Python's reader takes NaN and Infinity, and stops at its own limits (the
    nesting depth, 4300 digits in an integer) with errors that are not
    JSONDecodeError; a string escape may give U+0000 or a lone surrogate,
    which the server refuses without saying where.
    """
    try:
        v = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise SourceError(name, line or e.lineno, f"not valid JSON: {e.msg} (column {e.colno})") from None
    except RecursionError:
        raise SourceError(name, line, "not readable: JSON nested too deeply") from None
    except ValueError as e:
        raise SourceError(name, line, f"not readable: {e}") from None
    if "\\u" in text and not _jsonb_strings(v):
        raise SourceError(name, line, "a string holds \\u0000 or an unpaired surrogate, "
                          "which jsonb cannot store")
    return v


def read_jsonl(f: IO[str], name: str) -> Iterator[Tuple[int, Any]]:
    """One JSON value per line; blank lines are skipped."""
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        yield n, parse_json(line, name, n)


def read_csv(f: IO[str], name: str) -> Iterator[Tuple[int, Any]]:
    """A header line, then one record per row; an empty field is null."""
    reader = csv.reader(f)
    try:
        header = next(reader, None)
        if header is None:
            return
        if len(set(header)) != len(header) or "" in header:
            raise SourceError(name, 1, "the header needs distinct, non-empty column names")
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise SourceError(name, reader.line_num,
                                  f"{len(row)} fields where the header has {len(header)}")
            if any("\x00" in v for v in row):
                raise SourceError(name, reader.line_num, "a field holds a NUL character, "
                                  "which PostgreSQL's text cannot store")
            yield reader.line_num, {k: (v if v != "" else None) for k, v in zip(header, row)}
    except csv.Error as e:
        raise SourceError(name, reader.line_num, f"not valid CSV: {e}") from None


def _decoded(reader: Callable[[IO[str], str], Iterator[Tuple[int, Any]]], f: IO[str],
             name: str) -> Iterator[Tuple[int, Any]]:
    """reader's records of f; SourceError when f is not UTF-8 (a file or stdin)."""
    try:
        yield from reader(f, name)
    except UnicodeDecodeError as e:
        raise SourceError(name, 0, f"not UTF-8: {e.reason}") from None


def numbered(source: Source, fmt: Optional[str] = None) -> Iterator[Tuple[int, Any]]:
    """(line or position, record) from a path ("-" is stdin) or an iterable.

    A path is read as JSON Lines or CSV (by fmt, else by its extension); an
    iterable's records are numbered from 1.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        fmt = fmt or detect_format(path)
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        reader = read_csv if fmt == "csv" else read_jsonl
        if path == "-":
            yield from _decoded(reader, io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8",
                                                         newline=""), "<stdin>")
            return
        try:
            f = open(path, encoding="utf-8", newline="")
        except OSError as e:
            raise SourceError(path, 0, e.strerror or str(e)) from None
        with f:
            yield from _decoded(reader, f, path)
    else:
        yield from enumerate(source, 1)
