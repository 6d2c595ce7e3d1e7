// ajv's side of the benchmark: compile a schema once, parse the documents
// beforehand (as the other validators get them), then time validation of
// every document, best of N runs.  Prints one JSON line:
//   {"us": per document, "valid": count, "n": documents, "times": [s, ...]}
// usage: node validate.js SCHEMA.json DOCS.jsonl RUNS
"use strict";
const fs = require("fs");
const Ajv2020 = require("ajv/dist/2020").default;
const Ajv2019 = require("ajv/dist/2019").default;
const Ajv07 = require("ajv").default;
const addFormats = require("ajv-formats").default;

function compile(schema) {
  const draft = String(schema.$schema || "");
  const Cls = draft.includes("2020-12") ? Ajv2020 : draft.includes("2019-09") ? Ajv2019 : Ajv07;
  // strict off: the benchmark's schemas are standard JSON Schema, not ajv's strict dialect
  const ajv = new Cls({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

function main() {
  const [schemaPath, docsPath, runsArg] = process.argv.slice(2);
  const validate = compile(JSON.parse(fs.readFileSync(schemaPath, "utf8")));
  const docs = fs.readFileSync(docsPath, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
  const runs = Number(runsArg || 5);
  const times = [];
  let valid = 0;
  for (let r = 0; r <= runs; r++) {           // the first round warms the JIT up
    valid = 0;
    const t0 = process.hrtime.bigint();
    for (const d of docs) if (validate(d)) valid++;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r > 0) times.push(s);
  }
  const best = Math.min(...times);
  console.log(JSON.stringify({ us: (best / docs.length) * 1e6, valid, n: docs.length, times }));
}

main();
