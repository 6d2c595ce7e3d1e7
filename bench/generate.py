"""Deterministic generator of messy records for the specs in bench/specs/.

    records(kind, n, seed=0)       -> iterator of dicts  (kind: orders, customers, events, tweets)
    records_json(kind, n, seed=0)  -> iterator of JSON texts (one record each)

Same (kind, n, seed) -> the same records, on any machine and Python 3 version
(one random.Random seeded with a string; floats are written with repr). A
prefix is stable: records(k, 100, s) starts with records(k, 10, s).

The noise is what real feeds carry: whitespace and case noise, numbers as
strings, several date formats, country spellings, missing and extra fields,
wrong types, non-ASCII text (accents, CJK, emoji, combining marks), boundary
numbers. About 5-10% of the records are invalid after the spec's transforms
(test/test_reference.py pins the rate).

Limits on purpose (so that the differential test measures the engines, not
known differences, see bench/README.md): no NUL characters or lone surrogates
(jsonb refuses them), emails are either well formed or have no "@", patterns
in the specs use explicit classes ([0-9], not \\d).

CLI: python3 bench/generate.py orders -n 1000 --seed 1 > orders.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys

KINDS = ("orders", "customers", "events", "tweets")

FIRST = ["Anna", "Ben", "Chloé", "Dmitri", "Émile", "Fatima", "Günther", "Hana", "Ines", "José",
         "Kenji", "Lena", "Mateo", "Nadia", "Olu", "Priya", "Quentin", "Renée", "Søren", "Zoë",
         "太郎", "美咲", "Владимир", "Αλέξανδρος", "Ngozi", "Åsa", "Łukasz", "Ömer", "Siân", "Noël"]
LAST = ["Müller", "Smith", "García", "Nguyễn", "O'Brien", "Kowalski", "Dubois", "Rossi", "Silva",
        "Yamada", "山田", "Иванов", "Παπαδόπουλος", "Øvergaard", "Björk", "Çelik", "Straße",
        "van der Berg", "Okafor", "Lefèvre"]
ASCII_FIRST = ["anna", "ben", "chloe", "dmitri", "emile", "fatima", "gunther", "hana", "ines", "jose",
               "kenji", "lena", "mateo", "nadia", "olu", "priya", "quentin", "renee", "soren", "zoe"]
ASCII_LAST = ["mueller", "smith", "garcia", "nguyen", "obrien", "kowalski", "dubois", "rossi",
              "silva", "yamada", "ivanov", "bjork", "celik", "okafor", "lefevre"]
DOMAINS = ["example.com", "mail.example.org", "example.net", "corp.example.de", "example.co.jp"]
CITIES = ["Berlin", "São Paulo", "Zürich", "東京", "Kraków", "Montréal", "New York", "München",
          "İstanbul", "Reykjavík", "Αθήνα", "Москва", "Málaga", "Dübendorf", "서울", "Wrocław"]
WORDS = ["fragile", "gift wrap", "leave at door", "urgent", "café au lait", "naïve", "résumé",
         "お届け", "礼物", "🎁", "🚚💨", "✓ ok", "ça va", "straße", "ΣΟΦΙΑ", "e\u0301", "🇩🇪", "👩‍👩‍👧",
         "Ⅻ", "ﬁne", "½ price", "tab\there", "line\nbreak"]
COUNTRIES = {
    "US": ["us", "US", "USA", " usa ", "U.S.", "United States", "united states of america", "America"],
    "DE": ["de", "DE", "Germany", "germany", " GERMANY", "Deutschland", "DEU"],
    "FR": ["fr", "France", "FRANCE", "FRA"],
    "GB": ["gb", "GB", "UK", "uk", "United Kingdom", "Great Britain"],
    "JP": ["jp", "Japan", "JAPAN", "日本"],
    "BR": ["br", "Brazil", "Brasil"],
    "IN": ["in", "India", "IND"],
    "ES": ["es", "Spain", "España", "ESP"],
}
UNKNOWN_COUNTRIES = ["Atlantis", "U.S.A", "Germani", "Narnia", "XX", ""]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "BRL"]
STATUSES = ["pending", "paid", "shipped", "cancelled", "refunded"]
BOUNDARY_NUMBERS = [0, 1, -1, 0.005, 0.015, 1.005, 2.675, 12.345, 999999.995, 1000000.005, 1e-7,
                    5e-324, 1e308, 1.7976931348623157e308, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 53 + 1,
                    2 ** 63 - 1, 2 ** 63, 2 ** 64, -(2 ** 63), 123456789012345678901234567890,
                    0.1, 0.30000000000000004, 1e21, 9.999999999999999e22]
TRUTHY = [True, False, "yes", "no", "Y", "n", "TRUE", "false", " on ", "OFF", "1", "0", 1, 0, "t", "F"]
BAD_BOOL = ["maybe", "2", 2, "si", "да"]
EVENT_TYPES = ["click", "view", "purchase", "signup"]


class _Gen:
    def __init__(self, kind, seed):
        self.r = random.Random(f"pipeline-bench:{kind}:{seed}")

    # -- noise helpers
    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def ws(self, s, p=0.3):
        """Whitespace noise around s: spaces, tabs, newlines, a no-break or ideographic space."""
        if not self.chance(p):
            return s
        pads = [" ", "  ", "\t", "\n", " \u00a0", "\u3000", "\r\n", "\u2003"]
        return (self.pick(pads) if self.chance(0.7) else "") + s + (self.pick(pads) if self.chance(0.7) else "")

    def case(self, s, p=0.3):
        if not self.chance(p):
            return s
        return self.pick([s.upper(), s.lower(), s.title(), s.swapcase()])

    def text(self, lo=1, hi=5):
        return " ".join(self.pick(WORDS) for _ in range(self.r.randint(lo, hi)))

    def person(self):
        return self.pick(FIRST), self.pick(LAST)

    def email(self, invalid_p=0.01):
        local = f"{self.pick(ASCII_FIRST)}.{self.pick(ASCII_LAST)}"
        if self.chance(0.3):
            local += str(self.r.randint(1, 999))
        if self.chance(0.1):
            local += "+tag"
        domain = self.pick(DOMAINS)
        if self.chance(invalid_p):
            return self.pick([f"{local}(at){domain}", f"{local} at {domain}", local, f"{local}.{domain}"])
        return self.ws(self.case(f"{local}@{domain}", 0.2), 0.2)

    def amount_text(self):
        x = self.r.randint(0, 5_000_000) / self.pick([100, 1000, 100, 10])
        return x

    def timestamp(self, iso_only=False):
        """A moment between 1995 and 2035 in one of many spellings (all meaning UTC unless zoned).

        iso_only: only ISO 8601 and epoch spellings (what parse_timestamp reads without formats).
        """
        r = self.r
        y, mo, d = r.randint(1995, 2035), r.randint(1, 12), r.randint(1, 28)
        hh, mi, ss = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
        if self.chance(0.02):  # leap days, month ends
            mo, d = self.pick([(2, 29), (2, 28), (12, 31), (1, 31), (4, 30)])
            y = self.pick([2000, 2004, 2024, 2028, 2032])
        choice = r.randrange(14) if not iso_only else self.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12])
        if choice == 0:
            return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}Z"
        if choice == 1:
            return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}"
        if choice == 2:
            frac = self.pick(["1", "25", "500", "123456", "000001", "999999", "1234567", "9999995", "000000"])
            return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}.{frac}Z"
        if choice == 3:
            off = self.pick(["+02:00", "-05:00", "+05:30", "+0100", "-03", "+14:00", "-12:00", "+00:00"])
            return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}{off}"
        if choice == 4:
            return f"{y:04d}-{mo:02d}-{d:02d} {hh:02d}:{mi:02d}"
        if choice == 5:
            return f"{y:04d}-{mo:02d}-{d:02d}"
        if choice == 6:
            return f"{y:04d}-{mo:02d}-{d:02d}t{hh:02d}:{mi:02d}:{ss:02d}z"
        if choice == 7:
            return self.ws(f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}Z", 1.0)
        if choice == 8:
            return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d},5+01:00"
        if choice == 9:
            return f"{d:02d}/{mo:02d}/{y:04d}"
        if choice == 10:
            return r.randint(788918400, 2082758399)  # epoch seconds, 1995..2035
        if choice == 11:
            return str(r.randint(788918400, 2082758399))
        if choice == 12:
            return r.randint(788918400000, 2082758399000) / 1000  # fractional epoch seconds
        return f"{self.pick(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'JUL', 'aug', 'Sep', 'Oct', 'Nov', 'Dec'])} {d}, {y}"

    def bad_timestamp(self):
        return self.pick(["2024-13-01T00:00:00Z", "2023-02-29", "yesterday", "31/31/2024", "2024-05-01T25:00:00Z",
                          "", "1714571100000000", "2024/05/01", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00",
                          True, "2024-05-01T13:45:00+24:00"])

    def uuid(self):
        h = f"{self.r.getrandbits(128):032x}"
        h = h[:12] + "4" + h[13:16] + self.pick("89ab") + h[17:]
        u = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return u.upper() if self.chance(0.1) else u

    # -- orders
    def order(self, i):
        r = self.r
        rec = {}
        oid = f"ORD-{i % 1000000:06d}"
        rec["order_id"] = self.ws(self.case(oid, 0.2)) if not self.chance(0.004) else self.pick(
            ["ORD-12AB34", f"ORD{i:06d}", "order 7", 12345])
        if not self.chance(0.005):
            rec["customer_email"] = self.email(0.008)
        if self.chance(0.012):
            rec["country"] = self.ws(self.pick(UNKNOWN_COUNTRIES))
        elif not self.chance(0.004):
            rec["country"] = self.ws(self.case(self.pick(self.pick(list(COUNTRIES.values()))), 0.15), 0.25)
        x = self.amount_text()
        form = r.randrange(10)
        if self.chance(0.01):
            rec["amount"] = self.pick(BOUNDARY_NUMBERS + [str(b) for b in BOUNDARY_NUMBERS[:8]])
        elif self.chance(0.006):
            rec["amount"] = self.pick(["12,50", "$12.50", "twelve", None, [], {"value": 1}, True, "-5", "NaN", "1e2000"])
        elif form < 5:
            rec["amount"] = x
        elif form < 8:
            rec["amount"] = self.ws(f"{x}", 0.5)
        else:
            rec["amount"] = self.ws(f"{x:.3f}" if form == 8 else f"{x:.2e}", 0.3)
        rec["currency"] = self.ws(self.case(self.pick(CURRENCIES), 0.4), 0.2) if not self.chance(0.003) else "EURO"
        q = r.randint(1, 20)
        qform = r.randrange(8)
        if self.chance(0.006):
            rec["quantity"] = self.pick(["2.5", 0, -1, "many", [1], 10001, "1e9", 2.5])
        elif qform < 4:
            rec["quantity"] = q
        elif qform < 6:
            rec["quantity"] = self.ws(str(q), 0.6)
        elif qform == 6:
            rec["quantity"] = f"{q}.0"
        else:
            rec["quantity"] = float(q) if self.chance(0.5) else (True if q == 1 else f"{q}E0")
        rec["created_at"] = self.bad_timestamp() if self.chance(0.008) else self.timestamp()
        if not self.chance(0.15):
            rec["status"] = self.ws(self.case(self.pick(STATUSES), 0.3), 0.2) if not self.chance(0.004) else "lost"
        elif self.chance(0.3):
            rec["status"] = None
        if self.chance(0.7):
            rec["gift"] = self.pick(TRUTHY) if not self.chance(0.004) else self.pick(BAD_BOOL)
        if self.chance(0.4):
            rec["note"] = self.pick([None, self.text(), self.text(1, 2), ""]) if not self.chance(0.01) else "x" * 201
        if self.chance(0.3):
            rec["discount"] = self.pick([0, 0.1, 0.25, 0.5, 1, 0.333]) if not self.chance(0.01) else self.pick([1.5, "0.1", -0.1])
        if self.chance(0.2):
            rec[self.pick(["_source", "utm", "debug", "légende", "メモ"])] = self.pick(
                ["web", {"campaign": "spring", "n": 3}, [1, 2, 3], None, 42])
        return rec

    # -- customers
    def customer(self, i):
        r = self.r
        first, last = self.person()
        rec = {"customer_id": self.ws(f"C{r.randint(0, 99999999):08d}", 0.2) if not self.chance(0.004) else f"C{i}x"}
        name = f"{first} {last}"
        if self.chance(0.3):
            name = self.pick([f"  {first}   {last} ", f"{first}\t{last}", f"{first}\n {last}",
                              f"{first}\u3000{last}", f"\u00a0{first} {last}\u2009"])
        rec["name"] = name if not self.chance(0.01) else self.pick(["   ", "", None, 7])
        if not self.chance(0.004):
            rec["email"] = self.email(0.025)
        if self.chance(0.8):
            digits = f"{r.randint(200, 999)}{r.randint(1000000, 9999999)}"
            rec["phone"] = self.pick([f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}", f"+49 {digits}",
                                      digits, f"0{digits[:4]} {digits[4:]}", f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"])
            if self.chance(0.004):
                rec["phone"] = self.pick(["n/a", "12", 5551234])
        if self.chance(0.6):
            rec["company"] = self.pick(["  Acme   GmbH ", "", "   ", "Globex\tCorp", "株式会社 山田", "Café Müller & Söhne",
                                        None, "Initech"])
        if self.chance(0.7):
            rec["city"] = self.ws(self.pick(CITIES), 0.3)
        if self.chance(0.5):
            rec["notes"] = self.text(1, 40) if not self.chance(0.004) else self.pick([12, ["x"], {"a": 1}])
        if self.chance(0.6):
            rec["ssn"] = f"{r.randint(100, 899):03d}-{r.randint(10, 99):02d}-{r.randint(1000, 9999):04d}"
        if self.chance(0.5):
            tags = [self.pick(["vip", "b2b", "newsletter", "churn-risk", "trial", "beta", "ünïcode", "🔥"])
                    for _ in range(r.randint(0, 4))]
            rec["tags"] = list(dict.fromkeys(tags)) if not self.chance(0.02) else ["vip", "vip"]
        if self.chance(0.7):
            rec["marketing_opt_in"] = self.pick(TRUTHY) if not self.chance(0.004) else self.pick(BAD_BOOL)
        if self.chance(0.8):
            y, mo, d = r.randint(2000, 2025), r.randint(1, 12), r.randint(1, 28)
            rec["signup_date"] = self.pick([f"{y}-{mo:02d}-{d:02d}", f"{d:02d}.{mo:02d}.{y}", f"{mo}/{d}/{y}"]) \
                if not self.chance(0.004) else self.pick(["2021-02-30", "13/13/2020", "soon"])
        if self.chance(0.6):
            rec["country_code"] = self.ws(self.case(self.pick(["de", "us", "fr", "jp", "br"]), 0.5), 0.2) \
                if not self.chance(0.005) else self.pick(["DEU", "d", "1"])
        if self.chance(0.15):
            rec[self.pick(["legacy_id", "source", "ünknown", "crm"])] = self.pick([r.randint(1, 10 ** 6), "x", None, {}])
        return rec

    # -- events
    def event(self, i):
        r = self.r
        etype = self.pick(EVENT_TYPES)
        rec = {"event_id": self.uuid() if not self.chance(0.004) else self.pick(["evt-123", "", 17])}
        rec["type"] = self.ws(self.case(etype, 0.3), 0.2) if not self.chance(0.004) else "hover"
        rec["schema_version"] = self.pick([2, "2", " 2 ", 2.0, "2.0"]) if not self.chance(0.004) else self.pick([1, "3", "two"])
        if self.chance(0.01):
            rec["ts"] = self.pick(["2024-11-03T01:30:00", "2024-03-10T02:30:00", "2023-11-05 01:15",
                                   "2025-03-09T02:00:00", "2024-11-03T01:59:59.999999"])  # DST overlap / gap in New York
        else:
            rec["ts"] = self.timestamp(iso_only=not self.chance(0.01)) if not self.chance(0.006) else self.bad_timestamp()
        if not self.chance(0.004):
            rec["userId"] = self.pick([r.randint(1, 10 ** 6), str(r.randint(1, 10 ** 6)), r.randint(1, 2 ** 40)])
        if self.chance(0.003):
            rec["userId"] = self.pick([0, -5, "abc"])
        first, last = self.person()
        user = {}
        if self.chance(0.9):
            user["first"] = first
        if self.chance(0.8):
            user["last"] = last
        if self.chance(0.7):
            user["locale"] = self.pick(["de-DE", "en-US", "ja-JP", "pt-BR", "fr-CA"])
        if self.chance(0.3):
            user["tracking_cookie"] = f"{r.getrandbits(64):016x}"
        if self.chance(0.2):
            user["email"] = self.email(0)
        if user or self.chance(0.5):
            rec["user"] = user
        rec["session"] = {"id": f"s-{r.getrandbits(48):012x}",
                          "duration_ms": self.pick([r.randint(0, 600000), r.randint(0, 600000),
                                                    -r.randint(1, 1000), 10 ** 9, r.randint(0, 600000) + 0.5])}
        if self.chance(0.004):
            rec["session"]["duration_ms"] = "long"
        if etype == "click":
            payload = {"x": r.randint(0, 3840), "y": r.randint(0, 2160)}
        elif etype == "purchase":
            payload = {"sku": f"SKU-{r.randint(0, 9999):04d}", "price": self.pick([r.randint(0, 99999) / 100, 0, 19.99])}
        else:
            payload = {"page": self.pick(["/", "/home", "/produkte/über-uns", "/商品/123", "/search?q=caf%C3%A9"]),
                       "referrer": self.pick([None, "https://example.com/", "android-app://x"])}
        if self.chance(0.01):  # matches two shapes, or none
            payload = self.pick([{"x": 1, "y": 2, "page": "/"}, {"sku": "SKU-1", "price": 1}, {"x": "1", "y": 2}, {}])
        rec["payload"] = payload
        if self.chance(0.6):
            rec["tags"] = list(dict.fromkeys(self.pick(["mobile", "desktop", "a/b", "beta", "🧪", "früh"])
                                             for _ in range(r.randint(0, 3))))
            if self.chance(0.01):
                rec["tags"] = ["dup", "dup"]
        if self.chance(0.5):
            rec["temp_k"] = self.pick([r.randint(25000, 31500) / 100, 273.15, "300", r.randint(250, 315)]) \
                if not self.chance(0.01) else self.pick([0, "hot", 400])
        if self.chance(0.3):
            rec["debug"] = {"trace": [r.randint(0, 9) for _ in range(3)], "host": "app-1"}
        if self.chance(0.5):
            rec["source"] = {"ip": f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                             "ua": self.pick(["Mozilla/5.0", "curl/8.0", "Bot 🤖"])}
        if self.chance(0.012):
            rec[self.pick(["extra", "Type", "user_id"])] = 1
        return rec


    # -- tweet-like: ~1.6 KB, nested objects and arrays, ~30 properties, a strict
    # schema (bench/specs/tweets.json, no transforms); clean apart from ~6% with
    # one defect, as an API's output is
    def tweet_user(self, i):
        r = self.r
        first, last = self.person()
        return {"id": r.randint(1, 10**12), "id_str": str(r.randint(1, 10**12)),
                "name": f"{first} {last}", "screen_name": f"{self.pick(ASCII_FIRST)}_{r.randint(0, 9999)}",
                "location": self.pick(CITIES), "description": self.text(3, 8),
                "url": self.pick([None, f"https://{self.pick(DOMAINS)}/~{self.pick(ASCII_LAST)}"]),
                "protected": self.chance(0.05), "verified": self.chance(0.1),
                "followers_count": r.randint(0, 5_000_000), "friends_count": r.randint(0, 5000),
                "listed_count": r.randint(0, 1000), "favourites_count": r.randint(0, 100_000),
                "statuses_count": r.randint(0, 200_000),
                "created_at": self.iso(), "lang": self.pick(["en", "de", "ja", "pt", "fr", None])}

    def iso(self):
        r = self.r
        return (f"{r.randint(2006, 2030):04d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
                f"T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z")

    def tweet(self, i):
        r = self.r
        text = self.text(4, 14)
        tags = [{"text": self.pick(["pgsql", "json", "data", "café", "東京", "etl"]),
                 "indices": sorted([r.randint(0, 140), r.randint(0, 140)])} for _ in range(r.randint(0, 3))]
        urls = [{"url": f"https://t.example/{r.randint(0, 10**6):x}",
                 "expanded_url": f"https://{self.pick(DOMAINS)}/{self.pick(['a', 'b/c', 'über'])}",
                 "display_url": self.pick(DOMAINS), "indices": [r.randint(0, 70), r.randint(71, 140)]}
                for _ in range(r.randint(0, 2))]
        mentions = [{"id": r.randint(1, 10**12), "screen_name": f"{self.pick(ASCII_FIRST)}{r.randint(0, 99)}",
                     "indices": [r.randint(0, 70), r.randint(71, 140)]} for _ in range(r.randint(0, 3))]
        rec = {"id": 10**17 + i, "id_str": str(10**17 + i), "created_at": self.iso(), "text": text,
               "source": self.pick(["web", "android", "iphone", "api"]), "truncated": self.chance(0.1),
               "in_reply_to_status_id": self.pick([None, r.randint(1, 10**17)]),
               "user": self.tweet_user(i),
               "coordinates": self.pick([None, {"type": "Point", "coordinates": [r.uniform(-180, 180),
                                                                                 r.uniform(-90, 90)]}]),
               "place": self.pick([None, {"id": f"{r.randint(0, 16**8):08x}", "name": self.pick(CITIES),
                                          "country_code": self.pick(list(COUNTRIES))}]),
               "entities": {"hashtags": tags, "urls": urls, "user_mentions": mentions},
               "retweet_count": r.randint(0, 100_000), "favorite_count": r.randint(0, 500_000),
               "favorited": self.chance(0.2), "retweeted": self.chance(0.2),
               "possibly_sensitive": self.chance(0.02), "lang": self.pick(["en", "de", "ja", "pt", "und"]),
               "filter_level": self.pick(["none", "low", "medium"])}
        if self.chance(0.06):  # one defect: wrong type, bad format, extra key, missing key, out of range
            k = r.randrange(6)
            if k == 0:
                rec["retweet_count"] = str(rec["retweet_count"])
            elif k == 1:
                rec["created_at"] = "yesterday"
            elif k == 2:
                rec["user"]["undocumented"] = True
            elif k == 3:
                del rec["user"]["screen_name"]
            elif k == 4:
                rec["favorite_count"] = -1
            else:
                rec["lang"] = "english"
        return rec


_MAKERS = {"orders": _Gen.order, "customers": _Gen.customer, "events": _Gen.event, "tweets": _Gen.tweet}


def records(kind, n, seed=0):
    if kind not in _MAKERS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    g = _Gen(kind, seed)
    make = _MAKERS[kind]
    for i in range(n):
        yield make(g, i)


def records_json(kind, n, seed=0):
    for rec in records(kind, n, seed):
        yield json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=KINDS)
    ap.add_argument("-n", type=int, default=1000, help="number of records (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", help="file to write (default stdout), one JSON record a line")
    a = ap.parse_args(argv)
    out = open(a.output, "w", encoding="utf-8") if a.output else sys.stdout
    try:
        for line in records_json(a.kind, a.n, a.seed):
            out.write(line + "\n")
    finally:
        if a.output:
            out.close()


if __name__ == "__main__":
    main()
