#!/usr/bin/env python3
"""pipeline demo: validate and ingest generated "orders" inside PostgreSQL.

Connects with the PG* environment variables (`make demo` runs it inside a
throwaway cluster), creates the extension and, through the pgpipeline
package (python/src), defines the "orders" pipeline, generates orders
(seeded; about 10% broken in varied ways), checks them one round trip per
batch, COPYs them through a quarantining trigger, replays the quarantine
after a fix and profiles what arrived.  It says which figure to expect
where: the cost per record inside the server, and end to end through
psycopg.

The demo is a list of steps (STEPS, at the bottom) sharing one Demo object.
"""

import argparse
import collections
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

try:
    import pgpipeline as pp
except ImportError:     # a plain clone: the package's source, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    import pgpipeline as pp

PIPELINE = "orders"

ORDERS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "order",
    "type": "object",
    "required": ["id", "email", "country", "amount", "currency",
                 "created_at", "status", "items"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "country": {"enum": ["US", "GB", "DE", "FR", "JP", "BR", "IN", "CA", "AU", "NL"]},
        "amount": {"type": "number", "minimum": 0, "multipleOf": 0.01},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "created_at": {"type": "string", "format": "date-time"},
        "status": {"enum": ["pending", "paid", "shipped", "cancelled"]},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["sku", "quantity", "price"],
                "additionalProperties": False,
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "price": {"type": "number", "minimum": 0},
                },
            },
        },
        "shipping": {
            "type": "object",
            "required": ["city", "postcode"],
            "properties": {
                "city": {"type": "string", "minLength": 1},
                "postcode": {"type": "string", "maxLength": 10},
            },
        },
        "coupon": {"type": ["string", "null"], "maxLength": 20},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    },
}

ORDERS_SPEC = {"schema": ORDERS_SCHEMA, "formats": "assert"}

COUNTRIES = ORDERS_SCHEMA["properties"]["country"]["enum"]
STATUSES = ORDERS_SCHEMA["properties"]["status"]["enum"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "BRL", "INR", "CAD", "AUD"]
CITIES = ["Berlin", "Lyon", "Osaka", "Recife", "Pune", "Leeds", "Austin", "Perth"]
TAGS = ["gift", "express", "fragile", "bulk", "b2b", "promo"]
NAMES = ["ana", "bo", "chen", "dario", "eve", "farah", "gus", "hana", "ivo", "jun"]
DOMAINS = ["example.com", "mail.example.org", "shop.test", "corp.example.net"]


def make_order(rng, i):
    """One valid order."""
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    created = base + timedelta(seconds=rng.randrange(0, 365 * 86400))
    items = [{"sku": f"{rng.choice(['ABC', 'XYZ', 'QRS', 'MNO'])}-{rng.randrange(10000):04d}",
              "quantity": rng.randint(1, 5),
              "price": round(rng.uniform(1, 200), 2)}
             for _ in range(rng.randint(1, 4))]
    order = {
        "id": i,
        "email": f"{rng.choice(NAMES)}.{rng.randrange(1000)}@{rng.choice(DOMAINS)}",
        "country": rng.choice(COUNTRIES),
        "amount": round(sum(it["quantity"] * it["price"] for it in items), 2),
        "currency": rng.choice(CURRENCIES),
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": rng.choice(STATUSES),
        "items": items,
    }
    if rng.random() < 0.7:
        order["shipping"] = {"city": rng.choice(CITIES), "postcode": f"{rng.randrange(100000):05d}"}
    if rng.random() < 0.3:
        order["coupon"] = rng.choice([None, "SPRING10", "WELCOME"])
    if rng.random() < 0.5:
        order["tags"] = rng.sample(TAGS, rng.randint(1, 3))
    return order


# Ways to break an order: (name, function mutating the order in place).
def _del(key):
    return lambda o, rng: o.pop(key, None)


CORRUPTIONS = [
    ("email is not an email", lambda o, rng: o.update(email=rng.choice(
        ["not-an-email", "ana@", "@example.com", "ana example.com"]))),
    ("unknown country", lambda o, rng: o.update(country=rng.choice(["XX", "us", "Germany"]))),
    ("negative amount", lambda o, rng: o.update(amount=-round(rng.uniform(1, 100), 2))),
    ("amount as a string", lambda o, rng: o.update(amount=str(o["amount"]))),
    ("created_at not a date-time", lambda o, rng: o.update(created_at=rng.choice(
        ["2024-13-01T10:00:00Z", "yesterday", "2024-05-01 25:61"]))),
    ("email missing", _del("email")),
    ("items missing", _del("items")),
    ("id as a string", lambda o, rng: o.update(id=str(o["id"]))),
    ("unexpected property", lambda o, rng: o.update(discount_code="X1")),
    ("no items", lambda o, rng: o.update(items=[])),
    ("item quantity 0", lambda o, rng: o["items"][0].update(quantity=0)),
    ("bad sku", lambda o, rng: o["items"][0].update(sku="abc_12")),
    ("lower-case currency", lambda o, rng: o.update(currency=o["currency"].lower())),
    ("unknown status", lambda o, rng: o.update(status="lost")),
    ("duplicate tags", lambda o, rng: o.update(tags=["gift", "gift"])),
    ("shipping without city", lambda o, rng: o.update(shipping={"postcode": "12345"})),
]


def generate(count, seed, invalid_rate):
    """Returns [(order, corruption name or None)]."""
    rng = random.Random(seed)
    out = []
    for i in range(1, count + 1):
        order = make_order(rng, i)
        broken = None
        if rng.random() < invalid_rate:
            broken, fn = rng.choice(CORRUPTIONS)
            fn(order, rng)
        out.append((order, broken))
    return out


class Demo:
    def __init__(self, conn, args):
        self.conn = conn
        self.args = args
        self.records = []        # [(order, corruption or None)]
        self.failures = {}       # index in records -> [pgpipeline.Violation]
        self.problems = []       # what --strict fails on

    def say(self, *a):
        print(*a, flush=True)


def step_setup(demo):
    demo.conn.execute("CREATE EXTENSION IF NOT EXISTS pipeline")
    version = demo.conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'pipeline'").fetchone()[0]
    server = demo.conn.execute("SHOW server_version").fetchone()[0]
    demo.say(f"PostgreSQL {server}, extension pipeline {version}, pgpipeline {pp.__version__}")


def step_define(demo):
    v = pp.define(demo.conn, PIPELINE, ORDERS_SPEC)
    nprops = len(ORDERS_SCHEMA["properties"])
    demo.say(f'defined pipeline "{PIPELINE}" version {v}: JSON Schema with {nprops} properties, formats asserted')


def step_generate(demo):
    a = demo.args
    demo.records = generate(a.count, a.seed, a.invalid_rate)
    broken = sum(1 for _, b in demo.records if b)
    demo.say(f"generated {len(demo.records)} orders (seed {a.seed}); {broken} broken on purpose "
             f"in {len(CORRUPTIONS)} different ways")


def server_ms(conn, query, params):
    """The server's own execution time of a query (EXPLAIN ANALYZE), in ms."""
    plan = conn.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + query, params).fetchone()[0]
    return plan[0]["Execution Time"]


def step_validate(demo):
    """pgpipeline.validate_many: one round trip per batch (unnest), the
    violations of each failing record."""
    n = len(demo.records)
    t0 = time.perf_counter()
    failures = pp.validate_many(demo.conn, PIPELINE, [o for o, _ in demo.records],
                                batch=demo.args.batch)
    secs = time.perf_counter() - t0
    demo.failures = {f.index: f.violations for f in failures}
    trips = -(-n // demo.args.batch)
    demo.say(f"validated {n} records in {trips} round trips: "
             f"passed {n - len(failures)}, failed {len(failures)}")

    # The same check without the client: the documents in a table, timed by
    # the server itself, minus a scan that reads each document.
    c = demo.conn
    c.execute("DROP TABLE IF EXISTS demo_raw")
    c.execute("CREATE TABLE demo_raw AS SELECT d FROM unnest(%s::jsonb[]) AS t(d)",
              ([Jsonb(o) for o, _ in demo.records],))
    scan = min(server_ms(c, "SELECT count(*) FROM demo_raw WHERE d IS NOT NULL", ()) for _ in range(3))
    check = min(server_ms(c, "SELECT count(*) FROM demo_raw WHERE pipeline.validate(d, %s)", (PIPELINE,))
                for _ in range(3))
    inside = max(check - scan, 0) * 1000 / max(n, 1)
    demo.say("what it costs, per record:")
    demo.say(f"  {inside:6.1f} us  inside the server (pipeline.validate on a table, EXPLAIN ANALYZE,"
             " less a bare scan)")
    demo.say(f"  {1e6 * secs / max(n, 1):6.1f} us  end to end through psycopg (Python encodes each record as"
             " JSON, sends it, the server parses it, errors come back)")
    demo.say("  Expect the first figure when the data is already in the database (INSERT ... SELECT,"
             " triggers, CHECK);\n  the second when Python holds the records. Both vary with the"
             " schema, the record size and the machine.")


def step_report(demo):
    if not demo.failures:
        return
    by_keyword = collections.Counter()
    for violations in demo.failures.values():
        for v in violations:
            by_keyword[v.keyword_path] += 1
    demo.say("\nwhy records failed (violations per keyword path of the spec):")
    demo.say(f"  {'count':>6}  keyword path")
    for kw, n in by_keyword.most_common():
        demo.say(f"  {n:>6}  {kw}")

    demo.say("\n3 example violations:")
    rng = random.Random(demo.args.seed)
    for idx in sorted(rng.sample(sorted(demo.failures), min(3, len(demo.failures)))):
        order, broken = demo.records[idx]
        for v in demo.failures[idx][:2]:
            demo.say(f"  order {order.get('id')!s:>5} ({broken or 'not broken on purpose'}): {v}")


def step_crosscheck(demo):
    """Compare the database's verdicts with what the generator broke."""
    missed = collections.Counter(b for i, (_, b) in enumerate(demo.records)
                                 if b and i not in demo.failures)
    false_alarms = [i for i in demo.failures if not demo.records[i][1]]
    agree = len(demo.records) - sum(missed.values()) - len(false_alarms)
    demo.say(f"\ncross-check with the generator: {agree}/{len(demo.records)} verdicts agree")
    for name, n in missed.most_common():
        demo.say(f"  {n} broken record(s) passed: {name}")
    for i in false_alarms[:5]:
        demo.say(f"  valid record {demo.records[i][0].get('id')} was rejected: {demo.failures[i]}")
    if missed or false_alarms:
        demo.problems.append("the database and the generator disagree")


INGEST = "orders_ingest"
INGEST_SPEC = {
    "schema": ORDERS_SCHEMA,
    "transform": [
        {"op": "trim", "path": "/email"},
        {"op": "lower", "path": "/email"},
        {"op": "upper", "path": "/currency"},
        {"op": "round", "path": "/amount", "digits": 2},
    ],
    "on_error": "quarantine",
}


def messy(order, rng):
    """The same order as an upstream system sends it: case and space noise."""
    o = dict(order)
    if isinstance(o.get("email"), str) and rng.random() < 0.3:
        o["email"] = "  " + o["email"].upper() + " "
    if isinstance(o.get("currency"), str) and rng.random() < 0.3:
        o["currency"] = o["currency"].lower()
    return o


def step_ingest(demo):
    """The main job: the app only COPYs raw records (pgpipeline.ingest); a C
    trigger transforms, validates and quarantines them inside the database."""
    c = demo.conn
    c.execute("DROP TABLE IF EXISTS demo_orders")
    c.execute("CREATE TABLE demo_orders (doc jsonb NOT NULL)")
    pp.define(c, INGEST, INGEST_SPEC)
    c.execute("SELECT pipeline.attach('demo_orders', %s, 'doc')", (INGEST,))
    c.execute("DELETE FROM pipeline.rejects WHERE pipeline = %s", (INGEST,))
    pp.reset_stats(c, INGEST)
    rng = random.Random(demo.args.seed + 1)
    demo.sent = sent = [messy(o, rng) for o, _ in demo.records]
    t0 = time.perf_counter()
    r = pp.ingest(c, "demo_orders", sent, column="doc", batch=demo.args.batch)
    secs = time.perf_counter() - t0
    demo.say(f"\ningest (COPY through the pipeline trigger) of {r.sent} raw records: {r}")
    demo.say(f"  {1e6 * secs / max(r.sent, 1):.1f} us/record end to end through psycopg "
             "(the trigger's own share is a few us: docs/triggers.md)")
    if r.sent != r.stored + r.quarantined + r.skipped:
        demo.problems.append(f"ingest counts do not add up: {r}")
    for st in pp.stats(c, INGEST):
        demo.say(f"  pipeline.stats ({st.scope} scope): version {st.version} checked {st.checked}, "
                 f"passed {st.passed} ({st.transformed} transformed), quarantined {st.quarantined}, "
                 f"about {st.time_ms:.0f} ms in the trigger")
        if (st.checked, st.quarantined) != (r.sent, r.quarantined):
            demo.problems.append(f"pipeline.stats says {st}, the ingest {r}")

    # Why fewer were quarantined than failed validation: the ingest spec's
    # transforms repair some records before they are checked.
    rejected_ids = {rj.record.get("id") for rj in pp.rejects(c, INGEST) if isinstance(rj.record, dict)}
    fixed = collections.Counter(demo.records[i][1] or "not broken on purpose"
                                for i in demo.failures
                                if demo.records[i][0].get("id") not in rejected_ids)
    demo.say(f"  quarantined {r.quarantined}, while {len(demo.failures)} failed validation above: "
             f"{sum(fixed.values())} were repaired on the way in")
    demo.say(f'  by the transforms of "{INGEST}" (trim, lower, upper, round), which "{PIPELINE}" does not have:')
    for name, n in fixed.most_common():
        demo.say(f"    {n:>4}  {name}")
    expected = len(pp.validate_many(c, INGEST, sent, batch=demo.args.batch))
    if expected != r.quarantined:
        demo.problems.append(f"quarantined {r.quarantined}, but {expected} sent records fail {INGEST}")
    noisy = next((o for o in sent if str(o.get("email", "")).startswith("  ")), None)
    if noisy is not None:
        stored = c.execute("SELECT doc->>'email' FROM demo_orders WHERE doc->'id' = %s",
                           (Jsonb(noisy.get("id")),)).fetchone()
        if stored:
            demo.say(f"  cleaned on the way in: {noisy['email']!r} -> {stored[0]!r}")


def step_quarantine(demo):
    """What the quarantine holds, then a fix and a replay."""
    c = demo.conn
    summary = pp.rejects_summary(c, INGEST)
    if not summary:
        return
    demo.say(f"\nquarantine of {INGEST} (pgpipeline.rejects_summary):")
    demo.say(f"  {'records':>7}  keyword path: example")
    for k in summary[:8]:
        demo.say(f"  {k.records:>7}  {k.keyword_path}: {k.example}")
    first = next(pp.rejects(c, INGEST, limit=1))
    demo.say(f"  first: order {first.record.get('id')}: {first.violations[0]}")
    fixed = dict(INGEST_SPEC, transform=INGEST_SPEC["transform"] +
                 [{"op": "coerce", "path": "/amount", "to": "number"},
                  {"op": "coerce", "path": "/id", "to": "integer"}])
    v = pp.define(c, INGEST, fixed)
    r = pp.replay(c, INGEST)
    demo.say(f"  version {v} also coerces /amount and /id from strings; replay: {r.replayed} stored, "
             f"{r.rejected} still quarantined")
    rows = c.execute("SELECT version, keyword_location, count"
                     "  FROM pipeline.reject_summary WHERE pipeline = %s"
                     " ORDER BY count DESC, keyword_location LIMIT 5", (INGEST,)).fetchall()
    demo.say("  pipeline.reject_summary (rejects by version and failing rule):")
    for version, where, n in rows:
        demo.say(f"  {n:>7}  version {version}  {where}")


def step_profile(demo):
    """What arrived, per field, by the parallel profile aggregate."""
    prof = pp.profile(demo.conn, "demo_orders", "doc")
    if not prof.documents:
        return
    wanted = ["/id", "/email", "/country", "/amount", "/status", "/items/*/price", "/coupon"]
    part = pp.Profile(documents=prof.documents,
                      fields={k: v for k, v in prof.fields.items() if k in wanted})
    demo.say(f"\nprofile of the stored orders (pgpipeline.profile; {len(prof.fields)} paths, {len(wanted)} shown):")
    for line in part.text().splitlines():
        demo.say("  " + line)


def step_dry_run(demo):
    """Before tightening the rules: what would a stricter version do to the stored
    orders and to the quarantined ones? (pipeline.test writes nothing)"""
    stricter = json.loads(json.dumps(INGEST_SPEC))
    stricter["schema"]["properties"]["amount"]["maximum"] = 1000
    c = demo.conn
    t0 = time.perf_counter()
    r = c.execute(
        "SELECT checked, failed, newly_failing, rejects_checked, rejects_accepted, failures"
        "  FROM pipeline.test(%s, %s, 'demo_orders', 'doc')", (INGEST, Jsonb(stricter))).fetchone()
    secs = time.perf_counter() - t0
    demo.say("\ndry run of a stricter version (amount at most 1000) against the stored orders:")
    demo.say(f"  {r[0]} checked, {r[1]} would fail ({r[2]} of them pass today); "
             f"{r[4]} of {r[3]} quarantined records it would accept")
    for f in r[5][:3]:
        demo.say(f"  {f['count']:>5} x {f['keywordLocation']}: e.g. {f['example']['error']}")
    # per record, against validate() over the same table (one round trip each, wall clock)
    t0 = time.perf_counter()
    c.execute("SELECT count(*) FILTER (WHERE pipeline.validate(doc, %s)) FROM demo_orders", (INGEST,))
    check = time.perf_counter() - t0
    n = max(r[0] + r[3], 1)
    demo.say(f"  {1e6 * secs / n:.1f} us per record (candidate and active version, rejects included); "
             f"validate() over the same table: {1e6 * check / max(r[0], 1):.1f} us")


STEPS = [step_setup, step_define, step_generate, step_validate, step_report, step_crosscheck,
         step_ingest, step_dry_run, step_quarantine, step_profile]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=5000, help="orders to generate (5000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (42)")
    p.add_argument("--invalid-rate", type=float, default=0.10, help="share broken on purpose (0.10)")
    p.add_argument("--batch", type=int, default=1000, help="records per round trip (1000)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when the database and the generator disagree, or counts do not add up")
    args = p.parse_args(argv)
    with psycopg.connect(autocommit=True) as conn:
        demo = Demo(conn, args)
        for step in STEPS:
            step(demo)
    for problem in demo.problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if args.strict and demo.problems else 0


if __name__ == "__main__":
    sys.exit(main())
