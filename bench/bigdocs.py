"""Deterministic generators of big documents and giant schemas.

    geojson(pairs=100_000, seed=0)   -> (doc, schema)   ~2 MB FeatureCollection of [lon, lat] pairs,
                                                         schema checks types and array lengths only
    catalog(target=500_000, seed=0)  -> (doc, schema)   ~500 KB event catalog: nested objects,
                                                         maps (additionalProperties with a schema), arrays
    fhir(resources=150, props=30)    -> schema           FHIR-shaped: root oneOf over ~150 $refs, each
                                                         branch told apart by a "resourceType" const
    fhir_patient(seed=0)             -> doc              a ~2 KB resource valid against fhir()

Same arguments -> the same output on any machine and Python 3 version.

CLI: python3 bench/bigdocs.py geojson|catalog|fhir|fhir_patient [--schema] > out.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def geojson(pairs=100_000, seed=0):
    """A FeatureCollection of LineStrings holding `pairs` [lon, lat] pairs in all."""
    rnd = random.Random(f"geojson-{seed}")
    features = []
    left = pairs
    i = 0
    while left > 0:
        n = min(left, 5000)
        coords = [[round(rnd.uniform(-180, 180), 6), round(rnd.uniform(-90, 90), 6)] for _ in range(n)]
        features.append({"type": "Feature", "id": i,
                         "properties": {"name": f"track {i}", "kind": "road"},
                         "geometry": {"type": "LineString", "coordinates": coords}})
        left -= n
        i += 1
    doc = {"type": "FeatureCollection", "features": features}
    position = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}
    schema = {
        "$schema": DRAFT7,
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string"},
            "features": {"type": "array", "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string"},
                    "id": {"type": ["string", "number"]},
                    "properties": {"type": ["object", "null"]},
                    "geometry": {
                        "type": "object",
                        "required": ["type", "coordinates"],
                        "properties": {
                            "type": {"type": "string"},
                            "coordinates": {"type": "array", "minItems": 2, "items": position},
                        },
                    },
                },
            }},
        },
    }
    return doc, schema


WORDS = ["alpha", "bravo", "concert", "delta", "echo", "festival", "gala", "harbor", "indie", "jazz",
         "kino", "lumen", "matinee", "noir", "opera", "piano", "quartet", "recital", "salsa", "tango"]


def _event(rnd, i, venues):
    return {
        "id": i,
        "name": " ".join(rnd.choice(WORDS) for _ in range(3)),
        "description": None if rnd.random() < 0.3 else " ".join(rnd.choice(WORDS) for _ in range(12)),
        "subTopicIds": [rnd.randrange(1, 400) for _ in range(rnd.randrange(1, 5))],
        "topicIds": [rnd.randrange(1, 40) for _ in range(rnd.randrange(1, 3))],
        "logo": None if rnd.random() < 0.5 else f"/images/{i}.jpg",
        "venue": {"id": rnd.choice(venues), "name": rnd.choice(WORDS).title()},
    }


def _performance(rnd, i, events):
    return {
        "id": 100000 + i,
        "eventId": rnd.choice(events),
        "start": 1372000000000 + rnd.randrange(10**9),
        "venueCode": rnd.choice(["PLEYEL", "OLYMPIA", "ZENITH"]),
        "seatCategories": [
            {"seatCategoryId": rnd.randrange(1000, 9999),
             "areas": [{"areaId": rnd.randrange(200000, 299999), "blockIds": []}
                       for _ in range(rnd.randrange(1, 4))]}
            for _ in range(rnd.randrange(1, 4))
        ],
        "prices": [{"amount": rnd.randrange(500, 50000), "audienceSubCategoryId": 337100890,
                    "seatCategoryId": rnd.randrange(1000, 9999)} for _ in range(rnd.randrange(1, 4))],
        "name": None,
        "logo": None,
    }


def catalog(target=500_000, seed=0):
    """A catalog of events and performances, ~target bytes of JSON text."""
    rnd = random.Random(f"catalog-{seed}")
    venues = [f"V{k}" for k in range(50)]
    doc = {"areaNames": {}, "audienceSubCategoryNames": {"337100890": "Adult"}, "events": {},
           "performances": [], "seatCategoryNames": {}, "subTopicNames": {}, "topicNames": {},
           "venueNames": {v: rnd.choice(WORDS).title() for v in venues}}
    for k in range(300):
        doc["areaNames"][str(200000 + k)] = " ".join(rnd.choice(WORDS) for _ in range(2))
        doc["seatCategoryNames"][str(1000 + k)] = rnd.choice(WORDS)
        doc["subTopicNames"][str(k)] = rnd.choice(WORDS)
    for k in range(40):
        doc["topicNames"][str(k)] = rnd.choice(WORDS)
    i = 0
    size = len(json.dumps(doc))
    while size < target:
        ev = _event(rnd, 138586341 + i, venues)
        doc["events"][str(ev["id"])] = ev
        perf = _performance(rnd, i, list(doc["events"]))
        perf["eventId"] = ev["id"]
        doc["performances"].append(perf)
        size += len(json.dumps(ev)) + len(json.dumps(perf))
        i += 1
    names = {"type": "object", "additionalProperties": {"type": "string"}}
    ids = {"type": "array", "items": {"type": "integer"}}
    nullable_str = {"type": ["string", "null"]}
    event = {"type": "object", "additionalProperties": False,
             "required": ["id", "name", "subTopicIds", "topicIds", "venue"],
             "properties": {"id": {"type": "integer"}, "name": {"type": "string", "minLength": 1},
                            "description": nullable_str, "subTopicIds": ids, "topicIds": ids,
                            "logo": nullable_str,
                            "venue": {"type": "object", "required": ["id"],
                                      "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}}}
    area = {"type": "object", "required": ["areaId", "blockIds"],
            "properties": {"areaId": {"type": "integer"}, "blockIds": {"type": "array"}}}
    performance = {"type": "object", "required": ["id", "eventId", "start", "prices", "seatCategories"],
                   "properties": {"id": {"type": "integer"}, "eventId": {"type": "integer"},
                                  "start": {"type": "integer", "minimum": 0},
                                  "venueCode": {"type": "string", "enum": ["PLEYEL", "OLYMPIA", "ZENITH"]},
                                  "seatCategories": {"type": "array", "items": {
                                      "type": "object", "required": ["areas", "seatCategoryId"],
                                      "properties": {"seatCategoryId": {"type": "integer"},
                                                     "areas": {"type": "array", "items": area}}}},
                                  "prices": {"type": "array", "items": {
                                      "type": "object", "required": ["amount", "seatCategoryId"],
                                      "properties": {"amount": {"type": "integer", "minimum": 0},
                                                     "audienceSubCategoryId": {"type": "integer"},
                                                     "seatCategoryId": {"type": "integer"}}}},
                                  "name": nullable_str, "logo": nullable_str}}
    schema = {"$schema": DRAFT7, "type": "object",
              "required": ["events", "performances"],
              "properties": {"areaNames": names, "audienceSubCategoryNames": names,
                             "events": {"type": "object", "additionalProperties": event},
                             "performances": {"type": "array", "items": performance},
                             "seatCategoryNames": names, "subTopicNames": names, "topicNames": names,
                             "venueNames": names}}
    return doc, schema


COMMON = ["id", "meta", "implicitRules", "language", "text", "contained", "extension",
          "modifierExtension", "identifier", "status"]
DATATYPES = {
    "string": {"type": "string", "pattern": "^[ \\r\\n\\t\\S]+$"},
    "id": {"type": "string", "pattern": "^[A-Za-z0-9\\-\\.]{1,64}$"},
    "code": {"type": "string", "pattern": "^[^\\s]+(\\s[^\\s]+)*$"},
    "uri": {"type": "string", "pattern": "^\\S*$"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"},
    "Extension": {"type": "object", "additionalProperties": False,
                  "properties": {"url": {"$ref": "#/definitions/uri"}, "valueString": {"$ref": "#/definitions/string"}}},
    "Meta": {"type": "object", "additionalProperties": False,
             "properties": {"versionId": {"$ref": "#/definitions/id"}, "lastUpdated": {"type": "string"},
                            "source": {"$ref": "#/definitions/uri"}}},
    "Coding": {"type": "object", "additionalProperties": False,
               "properties": {"system": {"$ref": "#/definitions/uri"}, "code": {"$ref": "#/definitions/code"},
                              "display": {"$ref": "#/definitions/string"}}},
    "CodeableConcept": {"type": "object", "additionalProperties": False,
                        "properties": {"coding": {"type": "array", "items": {"$ref": "#/definitions/Coding"}},
                                       "text": {"$ref": "#/definitions/string"}}},
    "Identifier": {"type": "object", "additionalProperties": False,
                   "properties": {"use": {"enum": ["usual", "official", "temp", "secondary", "old"]},
                                  "system": {"$ref": "#/definitions/uri"}, "value": {"$ref": "#/definitions/string"},
                                  "type": {"$ref": "#/definitions/CodeableConcept"}}},
    "HumanName": {"type": "object", "additionalProperties": False,
                  "properties": {"use": {"enum": ["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"]},
                                 "family": {"$ref": "#/definitions/string"},
                                 "given": {"type": "array", "items": {"$ref": "#/definitions/string"}},
                                 "prefix": {"type": "array", "items": {"$ref": "#/definitions/string"}}}},
    "ContactPoint": {"type": "object", "additionalProperties": False,
                     "properties": {"system": {"enum": ["phone", "fax", "email", "pager", "url", "sms", "other"]},
                                    "value": {"$ref": "#/definitions/string"},
                                    "use": {"enum": ["home", "work", "temp", "old", "mobile"]}}},
    "Address": {"type": "object", "additionalProperties": False,
                "properties": {"use": {"enum": ["home", "work", "temp", "old", "billing"]},
                               "line": {"type": "array", "items": {"$ref": "#/definitions/string"}},
                               "city": {"$ref": "#/definitions/string"}, "postalCode": {"$ref": "#/definitions/string"},
                               "country": {"$ref": "#/definitions/string"}}},
    "Reference": {"type": "object", "additionalProperties": False,
                  "properties": {"reference": {"$ref": "#/definitions/string"},
                                 "display": {"$ref": "#/definitions/string"}}},
    "Narrative": {"type": "object", "additionalProperties": False, "required": ["div"],
                  "properties": {"status": {"enum": ["generated", "extensions", "additional", "empty"]},
                                 "div": {"type": "string"}}},
}
FIELD_TYPES = ["string", "code", "boolean", "date", "CodeableConcept", "Identifier", "HumanName",
               "ContactPoint", "Address", "Reference", "uri", "Coding"]


def _resource_names(n):
    base = ["Patient", "Observation", "Encounter", "Condition", "Procedure", "Practitioner",
            "Organization", "Medication", "MedicationRequest", "AllergyIntolerance"]
    return base + [f"Resource{k:03d}" for k in range(n - len(base))]


def fhir(resources=150, props=30):
    """A FHIR-shaped schema: oneOf over every resource, each with a resourceType const."""
    rnd = random.Random("fhir")
    defs = dict(DATATYPES)
    names = _resource_names(resources)
    for name in names:
        p = {"resourceType": {"const": name}, "id": {"$ref": "#/definitions/id"},
             "meta": {"$ref": "#/definitions/Meta"}, "implicitRules": {"$ref": "#/definitions/uri"},
             "language": {"$ref": "#/definitions/code"}, "text": {"$ref": "#/definitions/Narrative"},
             "extension": {"type": "array", "items": {"$ref": "#/definitions/Extension"}},
             "identifier": {"type": "array", "items": {"$ref": "#/definitions/Identifier"}},
             "active": {"$ref": "#/definitions/boolean"}}
        if name == "Patient":
            p.update({"name": {"type": "array", "items": {"$ref": "#/definitions/HumanName"}},
                      "telecom": {"type": "array", "items": {"$ref": "#/definitions/ContactPoint"}},
                      "gender": {"enum": ["male", "female", "other", "unknown"]},
                      "birthDate": {"$ref": "#/definitions/date"},
                      "address": {"type": "array", "items": {"$ref": "#/definitions/Address"}},
                      "maritalStatus": {"$ref": "#/definitions/CodeableConcept"},
                      "managingOrganization": {"$ref": "#/definitions/Reference"}})
        while len(p) < props:
            t = rnd.choice(FIELD_TYPES)
            f = f"field{len(p)}{t}"
            p[f] = {"$ref": f"#/definitions/{t}"} if rnd.random() < 0.7 else \
                {"type": "array", "items": {"$ref": f"#/definitions/{t}"}}
        defs[name] = {"type": "object", "additionalProperties": False, "required": ["resourceType"],
                      "properties": p}
    return {"$schema": DRAFT7, "$id": "http://hl7.org/fhir/json-schema/4.0",
            "discriminator": {"propertyName": "resourceType"},
            "oneOf": [{"$ref": f"#/definitions/{name}"} for name in names],
            "definitions": defs}


def fhir_patient(seed=0):
    """A ~2 KB Patient resource valid against fhir()."""
    rnd = random.Random(f"patient-{seed}")
    return {
        "resourceType": "Patient", "id": f"example{seed}",
        "meta": {"versionId": "1", "lastUpdated": "2024-01-02T10:00:00Z"},
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Peter James Chalmers</div>"},
        "identifier": [{"use": "usual", "system": "urn:oid:1.2.36.146.595.217.0.1",
                        "value": str(rnd.randrange(10**8)),
                        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                             "code": "MR"}]}}],
        "active": True,
        "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"]},
                 {"use": "usual", "given": ["Jim"]},
                 {"use": "maiden", "family": "Windsor", "given": ["Peter", "James"], "prefix": ["Mr"]}],
        "telecom": [{"system": "phone", "value": "(03) 5555 6473", "use": "work"},
                    {"system": "phone", "value": "(03) 3410 5613", "use": "mobile"},
                    {"system": "email", "value": "p.chalmers@example.org", "use": "home"}],
        "gender": "male", "birthDate": "1974-12-25",
        "address": [{"use": "home", "line": ["534 Erewhon St", "Apartment 4"], "city": "PleasantVille",
                     "postalCode": "3999", "country": "AU"},
                    {"use": "work", "line": ["1 Hospital Rd"], "city": "Melbourne", "postalCode": "3000"}],
        "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                                      "code": "M", "display": "Married"}], "text": "Married"},
        "managingOrganization": {"reference": "Organization/1", "display": "Gastroenterology Clinic"},
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                       "valueString": "Sydney, Australia"},
                      {"url": "http://hl7.org/fhir/StructureDefinition/patient-nationality",
                       "valueString": "Australian"}],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["geojson", "catalog", "fhir", "fhir_patient"])
    ap.add_argument("--schema", action="store_true", help="print the schema instead of the document")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.kind == "fhir":
        out = fhir()
    elif a.kind == "fhir_patient":
        out = fhir_patient(a.seed)
    else:
        doc, schema = (geojson if a.kind == "geojson" else catalog)(seed=a.seed)
        out = schema if a.schema else doc
    json.dump(out, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
