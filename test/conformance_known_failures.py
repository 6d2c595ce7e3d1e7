"""Required tests of the JSON Schema Test Suite that pipeline fails today.

Key: "<draft>/<file>::<group description>::<test description>", exactly as
test_conformance.py prints it; value: why it fails.  The conformance test
fails when a required test fails that is not listed here (a regression) and
when a listed test passes (progress: delete its line).
"""

KNOWN_FAILURES = {
}
