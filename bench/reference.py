"""The "before": the pipeline written in plain Python, the way a team writes it today.

It reads the same spec JSON that ``pipeline.define`` takes (``schema``,
``transform``, ``on_error``, ``formats``), applies the transform steps in order
to a record (a dict), validates the result with the ``jsonschema`` library (or
``fastjsonschema``), and ``ingest`` COPYs the good records into a table and
INSERTs the rejects.

It is also the executable definition of the transform semantics: the C side
must produce the same documents and the same error locations, record for
record (``test/test_differential.py`` checks it). ``bench/README.md`` states
every rule in prose; the essentials:

* Numbers are exact decimals. ``loads`` parses JSON numbers with a ``.`` or an
  exponent into ``Decimal`` (as jsonb keeps them as ``numeric``); an integral
  value becomes an ``int`` (``3.0`` is the integer 3, as JSON Schema says).
  Numbers compare by value (``1.50`` equals ``1.5``).
* A step's ``path`` is an RFC 6901 pointer. A path that does not lead to a
  value makes a value step do nothing. Writing steps create missing parent
  objects.
* Each op applies to one kind of value and leaves other kinds unchanged.
* A step that fails is a violation ``{"instanceLocation": <pointer>,
  "keywordLocation": "/transform/N", "error": ...}``, changes nothing, and the
  next steps run. Validation then sees the transformed record and its errors
  follow the step violations.
* ``parse_timestamp`` writes ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, followed by
  ``.`` and the microseconds with trailing zeros removed when they are not
  zero (``2024-05-01T13:45:00.5Z``, ``2024-05-01T13:45:00.000123Z``).
  Without ``formats`` it accepts ``["iso8601", "epoch"]``: ISO 8601 / RFC 3339
  variants and epoch seconds. Fractions of a second beyond microseconds round
  half away from zero. A local time is read in ``timezone`` (default UTC); a
  local time that a DST change makes ambiguous or skips resolves to the later
  of the two UTC instants, as PostgreSQL does.
* ``round`` rounds half away from zero (``Decimal`` ``ROUND_HALF_UP``).
* ``coerce`` to string writes a number in plain decimal notation without
  trailing fractional zeros or exponent (``1.50`` -> ``"1.5"``, ``1e3`` ->
  ``"1000"``).
* Schema errors are the failing leaves, as pipeline's ``errors()`` lists
  them: an ``anyOf``/``oneOf`` that no branch matches stands for the failing
  leaves of every branch; ``additionalProperties: false`` fails once per extra
  property, at that property. Patterns have their ECMA-262 meaning.
"""

from __future__ import annotations

import copy as _copy
import datetime as _dt
import decimal
import hashlib
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "Pipeline", "SpecError", "StepError", "loads", "dumps", "canonical_number",
    "ecma_to_python", "json_equal", "ingest", "create_tables", "OPS",
]

# Exact arithmetic: no operation here divides, so unlimited precision is safe.
_CTX = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX,
                       Emin=decimal.MIN_EMIN, rounding=ROUND_HALF_UP)
_MISSING = object()
_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)


class SpecError(ValueError):
    """A bad spec; the message names the JSON Pointer of the bad part, as define's 22023 does."""

    def __init__(self, where, message):
        super().__init__(f"spec {where}: {message}")
        self.where = where


class StepError(Exception):
    """A step could not convert its input (or write its output)."""

    def __init__(self, message, location=None):
        super().__init__(message)
        self.location = location


# ---------------------------------------------------------------- JSON values

def _parse_float(text):
    d = Decimal(text)
    if d == d.to_integral_value(context=_CTX) and d.adjusted() < 5000:
        return int(d)
    return d


def loads(text, numbers="decimal"):
    """Parse JSON; numbers="decimal": non-integral numbers as Decimal, integral ones as int.

    numbers="float" parses as the json module does (for fastjsonschema, which
    only knows int and float; inexact beyond 15-17 significant digits).
    """
    if numbers == "decimal":
        return json.loads(text, parse_float=_parse_float)
    return json.loads(text)


def _dumps_exact(v, out):
    if isinstance(v, str):
        out.append(json.dumps(v, ensure_ascii=False))
    elif v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, Decimal):
        out.append(format(v, "f"))
    elif isinstance(v, float):
        out.append(repr(v))
    elif isinstance(v, dict):
        out.append("{")
        for i, (k, x) in enumerate(v.items()):
            if i:
                out.append(",")
            out.append(json.dumps(k, ensure_ascii=False))
            out.append(":")
            _dumps_exact(x, out)
        out.append("}")
    elif isinstance(v, list):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _dumps_exact(x, out)
        out.append("]")
    else:
        raise TypeError(f"not a JSON value: {v!r}")


def dumps(v):
    """JSON text; Decimals written exactly in plain notation."""
    try:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    except TypeError:
        out = []
        _dumps_exact(v, out)
        return "".join(out)


def dumps_fast(v):
    """JSON text as a Python team's ingest writes it: Decimals as floats.

    The shortest float repr of the records' decimals (amounts, rates) reads
    back as the same number; exactness is `dumps`' job (the tests use it).
    """
    try:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=float, allow_nan=False)
    except ValueError:  # a decimal beyond a float's range: write it exactly
        return dumps(v)


def _is_num(v):
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _dec(v):
    if isinstance(v, Decimal):
        return v
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(v)


def canonical_number(v):
    """A number as coerce-to-string writes it: plain decimal, no exponent, no trailing fractional zeros."""
    if isinstance(v, int):
        return str(v)
    d = _dec(v)
    if d.is_zero():
        return "0"
    return format(d.normalize(_CTX), "f")


def json_equal(a, b):
    """JSON equality: numbers by value, booleans are not numbers, objects ignore key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_num(a) and _is_num(b):
        return _dec(a) == _dec(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _copy_value(v):
    return _copy.deepcopy(v) if isinstance(v, (dict, list)) else v


def _kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    return "a number"


# --------------------------------------------------------- RFC 6901 pointers

def parse_pointer(p, where):
    if not isinstance(p, str):
        raise SpecError(where, "a JSON Pointer must be a string")
    if p == "":
        return ()
    if not p.startswith("/") or re.search(r"~(?![01])", p):
        raise SpecError(where, f"invalid JSON Pointer {json.dumps(p)}")
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in p[1:].split("/"))


def escape_token(t):
    return str(t).replace("~", "~0").replace("/", "~1")


def to_pointer(tokens):
    return "".join("/" + escape_token(t) for t in tokens)


_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")


def _index(token):
    return int(token) if _INDEX.match(token) else None


def _locate(doc, tokens):
    """(container, key) of the value at tokens, or None when there is no value there (tokens non-empty)."""
    cur = doc
    for i, tok in enumerate(tokens):
        if isinstance(cur, dict):
            if tok not in cur:
                return None
            key = tok
        elif isinstance(cur, list):
            key = _index(tok)
            if key is None or key >= len(cur):
                return None
        else:
            return None
        if i == len(tokens) - 1:
            return cur, key
        cur = cur[key]
    return None


def resolve(doc, tokens):
    if not tokens:
        return doc
    loc = _locate(doc, tokens)
    return _MISSING if loc is None else loc[0][loc[1]]


def write(doc, tokens, value):
    """Set the value at tokens; returns the (new) root.

    The path runs through objects (a missing key is created, as an empty object
    on the way) or through existing array elements; a last token "-" appends.
    Anything else (a scalar or null on the way, an index past the end) is a StepError
    and nothing was changed.
    """
    if not tokens:
        return value
    cur = doc
    for i, tok in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(cur, dict):
            if last:
                cur[tok] = value
                return doc
            if tok not in cur:
                cur[tok] = {}
            cur = cur[tok]
        elif isinstance(cur, list):
            if last and tok == "-":
                cur.append(value)
                return doc
            idx = _index(tok)
            if idx is None or idx >= len(cur):
                raise StepError(f"cannot write {to_pointer(tokens)}: "
                                f"{to_pointer(tokens[:i]) or 'the record'} has no element {json.dumps(tok)}")
            if last:
                cur[idx] = value
                return doc
            cur = cur[idx]
        else:
            raise StepError(f"cannot write {to_pointer(tokens)}: {to_pointer(tokens[:i]) or 'the record'} "
                            f"is {_kind(cur)}")
    return doc


def delete(doc, tokens):
    loc = _locate(doc, tokens)
    if loc is None:
        return _MISSING
    parent, key = loc
    return parent.pop(key)


# ------------------------------------------------------ ECMA-262 -> Python re

_ECMA_WS = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_ECMA_NOT_LT = "[^\\n\\r\\u2028\\u2029]"


@lru_cache(maxsize=None)
def ecma_to_python(p):
    """Translate an ECMA-262 pattern to a Python ``re`` pattern with the same meaning.

    Compile the result with ``re.ASCII`` (``\\d``, ``\\w``, ``\\b`` are ASCII in ECMA-262).
    ``\\s`` is ECMA's whitespace set, ``.`` excludes the four line terminators, ``$``
    is the end of input, ``(?<name>`` and ``\\k<name>`` are named groups. Matching is
    by code point (like the ``u`` flag). Raises ValueError for what it cannot express.
    """
    out, i, n, in_class = [], 0, len(p), False
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                raise ValueError("pattern ends with a backslash")
            e = p[i + 1]
            if e == "s":
                out.append(_ECMA_WS if in_class else "[" + _ECMA_WS + "]")
            elif e == "S":
                if in_class:
                    raise ValueError("\\S inside a character class is not supported")
                out.append("[^" + _ECMA_WS + "]")
            elif e == "k" and p.startswith("<", i + 2):
                j = p.index(">", i)
                out.append("(?P=" + p[i + 3:j] + ")")
                i = j + 1
                continue
            elif e in "cu" and not (e == "u" and re.match(r"[0-9A-Fa-f]{4}", p[i + 2:i + 6])):
                raise ValueError(f"\\{e} escapes are not supported")
            elif e == "/":
                out.append("/")
            else:
                out.append(c + e)
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                c = "\\["
            out.append(c)
        elif c == "[":
            if p.startswith("[]", i):
                out.append("(?!)")
                i += 2
                continue
            if p.startswith("[^]", i):
                out.append("(?s:.)")
                i += 3
                continue
            in_class = True
            out.append(c)
            if p.startswith("^", i + 1):
                out.append("^")
                i += 1
        elif c == ".":
            out.append(_ECMA_NOT_LT)
        elif c == "$":
            out.append("\\Z")
        elif c == "(" and p.startswith("(?<", i) and not p.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=None)
def ecma_regex(p):
    return re.compile(ecma_to_python(p), re.ASCII)


# ------------------------------------------------------------- timestamps

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?\Z")
_EPOCH_STR = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?\Z")
_STRPTIME_OK = set("YmdHMSfzybBIp%")


def _localize(naive, tz):
    """A naive local time in tz -> aware UTC; DST gaps and overlaps give the later UTC instant."""
    if tz is _UTC:
        return naive.replace(tzinfo=_UTC)
    off = min(naive.replace(tzinfo=tz, fold=0).utcoffset(),
              naive.replace(tzinfo=tz, fold=1).utcoffset())
    return (naive - off).replace(tzinfo=_UTC)


def _round_us(d):
    """Decimal seconds -> integer microseconds, half away from zero."""
    return int((d * 1000000).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_CTX))


def _parse_iso(s, tz):
    m = _ISO.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, z, sign, oh, om = m.groups()
    t = _dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    if frac:
        t += _dt.timedelta(microseconds=_round_us(Decimal("0." + frac)))
    if z:
        return t.replace(tzinfo=_UTC)
    if sign:
        oh, om = int(oh), int(om or 0)
        if oh > 23 or om > 59:
            return None
        off = _dt.timedelta(hours=oh, minutes=om)
        return (t - off if sign == "+" else t + off).replace(tzinfo=_UTC)
    return _localize(t, tz)


def _epoch(d):
    if abs(d) > 10 ** 12:
        return None
    return _EPOCH + _dt.timedelta(microseconds=_round_us(d))


def _parse_strptime(s, fmt, tz):
    if not s.isascii() and any(ch.isdecimal() and not ch.isascii() for ch in s):
        return None  # pipeline reads ASCII digits only; Python's strptime would take any Nd digit
    t = _dt.datetime.strptime(s, fmt)
    if t.tzinfo is not None:
        return t.astimezone(_UTC)
    return _localize(t, tz)


def parse_timestamp_value(v, formats, tz):
    """A string or a number -> the UTC text pipeline writes; StepError when nothing matches."""
    if _is_num(v):
        try:
            t = _epoch(_dec(v))
        except (OverflowError, ValueError):
            t = None
        if t is None:
            raise StepError(f"epoch seconds {canonical_number(v)} out of range")
        return format_timestamp(t)
    s = v.strip()
    for f in formats:
        try:
            if f == "iso8601":
                t = _parse_iso(s, tz)
            elif f == "epoch":
                t = _epoch(Decimal(s)) if _EPOCH_STR.match(s) else None
            else:
                t = _parse_strptime(s, f, tz)
        except (ValueError, OverflowError):
            t = None
        if t is not None and 1 <= t.year <= 9999:
            return format_timestamp(t)
    raise StepError(f"cannot parse {json.dumps(v, ensure_ascii=False)} as a timestamp")


def format_timestamp(t):
    t = t.astimezone(_UTC)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += ("." + f"{t.microsecond:06d}".rstrip("0"))
    return text + "Z"


# ------------------------------------------------------------ coercion

_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\Z")
_TRUE = frozenset(["true", "t", "yes", "y", "on", "1"])
_FALSE = frozenset(["false", "f", "no", "n", "off", "0"])


def _num_out(d, float_mode):
    if d == d.to_integral_value(context=_CTX) and d.adjusted() < 5000:
        return int(d)
    return float(d) if float_mode else d


def _parse_number_text(s):
    t = s.strip()
    m = _NUMBER_TEXT.match(t)
    if not m:
        raise StepError(f"cannot coerce {json.dumps(s, ensure_ascii=False)} to a number")
    if m.group(1) is not None and abs(int(m.group(1))) > 1000:
        raise StepError(f"number {json.dumps(s, ensure_ascii=False)} out of range")
    return Decimal(t)


def coerce_value(v, to, float_mode=False):
    if v is None or isinstance(v, (dict, list)):
        return v
    if to == "string":
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "true" if v else "false"
        return canonical_number(v)
    if to == "boolean":
        if isinstance(v, bool):
            return v
        if isinstance(v, str):
            t = v.strip()
            t = t.lower() if t.isascii() else t
            if t in _TRUE:
                return True
            if t in _FALSE:
                return False
            raise StepError(f"cannot coerce {json.dumps(v, ensure_ascii=False)} to boolean")
        d = _dec(v)
        if d == 0 or d == 1:
            return d == 1
        raise StepError(f"cannot coerce {canonical_number(v)} to boolean")
    # integer, number
    if isinstance(v, bool):
        return 1 if v else 0
    d = _parse_number_text(v) if isinstance(v, str) else _dec(v)
    if to == "integer":
        if d != d.to_integral_value(context=_CTX):
            raise StepError(f"cannot coerce {json.dumps(v, ensure_ascii=False) if isinstance(v, str) else canonical_number(v)} to integer")
        return int(d)
    if isinstance(v, str):
        return _num_out(d, float_mode)
    return v


# ------------------------------------------------------------------ ops
#
# Each op is a function (doc, step) -> doc: it may change doc in place and
# returns the root (which only changes when the path is ""). A Step holds the
# spec's arguments, with pointers parsed and regexes compiled.

class Step:
    """A compiled step: i, op, path, tokens, fn, float_mode, and each of the
    spec's arguments (with their prepared forms) as a plain attribute, also
    kept together in ``args``."""


def _on_value(applies, fn):
    """An op that replaces the value at path with fn(value, step) when applies(value)."""
    def op(doc, st):
        if not st.tokens:
            return fn(doc, st) if applies(doc) else doc
        loc = _locate(doc, st.tokens)
        if loc is not None:
            parent, key = loc
            v = parent[key]
            if applies(v):
                parent[key] = fn(v, st)
        return doc
    return op


def _is_str(v):
    return isinstance(v, str)


def _is_scalar(v):
    return v is not None and not isinstance(v, (dict, list))


def _mask(s, st):
    k = st.keep_last
    return s if len(s) <= k else st.char * (len(s) - k) + s[len(s) - k:]


def _map(s, st):
    key = s.lower() if st.case_insensitive else s
    if key in st.table:
        return _copy_value(st.table[key])
    return _copy_value(st.args["default"]) if "default" in st.args else s


def _round(v, st):
    q = _dec(v).quantize(Decimal(1).scaleb(-st.digits), rounding=ROUND_HALF_UP, context=_CTX)
    return _num_out(q, st.float_mode)


def _clamp(v, st):
    d = _dec(v)
    if "min" in st.args and d < _dec(st.min):
        return st.min
    if "max" in st.args and d > _dec(st.max):
        return st.max
    return v


def _scale(v, st):
    d = _CTX.add(_CTX.multiply(_dec(v), _dec(st.factor)), _dec(st.offset))
    return _num_out(d, st.float_mode)


def _default(doc, st):
    v = resolve(doc, st.tokens)
    if v is _MISSING or v is None:
        return write(doc, st.tokens, _copy_value(st.value))
    return doc


def _set(doc, st):
    return write(doc, st.tokens, _copy_value(st.value))


def _remove(doc, st):
    delete(doc, st.tokens)
    return doc


def _rename(doc, st):
    loc = _locate(doc, st.tokens)
    if loc is None or st.to_tokens == st.tokens:
        return doc
    parent, key = loc
    v = parent.pop(key)
    try:
        return write(doc, st.to_tokens, v)
    except StepError as e:
        if isinstance(parent, list):
            parent.insert(key, v)
        else:
            parent[key] = v
        raise StepError(str(e), st.to) from None


def _copy_op(doc, st):
    v = resolve(doc, st.from_tokens)
    if v is _MISSING:
        return doc
    return write(doc, st.tokens, _copy_value(v))


def _concat(doc, st):
    parts = []
    for p, toks in zip(st.args["from"], st.from_tokens):
        v = resolve(doc, toks)
        if v is _MISSING or v is None:
            continue
        if isinstance(v, (dict, list)):
            raise StepError(f"cannot concatenate {_kind(v)}", p)
        parts.append(v if isinstance(v, str) else coerce_value(v, "string"))
    if not parts:
        return doc
    return write(doc, st.tokens, st.separator.join(parts))


def _keep(doc, st):
    v = resolve(doc, st.tokens)
    if isinstance(v, dict):
        for k in [k for k in v if k not in st.keyset]:
            del v[k]
    return doc


OPS = {
    "trim": _on_value(_is_str, lambda s, st: s.strip()),
    "collapse_whitespace": _on_value(_is_str, lambda s, st: " ".join(s.split())),
    "lower": _on_value(_is_str, lambda s, st: s.lower()),
    "upper": _on_value(_is_str, lambda s, st: s.upper()),
    "nullif_empty": _on_value(_is_str, lambda s, st: None if s == "" else s),
    "truncate": _on_value(_is_str, lambda s, st: s[:st.length]),
    "replace": _on_value(_is_str, lambda s, st: st.regex.sub(st.repl, s)),
    "coerce": _on_value(_is_scalar, lambda v, st: coerce_value(v, st.to, st.float_mode)),
    "parse_timestamp": _on_value(lambda v: isinstance(v, str) or _is_num(v),
                                 lambda v, st: parse_timestamp_value(v, st.formats, st.tz)),
    "round": _on_value(_is_num, _round),
    "clamp": _on_value(_is_num, _clamp),
    "scale": _on_value(_is_num, _scale),
    "map": _on_value(_is_str, _map),
    "default": _default,
    "set": _set,
    "remove": _remove,
    "rename": _rename,
    "copy": _copy_op,
    "concat": _concat,
    "keep": _keep,
    "hash": _on_value(_is_str, lambda s, st: hashlib.sha256((st.salt + s).encode("utf-8")).hexdigest()),
    "mask": _on_value(_is_str, _mask),
}


# ------------------------------------------------------- compiling a spec

def _int_arg(lo=None, hi=None):
    def check(v, where):
        if not _is_num(v) or _dec(v) != _dec(v).to_integral_value():
            raise SpecError(where, "must be an integer")
        v = int(v)
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise SpecError(where, f"must be between {lo} and {hi}" if hi is not None else f"must be at least {lo}")
        return v
    return check


def _typed(pred, what):
    def check(v, where):
        if not pred(v):
            raise SpecError(where, f"must be {what}")
        return v
    return check


_ANY = _typed(lambda v: True, "")
_STR = _typed(_is_str, "a string")
_NUM = _typed(_is_num, "a number")
_BOOL = _typed(lambda v: isinstance(v, bool), "a boolean")
_PTR = _typed(_is_str, "a JSON Pointer string")
_PTRS = _typed(lambda v: isinstance(v, list) and v and all(map(_is_str, v)), "a non-empty array of JSON Pointers")
_STRS = _typed(lambda v: isinstance(v, list) and all(map(_is_str, v)), "an array of strings")
_OBJ = _typed(lambda v: isinstance(v, dict), "an object")
_TO = _typed(lambda v: v in ("integer", "number", "boolean", "string"),
             'one of "integer", "number", "boolean", "string"')
_CHAR = _typed(lambda v: isinstance(v, str) and len(v) == 1, "a string of one character")
_FMTS = _typed(lambda v: isinstance(v, list) and v and all(map(_is_str, v)), "a non-empty array of strings")

# op -> {argument: (check, default)}; a default of _MISSING means required, None-for-optional is spelled _OPTIONAL.
_OPTIONAL = object()
ARGS = {
    "trim": {}, "collapse_whitespace": {}, "lower": {}, "upper": {}, "nullif_empty": {},
    "truncate": {"length": (_int_arg(0), _MISSING)},
    "replace": {"pattern": (_STR, _MISSING), "with": (_STR, "")},
    "coerce": {"to": (_TO, _MISSING)},
    "parse_timestamp": {"formats": (_FMTS, ["iso8601", "epoch"]), "timezone": (_STR, "UTC")},
    "round": {"digits": (_int_arg(-1000, 1000), 0)},
    "clamp": {"min": (_NUM, _OPTIONAL), "max": (_NUM, _OPTIONAL)},
    "scale": {"factor": (_NUM, 1), "offset": (_NUM, 0)},
    "map": {"values": (_OBJ, _MISSING), "case_insensitive": (_BOOL, False), "default": (_ANY, _OPTIONAL)},
    "default": {"value": (_ANY, _MISSING)},
    "set": {"value": (_ANY, _MISSING)},
    "remove": {},
    "rename": {"to": (_PTR, _MISSING)},
    "copy": {"from": (_PTR, _MISSING)},
    "concat": {"from": (_PTRS, _MISSING), "separator": (_STR, "")},
    "keep": {"keys": (_STRS, _MISSING)},
    "hash": {"salt": (_STR, "")},
    "mask": {"keep_last": (_int_arg(0), 4), "char": (_CHAR, "*")},
}


def _compile_replacement(w, ngroups, where):
    """ECMA-style replacement: $$ -> $, $& -> the match, $1..$9 -> a group ("" if it did not match)."""
    parts, i = [], 0
    lit = []
    while i < len(w):
        c = w[i]
        if c == "$" and i + 1 < len(w) and w[i + 1] in "$&123456789":
            e = w[i + 1]
            if e == "$":
                lit.append("$")
            else:
                g = 0 if e == "&" else int(e)
                if g > ngroups:
                    raise SpecError(where, f"${g} refers to a group the pattern does not have")
                parts.append("".join(lit))
                lit = []
                parts.append(g)
            i += 2
            continue
        lit.append(c)
        i += 1
    parts.append("".join(lit))
    if len(parts) == 1:
        text = parts[0]
        return lambda m: text
    return lambda m: "".join(p if isinstance(p, str) else (m.group(p) or "") for p in parts)


def compile_step(i, raw, float_mode):
    where = f"/transform/{i}"
    if not isinstance(raw, dict):
        raise SpecError(where, "a step must be an object")
    op = raw.get("op")
    if op not in OPS:
        raise SpecError(where + "/op", f"unknown op {json.dumps(op)}" if op is not None else "missing op")
    if "path" not in raw:
        raise SpecError(where, '"path" is required')
    st = Step()
    st.i, st.op, st.fn, st.float_mode = i, op, OPS[op], float_mode
    st.path = raw["path"]
    st.tokens = parse_pointer(st.path, where + "/path")
    spec_args = ARGS[op]
    args = {}
    for k, v in raw.items():
        if k in ("op", "path", "description"):
            continue
        if k not in spec_args:
            raise SpecError(f"{where}/{escape_token(k)}", f"unknown argument {json.dumps(k)} for op {json.dumps(op)}")
        args[k] = spec_args[k][0](v, f"{where}/{escape_token(k)}")
    for k, (_, dflt) in spec_args.items():
        if k not in args:
            if dflt is _MISSING:
                raise SpecError(where, f'op "{op}" needs "{k}"')
            if dflt is not _OPTIONAL:
                args[k] = dflt
    st.args = args
    # per-op preparation
    if op in ("remove", "rename") and not st.tokens:
        raise SpecError(where + "/path", f'op "{op}" needs a path inside the record')
    if op == "replace":
        try:
            st.args["regex"] = ecma_regex(args["pattern"])
        except (ValueError, re.error) as e:
            raise SpecError(where + "/pattern", f"invalid pattern: {e}") from None
        st.args["repl"] = _compile_replacement(args["with"], st.args["regex"].groups, where + "/with")
    elif op == "parse_timestamp":
        for j, f in enumerate(args["formats"]):
            if f not in ("iso8601", "epoch"):
                bad = [d for d in re.findall(r"%(.?)", f) if d not in _STRPTIME_OK]
                if bad:
                    raise SpecError(f"{where}/formats/{j}", f"unsupported strptime directive %{bad[0]}")
        tz = args["timezone"]
        try:
            st.args["tz"] = _UTC if tz == "UTC" else ZoneInfo(tz)
        except Exception:
            raise SpecError(where + "/timezone", f"unknown time zone {json.dumps(tz)}") from None
    elif op == "clamp":
        if "min" not in args and "max" not in args:
            raise SpecError(where, 'op "clamp" needs "min" or "max"')
        if "min" in args and "max" in args and _dec(args["min"]) > _dec(args["max"]):
            raise SpecError(where, "min is greater than max")
    elif op == "map":
        table = {}
        for k, v in args["values"].items():
            key = k.lower() if args["case_insensitive"] else k
            if key in table:
                raise SpecError(f"{where}/values/{escape_token(k)}", "duplicate key when case is ignored")
            table[key] = v
        st.args["table"] = table
    elif op == "rename":
        st.args["to_tokens"] = parse_pointer(args["to"], where + "/to")
    elif op == "copy":
        st.args["from_tokens"] = parse_pointer(args["from"], where + "/from")
    elif op == "concat":
        st.args["from_tokens"] = [parse_pointer(p, f"{where}/from/{j}") for j, p in enumerate(args["from"])]
    elif op == "keep":
        st.args["keyset"] = frozenset(args["keys"])
    vars(st).update(st.args)  # plain attribute reads on the hot path
    return st


# -------------------------------------------------------------- validation

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")


def _valid_date(y, m, d):
    try:
        _dt.date(int(y), int(m), int(d))
        return True
    except ValueError:
        return False


def is_date_time(s):
    """RFC 3339 date-time (the date-time format; rfc3339-validator is not packaged in Debian 12)."""
    if not isinstance(s, str):
        return True
    m = _RFC3339.match(s)
    if not m:
        return False
    y, mo, d, hh, mi, ss, sign, oh, om = m.groups()
    if not _valid_date(y, mo, d) or int(hh) > 23 or int(mi) > 59 or int(ss) > 60:
        return False
    if sign and (int(oh) > 23 or int(om) > 59):
        return False
    if int(ss) == 60:  # a leap second is 23:59:60 in UTC
        off = (int(oh) * 60 + int(om)) * (1 if sign == "+" else -1) if sign else 0
        return (int(hh) * 60 + int(mi) - off) % 1440 == 23 * 60 + 59
    return True


def is_date(s):
    if not isinstance(s, str):
        return True
    m = _DATE.match(s)
    return bool(m) and _valid_date(*m.groups())


def is_email(s):
    """jsonschema's own email check: contains an @."""
    return not isinstance(s, str) or "@" in s


def _ecma_pattern(validator, patrn, instance, schema):
    from jsonschema import ValidationError
    if validator.is_type(instance, "string") and not ecma_regex(patrn).search(instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _ecma_pattern_properties(validator, pp, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in pp.items():
        rx = ecma_regex(patrn)
        for k, v in instance.items():
            if rx.search(k):
                yield from validator.descend(v, subschema, path=k, schema_path=patrn)


def _additional_properties(validator, ap, instance, schema):
    """additionalProperties with ECMA patterns; false fails once per extra property, at the property."""
    from jsonschema import ValidationError
    if not validator.is_type(instance, "object"):
        return
    props = schema.get("properties", {})
    pats = [ecma_regex(p) for p in schema.get("patternProperties", {})]
    for k in instance:
        if k in props or any(rx.search(k) for rx in pats):
            continue
        if ap is False:
            yield ValidationError(f"property {json.dumps(k, ensure_ascii=False)} is not allowed", path=[k])
        elif ap is not True:
            yield from validator.descend(instance[k], ap, path=k)


_FORMATS = {"date-time": is_date_time, "date": is_date, "email": is_email}


def _format_checker(base):
    import jsonschema
    checker = jsonschema.FormatChecker(formats=base.FORMAT_CHECKER.checkers.keys())
    for name, fn in _FORMATS.items():
        checker.checks(name)(fn)
    return checker


def _jsonschema_validator(schema, assert_formats):
    import jsonschema
    from jsonschema import validators
    base = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        base.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise SpecError("/schema" + to_pointer(e.absolute_path), e.message) from None
    cls = validators.extend(base, {
        "pattern": _ecma_pattern,
        "patternProperties": _ecma_pattern_properties,
        "additionalProperties": _additional_properties,
    })
    return cls(schema, format_checker=_format_checker(base) if assert_formats else None)


def _python_patterns(schema):
    """A copy of schema with pattern / patternProperties translated from ECMA-262 to Python."""
    if isinstance(schema, list):
        return [_python_patterns(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k == "pattern" and isinstance(v, str):
            out[k] = "(?a)" + ecma_to_python(v)
        elif k == "patternProperties" and isinstance(v, dict):
            out[k] = {"(?a)" + ecma_to_python(p): _python_patterns(s) for p, s in v.items()}
        elif k in ("enum", "const", "default", "examples"):
            out[k] = v
        else:
            out[k] = _python_patterns(v)
    return out


_FAST_FORMATS = ("date-time", "date", "time", "email", "idn-email", "hostname", "idn-hostname", "ipv4",
                 "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uri-template", "json-pointer",
                 "relative-json-pointer", "regex", "uuid", "duration")


def _fast_validator(schema, assert_formats):
    """fastjsonschema (draft-07 code generator), with the same format checks as the jsonschema variant."""
    import fastjsonschema
    import jsonschema
    if assert_formats:
        checker = _format_checker(jsonschema.Draft202012Validator)
        fmts = {n: (lambda s, n=n: checker.conforms(s, n)) for n in _FAST_FORMATS}
    else:
        fmts = {n: (lambda s: True) for n in _FAST_FORMATS}
    return fastjsonschema.compile(_python_patterns(schema), formats=fmts, use_default=False)


def _leaves(e):
    """An anyOf/oneOf that no branch matched stands for the failing leaves of every branch.

    (jsonschema reports the combinator with the branches' errors as its context;
    pipeline's errors() lists the leaves, as the JSON Schema "basic" output does.
    A oneOf that several branches match is itself the failure.)
    """
    if e.validator in ("anyOf", "oneOf") and e.context:
        for c in e.context:
            yield from _leaves(c)
    else:
        yield e


# ---------------------------------------------------------------- pipeline

class Pipeline:
    """A compiled spec. ``run(doc)`` -> (transformed doc, errors); the doc is changed in place."""

    def __init__(self, spec, *, validator="jsonschema", numbers=None):
        if numbers is None:
            numbers = "float" if validator == "fastjsonschema" else "decimal"
        if numbers not in ("decimal", "float"):
            raise ValueError("numbers must be 'decimal' or 'float'")
        self.numbers = numbers
        if isinstance(spec, (str, bytes)):
            spec = loads(spec, numbers)
        if not isinstance(spec, dict):
            raise SpecError("", "a spec must be an object")
        for k in spec:
            if k not in ("schema", "transform", "on_error", "formats"):
                raise SpecError("/" + escape_token(k), f"unknown keyword {json.dumps(k)}")
        self.spec = spec
        self.schema = spec.get("schema", True)
        if not isinstance(self.schema, (dict, bool)):
            raise SpecError("/schema", "must be an object or a boolean")
        self.on_error = spec.get("on_error", "raise")
        if self.on_error not in ("raise", "quarantine", "skip"):
            raise SpecError("/on_error", 'must be "raise", "quarantine" or "skip"')
        self.formats = spec.get("formats", "assert")
        if self.formats not in ("assert", "annotate"):
            raise SpecError("/formats", 'must be "assert" or "annotate"')
        transform = spec.get("transform", [])
        if not isinstance(transform, list):
            raise SpecError("/transform", "must be an array")
        self.steps = [compile_step(i, s, numbers == "float") for i, s in enumerate(transform)]
        self.validator_kind = validator
        assert_formats = self.formats == "assert"
        if validator == "jsonschema":
            self._validator = _jsonschema_validator(self.schema, assert_formats)
            self.schema_errors = self._jsonschema_errors
        elif validator == "fastjsonschema":
            self._fast = _fast_validator(self.schema, assert_formats)
            self.schema_errors = self._fast_errors
        else:
            raise ValueError(f"unknown validator {validator!r}")

    def loads(self, text):
        return loads(text, self.numbers)

    def dumps(self, doc):
        return dumps_fast(doc)

    def transform(self, doc):
        """Apply every step in order; returns (doc, step violations)."""
        errors = []
        for st in self.steps:
            try:
                doc = st.fn(doc, st)
            except StepError as e:
                errors.append({"instanceLocation": e.location if e.location is not None else st.path,
                               "keywordLocation": f"/transform/{st.i}", "error": str(e)})
        return doc, errors

    def _jsonschema_errors(self, doc):
        return [{"instanceLocation": to_pointer(e.absolute_path),
                 "keywordLocation": "/schema" + to_pointer(e.absolute_schema_path),
                 "error": e.message}
                for top in self._validator.iter_errors(doc) for e in _leaves(top)]

    def _fast_errors(self, doc):
        """fastjsonschema stops at the first error and names it loosely: a verdict, not a report."""
        import fastjsonschema
        try:
            self._fast(doc)
            return []
        except fastjsonschema.JsonSchemaValueException as e:
            return [{"instanceLocation": to_pointer(e.path[1:]), "keywordLocation": f"/schema/{e.rule}",
                     "error": e.message}]

    def run(self, doc):
        doc, errors = self.transform(doc)
        return doc, errors + self.schema_errors(doc)

    def errors(self, doc):
        return self.run(doc)[1]

    def validate(self, doc):
        doc, errors = self.transform(doc)
        if errors:
            return False
        if self.validator_kind == "jsonschema":
            return self._validator.is_valid(doc)
        return not self.schema_errors(doc)


# ----------------------------------------------------------------- ingest

def create_tables(conn, table, rejects_table=None, column="doc"):
    """The target table (one jsonb column) and its rejects table, if missing."""
    from psycopg import sql
    rejects_table = rejects_table or f"{table}_rejects"
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (id bigserial PRIMARY KEY, {} jsonb NOT NULL)")
                 .format(sql.Identifier(table), sql.Identifier(column)))
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (id bigserial PRIMARY KEY, "
                         "rejected_at timestamptz NOT NULL DEFAULT now(), record jsonb NOT NULL, "
                         "errors jsonb NOT NULL)").format(sql.Identifier(rejects_table)))


def ingest(conn, table, records, spec, *, rejects_table=None, column="doc", validator="jsonschema"):
    """Transform and validate each record in Python, COPY the good ones, INSERT the rejects.

    records: JSON texts or dicts (dicts are changed in place). spec: a spec (dict
    or JSON text) or a Pipeline. One transaction. Returns (inserted, rejected).
    """
    from psycopg import sql
    p = spec if isinstance(spec, Pipeline) else Pipeline(spec, validator=validator)
    rejects_table = rejects_table or f"{table}_rejects"
    rejects = []
    inserted = 0
    with conn.transaction(), conn.cursor() as cur:
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), sql.Identifier(column))
        with cur.copy(copy_sql) as cp:
            for rec in records:
                if isinstance(rec, str):
                    original, doc = rec, p.loads(rec)
                else:
                    original, doc = dumps(rec), rec
                doc, errors = p.run(doc)
                if errors:
                    rejects.append((original, json.dumps(errors, ensure_ascii=False)))
                else:
                    cp.write_row((p.dumps(doc),))
                    inserted += 1
        if rejects:
            cur.executemany(sql.SQL("INSERT INTO {} (record, errors) VALUES (%s::jsonb, %s::jsonb)")
                            .format(sql.Identifier(rejects_table)), rejects)
    return inserted, len(rejects)
