#!/usr/bin/env python3
"""pipeline demo: validate generated "orders" inside PostgreSQL.

Connects with the PG* environment variables (`make demo` runs it inside a
throwaway cluster), creates the extension, defines the "orders" pipeline,
generates orders (seeded; about 10% broken in varied ways), checks them in the
database one round trip per batch and prints what passed and why the others
failed.

The demo is a list of steps (STEPS, at the bottom) sharing one Demo object;
later features add a step.
"""

import argparse
import collections
import copy
import random
import sys
import time
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg.types.json import Jsonb

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
        self.failures = {}       # index in records -> list of error objects

    def say(self, *a):
        print(*a, flush=True)


def step_setup(demo):
    demo.conn.execute("CREATE EXTENSION IF NOT EXISTS pipeline")
    version = demo.conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'pipeline'").fetchone()[0]
    server = demo.conn.execute("SHOW server_version").fetchone()[0]
    demo.say(f"PostgreSQL {server}, extension pipeline {version}")


def step_define(demo):
    v = demo.conn.execute("SELECT pipeline.define(%s, %s)",
                          (PIPELINE, Jsonb(ORDERS_SPEC))).fetchone()[0]
    nprops = len(ORDERS_SCHEMA["properties"])
    demo.say(f'defined pipeline "{PIPELINE}" version {v}: JSON Schema with {nprops} properties, formats asserted')


def step_generate(demo):
    a = demo.args
    demo.records = generate(a.count, a.seed, a.invalid_rate)
    broken = sum(1 for _, b in demo.records if b)
    demo.say(f"generated {len(demo.records)} orders (seed {a.seed}); {broken} broken on purpose "
             f"in {len(CORRUPTIONS)} different ways")


def step_validate(demo):
    """One round trip per batch: pipeline.validate filters, pipeline.errors
    explains only the records that failed."""
    sql = """
        SELECT t.i, pipeline.errors(t.d, %(name)s)
          FROM unnest(%(docs)s::jsonb[]) WITH ORDINALITY AS t(d, i)
         WHERE NOT pipeline.validate(t.d, %(name)s)
         ORDER BY t.i"""
    batch = demo.args.batch
    trips = 0
    t0 = time.perf_counter()
    for start in range(0, len(demo.records), batch):
        docs = [Jsonb(o) for o, _ in demo.records[start:start + batch]]
        for i, errs in demo.conn.execute(sql, {"name": PIPELINE, "docs": docs}):
            demo.failures[start + i - 1] = errs
        trips += 1
    secs = time.perf_counter() - t0
    n = len(demo.records)
    demo.say(f"validated {n} records in {trips} round trips, {secs:.2f} s "
             f"({1e6 * secs / max(n, 1):.0f} us/record including transfer)")
    demo.say(f"passed: {n - len(demo.failures)}   failed: {len(demo.failures)}")


def step_report(demo):
    if not demo.failures:
        return
    by_keyword = collections.Counter()
    for errs in demo.failures.values():
        for e in errs:
            by_keyword[e.get("keywordLocation", "?")] += 1
    demo.say("\nwhy records failed (errors per keywordLocation):")
    demo.say(f"  {'count':>6}  keywordLocation")
    for kw, n in by_keyword.most_common():
        demo.say(f"  {n:>6}  {kw}")

    demo.say("\n3 example errors:")
    rng = random.Random(demo.args.seed)
    for idx in sorted(rng.sample(sorted(demo.failures), min(3, len(demo.failures)))):
        order, broken = demo.records[idx]
        for e in demo.failures[idx][:2]:
            demo.say(f"  order {order.get('id')!s:>5} ({broken or 'not broken on purpose'}): "
                     f"{e.get('instanceLocation')!r}: {e.get('error')}  [{e.get('keywordLocation')}]")


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
    demo.mismatches = sum(missed.values()) + len(false_alarms)


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
    """The main job: the app only COPYs raw records; a C trigger transforms,
    validates and quarantines them inside the database."""
    c = demo.conn
    c.execute("DROP TABLE IF EXISTS demo_orders")
    c.execute("CREATE TABLE demo_orders (doc jsonb NOT NULL)")
    c.execute("SELECT pipeline.define('orders_ingest', %s)", (Jsonb(INGEST_SPEC),))
    c.execute("SELECT pipeline.attach('demo_orders', 'orders_ingest', 'doc')")
    c.execute("DELETE FROM pipeline.rejects WHERE pipeline = 'orders_ingest'")
    rng = random.Random(demo.args.seed + 1)
    sent = [messy(o, rng) for o, _ in demo.records]
    t0 = time.perf_counter()
    with c.cursor() as cur:
        with cur.copy("COPY demo_orders (doc) FROM STDIN") as cp:
            for o in sent:
                cp.write_row((Jsonb(o),))
    secs = time.perf_counter() - t0
    kept = c.execute("SELECT count(*) FROM demo_orders").fetchone()[0]
    rejected = c.execute("SELECT count(*) FROM pipeline.rejects WHERE pipeline = 'orders_ingest'").fetchone()[0]
    demo.say(f"\nCOPY of {len(sent)} raw records through the pipeline trigger: {secs:.2f} s "
             f"({1e6 * secs / max(len(sent), 1):.0f} us/record end to end)")
    demo.say(f"  inserted {kept}, quarantined {rejected}: {kept + rejected} of {len(sent)} sent accounted for")
    noisy = next((o for o in sent if str(o.get("email", "")).startswith("  ")), None)
    if noisy is not None:
        stored = c.execute("SELECT doc->>'email' FROM demo_orders WHERE doc->'id' = %s",
                           (Jsonb(noisy.get("id")),)).fetchone()
        if stored:
            demo.say(f"  cleaned on the way in: {noisy['email']!r} -> {stored[0]!r}")
    ex = c.execute("""SELECT record->>'id', errors->0->>'instanceLocation', errors->0->>'error'
                        FROM pipeline.rejects WHERE pipeline = 'orders_ingest' ORDER BY id LIMIT 1""").fetchone()
    if ex:
        demo.say(f"  first quarantined: order {ex[0]}: {ex[1]!r}: {ex[2]}")
    demo.ingest_mismatch = kept + rejected != len(sent)


def step_profile(demo):
    """What arrived, per field, by the parallel profile aggregate."""
    prof = demo.conn.execute("SELECT pipeline.profile(doc) FROM demo_orders").fetchone()[0]
    if not prof:
        return
    demo.say(f"\nprofile of the {prof['documents']} inserted orders (pipeline.profile):")
    demo.say(f"  {'field':<16} {'count':>6} {'nulls':>6} {'distinct':>9}  min .. max")
    for path in ["/id", "/email", "/country", "/amount", "/status", "/items/*/price", "/coupon"]:
        f = prof["fields"].get(path)
        if not f:
            continue
        rng = f"{f['min']} .. {f['max']}" if "min" in f else ""
        demo.say(f"  {path:<16} {f['count']:>6} {f['nulls']:>6} {f.get('distinct', ''):>9}  {rng}")


def step_dry_run(demo):
    """Before tightening the rules: what would a stricter version do to the stored
    orders and to the quarantined ones? (pipeline.test writes nothing)"""
    stricter = copy.deepcopy(INGEST_SPEC)
    stricter["schema"]["properties"]["amount"]["maximum"] = 1000
    r = demo.conn.execute(
        "SELECT checked, failed, newly_failing, rejects_checked, rejects_accepted, failures"
        "  FROM pipeline.test('orders_ingest', %s, 'demo_orders', 'doc')", (Jsonb(stricter),)).fetchone()
    demo.say(f"\ndry run of a stricter version (amount at most 1000) against the stored orders:")
    demo.say(f"  {r[0]} checked, {r[1]} would fail ({r[2]} of them pass today); "
             f"{r[4]} of {r[3]} quarantined records it would accept")
    for f in r[5][:3]:
        demo.say(f"  {f['count']:>5} x {f['keywordLocation']}: e.g. {f['example']['error']}")


STEPS = [step_setup, step_define, step_generate, step_validate, step_report, step_crosscheck,
         step_ingest, step_dry_run, step_profile]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=5000, help="orders to generate (5000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (42)")
    p.add_argument("--invalid-rate", type=float, default=0.10, help="share broken on purpose (0.10)")
    p.add_argument("--batch", type=int, default=1000, help="records per round trip (1000)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when the database and the generator disagree")
    args = p.parse_args(argv)
    with psycopg.connect(autocommit=True) as conn:
        demo = Demo(conn, args)
        for step in STEPS:
            step(demo)
    if args.strict and (getattr(demo, "mismatches", 0) or getattr(demo, "ingest_mismatch", False)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
