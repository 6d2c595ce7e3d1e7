"""More fast paths of the transform steps give the bytes the general paths give.

A case-insensitive map folds an ASCII key and hashes it in the same pass
(anything else is folded by code points, then hashed); lower and upper know
a result changed when the first byte that may change is ASCII, and compare
the result with the input only when it is not; coerce to boolean compares
the folded word with its table inline.  Each is checked against
bench/reference.py with test_transform_fast_paths' comparison: the document
as text, each key on its own, and the violations' instance locations.
"""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_transform_fast_paths import _check, _define

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

MAP_VALUES = {"us": "US", "usa": "US", "united states": "US", "de": "DE", "deutschland": "DE",
              "españa": "ES", "日本": "JP", "x" * 64: "L64", "y" * 65: "L65", "straße": "D2", "": "E"}
FOLD_SPEC = {"schema": {}, "transform": [
    {"op": "map", "path": "/m", "case_insensitive": True, "values": MAP_VALUES},
    {"op": "map", "path": "/d", "case_insensitive": True, "values": MAP_VALUES, "default": "?"},
]}


def _case_variants(key):
    """key as written, upper-cased, and with every other letter upper-cased."""
    return [key, key.upper(), "".join(c.upper() if i % 2 else c for i, c in enumerate(key))]


def test_map_folds_and_hashes_in_one_pass(conn):
    """Every key of a case-insensitive map, in any mix of cases, ASCII or not, up to and past
    the 64 bytes folded on the stack, is found; near misses are not."""
    ref = _define(conn, "fast2_fold", FOLD_SPEC)
    probes = [v for k in MAP_VALUES for v in _case_variants(k)]
    probes += ["u", "usa ", "USAA", "Deutschlan", "ESPAÑA", "STRASSE", "X" * 63, "X" * 65, "Y" * 64, "日"]
    _check(conn, "fast2_fold", ref, [{"m": p, "d": p} for p in probes])


@SETTINGS
@given(st.lists(st.text(st.sampled_from("usaUSAdeDE éÉ日ß"), max_size=14), min_size=1, max_size=20))
def test_map_fold_matches_reference(conn, texts):
    ref = _define(conn, "fast2_fold", FOLD_SPEC)
    _check(conn, "fast2_fold", ref, [{"m": t, "d": t} for t in texts])


CASE_SPEC = {"schema": {}, "transform": [
    {"op": "lower", "path": "/l"},
    {"op": "upper", "path": "/u"},
]}
# strings whose first byte that may change is ASCII, not ASCII with or without
# a case of its own, or absent; at and past the 8-byte words of the scan
CASE_TEXTS = ["abc", "ABC", "abcdefgH", "abcdefghI", "日本", "日本abc", "abc日本", "éa", "Éa", "aé",
              "12345678é", "12345678日", "ß", "straße", "ΣΑΣ", "", "........A", "--------", "\u0345x"]


def test_case_first_mapped_byte(conn):
    """Where the first byte lower or upper may change is ASCII the result differs; where it is
    not, the result may equal the input, and both come out as the reference's."""
    ref = _define(conn, "fast2_case", CASE_SPEC)
    _check(conn, "fast2_case", ref, [{"l": t, "u": t} for t in CASE_TEXTS])


@SETTINGS
@given(st.lists(st.text(st.sampled_from("aZ09 .日éÉßΣς"), max_size=20), min_size=1, max_size=20))
def test_case_matches_reference(conn, texts):
    ref = _define(conn, "fast2_case", CASE_SPEC)
    _check(conn, "fast2_case", ref, [{"l": t, "u": t} for t in texts])


BOOL_SPEC = {"schema": {}, "transform": [{"op": "coerce", "path": "/b", "to": "boolean"}]}
BOOL_TEXTS = ["true", "TRUE", " t ", "yes", "Y", "on", "1", "false", "F", "no", "N", "off", "0", "OFF\t",
              "tru", "truex", "ye", "yex", "of", "ofx", "onn", "no ", "nx", "fals", "falsy", "", "  ", "11",
              "00", "2", "é", "yés", "\u00a0yes\u3000"]


def test_boolean_words(conn):
    """Every boolean word in any case and with whitespace around is read; a word that differs in
    one letter or one more or fewer is a violation."""
    ref = _define(conn, "fast2_bool", BOOL_SPEC)
    _check(conn, "fast2_bool", ref, [{"b": t} for t in BOOL_TEXTS])


TS_FORMATS = ["iso8601", "%d/%m/%Y %H:%M:%S.%f%z", "epoch"]
TS_SPEC = {"schema": {}, "transform": [
    {"op": "parse_timestamp", "path": "/utc", "formats": TS_FORMATS},
    {"op": "parse_timestamp", "path": "/ny", "formats": TS_FORMATS, "timezone": "America/New_York"},
]}
# fields that are the UTC instant already (no offset and no zone, Z, +00:00),
# and ones that are not (an offset, a zone, a fraction rounding up a second)
TS_TEXTS = ["2024-02-29", "2024-02-29T23:59", "2024-02-29 23:59:59Z", "2024-02-29T23:59:59.5+00:00",
            "2024-02-29T23:59:59-00:00", "2024-02-29T23:59:59+01:00", "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z", "2024-12-31T23:59:59.9999996Z", "2024-12-31T23:59:59.9999994",
            "2024-06-01T12:00:00,123Z", "31/12/2024 23:59:59.9999996+0000", "01/01/2024 00:00:00.5-0130",
            "1700000000", "1700000000.25", " 2024-01-01T00:00:00Z ", "2024-01-01T00:00:00Z"]


def test_timestamp_fields_kept_as_utc(conn):
    """A time read with no zone to apply is written from its own fields, one that needs a zone,
    an offset or a carried second from the instant; both as the reference writes them."""
    ref = _define(conn, "fast2_ts", TS_SPEC)
    _check(conn, "fast2_ts", ref, [{"utc": t, "ny": t} for t in TS_TEXTS] + [{"utc": 1700000000.5, "ny": 0}])


INT_SPEC = {"schema": {}, "transform": [{"op": "coerce", "path": "/i", "to": "integer"}]}
# numbers without decimals are integers as they are; with decimals they are
# tidied or refused; texts past an int64 go through numeric_in and are
# refused unless integral
INT_DOCS = ['{"i": 14}', '{"i": -0}', '{"i": 1e2}', '{"i": 11.0}', '{"i": 11.00}', '{"i": 11.5}',
            '{"i": 123456789012345678901234567890}', '{"i": 123456789012345678901234567890.0}',
            '{"i": "12345678901234567890.5"}', '{"i": "123456789012345678900.000"}',
            '{"i": "1234567890123456789012e-2"}', '{"i": "1234567890123456789000e-3"}', '{"i": " 14.0 "}',
            '{"i": "14.5"}', '{"i": "-7"}', '{"i": "1e9"}']


def test_integer_coerce_paths(conn):
    """coerce to integer keeps a number without decimals, tidies an integral one, and refuses a
    fraction, on both the int64 and the numeric_in paths of a text."""
    ref = _define(conn, "fast2_int", INT_SPEC)
    _check(conn, "fast2_int", ref, INT_DOCS)
