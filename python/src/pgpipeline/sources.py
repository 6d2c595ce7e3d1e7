"""Records from files: JSON Lines and CSV, each record with its line number."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from typing import IO, Any, Iterable, Iterator, Mapping, Optional, Tuple, Union

from .errors import SourceError

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, Iterable[Mapping[str, Any]]]

FORMATS = ("jsonl", "csv")


def detect_format(path: PathLike) -> str:
    """"csv" for *.csv, else JSON Lines (*.jsonl, *.ndjson, *.json, stdin)."""
    return "csv" if os.fspath(path).lower().endswith(".csv") else "jsonl"


def read_jsonl(f: IO[str], name: str) -> Iterator[Tuple[int, Any]]:
    """One JSON value per line; blank lines are skipped."""
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(name, n, f"not valid JSON: {e.msg} (column {e.colno})") from None


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
            yield reader.line_num, {k: (v if v != "" else None) for k, v in zip(header, row)}
    except csv.Error as e:
        raise SourceError(name, reader.line_num, f"not valid CSV: {e}") from None


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
            yield from reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=""),
                              "<stdin>")
            return
        try:
            f = open(path, encoding="utf-8", newline="")
        except OSError as e:
            raise SourceError(path, 0, e.strerror or str(e)) from None
        with f:
            try:
                yield from reader(f, path)
            except UnicodeDecodeError as e:
                raise SourceError(path, 0, f"not UTF-8: {e.reason}") from None
    else:
        yield from enumerate(source, 1)
