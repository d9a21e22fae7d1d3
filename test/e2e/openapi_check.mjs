// openapi_check - holds a notifier's answers to its OpenAPI document, with
// pinned npm validators (package.json): @seriousme/openapi-schema-validator
// for the document (OpenAPI 3.1, every $ref resolves) and ajv's 2020-12
// dialect with ajv-formats for every answer's body.
//
// stdin: {"document": the served /api/openapi.json,
//         "answers": [{"method", "path" (with its query), "status",
//                      "type" (Content-Type), "body" (text)}, ...]}
// stdout: "ok - ..." / "not ok - what: why", the document's lines first,
// then one line per kind of answer (method, path template, status, media
// type); exit 1 when a line is "not ok". test/e2e/notifier_env.py
// collects the answers (Notifier(check_api=True)) and runs this once per
// notifier (Cases.check_api).
import fs from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";

const DOC_ID = "https://gatewatch.invalid/openapi.json";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
let failed = 0;

function ok(what) {
  console.log(`ok - ${what}`);
}

function notOk(what, why) {
  failed++;
  console.log(`not ok - ${what}: ${String(why).replace(/\n/g, " | ").slice(0, 2000)}`);
}

// JSON pointer to a node of the document, for ajv's $ref.
function pointer(parts) {
  return DOC_ID + "#/" + parts.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

function resolve(doc, node, at) {
  for (let i = 0; node && node.$ref && i < 20; i++) {
    at = node.$ref.slice(2).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    node = at.reduce((o, k) => (o == null ? undefined : o[k]), doc);
  }
  return [node, at];
}

async function checkDocument(doc) {
  const v = new Validator();
  const res = await v.validate(structuredClone(doc));
  if (res.valid && v.version === "3.1") ok("the document is OpenAPI 3.1 and every $ref resolves");
  else notOk("the document is OpenAPI 3.1 and every $ref resolves",
    res.valid ? `version ${v.version}` : JSON.stringify(res.errors).slice(0, 1500));
  // What a schema cannot say: each operation declares exactly the
  // parameters its path template names.
  const wrong = [];
  for (const [path, item] of Object.entries(doc.paths || {})) {
    const names = [...path.matchAll(/{(\w+)}/g)].map((m) => m[1]).sort();
    for (const m of METHODS.filter((k) => item[k])) {
      const params = [...(item.parameters || []), ...(item[m].parameters || [])].map((p) => resolve(doc, p)[0]);
      const declared = params.filter((p) => p && p.in === "path").map((p) => p.name).sort();
      if (declared.join() !== names.join()) wrong.push(`${m.toUpperCase()} ${path}: ${declared}`);
    }
  }
  if (wrong.length === 0) ok("every operation declares the parameters its path names");
  else notOk("every operation declares the parameters its path names", wrong.join("; "));
  return res.valid;
}

// The path template of the document that path matches: literal segments
// beat {parameters} (/api/stats/today before /api/stats/day/{date}).
function template(doc, path) {
  const segs = path.split("?")[0].split("/");
  let best = null;
  let bestScore = -1;
  for (const t of Object.keys(doc.paths || {})) {
    const ts = t.split("/");
    if (ts.length !== segs.length) continue;
    let score = 0;
    let match = true;
    for (let i = 0; i < ts.length && match; i++) {
      if (/^{\w+}$/.test(ts[i])) match = segs[i] !== "";
      else if (ts[i] === decodeURIComponent(segs[i])) score++;
      else match = false;
    }
    if (match && score > bestScore) [best, bestScore] = [t, score];
  }
  return best;
}

function mediaKey(t) {
  return t.toLowerCase().replace(/\s*;\s*/g, "; ").trim();
}

// [response object, its location] for an answer, or a string saying why none.
function documented(doc, a, tpl) {
  const method = a.method.toLowerCase();
  let responses;
  let at;
  if (tpl === null) {
    // a path the document does not have: only the refusal it documents for that
    if (a.status !== 404) return "a path the document does not have";
    return resolve(doc, { $ref: "#/components/responses/NotFound" });
  }
  const op = doc.paths[tpl][method];
  if (!op) {
    if (a.status !== 405) return `${a.method} is not documented for ${tpl}`;
    return resolve(doc, { $ref: "#/components/responses/MethodNotAllowed" });
  }
  responses = op.responses || {};
  const code = String(a.status);
  const key = [code, code[0] + "XX", "default"].find((k) => k in responses);
  if (key === undefined) return `status ${code} is not documented (${Object.keys(responses)})`;
  at = ["paths", tpl, method, "responses", key];
  return resolve(doc, responses[key], at);
}

function checkAnswers(doc, answers) {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // OpenAPI 3.1's own keywords: the document's top and its schemas' annotations.
  ajv.addVocabulary(["openapi", "info", "servers", "security", "paths", "components", "webhooks", "tags",
    "externalDocs", "jsonSchemaDialect", "discriminator", "xml", "example"]);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  const kinds = new Map(); // kind -> {n, errors}
  const compiled = new Map();
  for (const a of answers) {
    const tpl = template(doc, a.path);
    const type = mediaKey(a.type || "");
    const base = type.split(";")[0];
    const kind = `${a.method} ${tpl ?? a.path.split("?")[0]} ${a.status}${base ? " " + base : ""}`;
    if (!kinds.has(kind)) kinds.set(kind, { n: 0, errors: [] });
    const k = kinds.get(kind);
    k.n++;
    const fail = (why) => k.errors.push(`${a.method} ${a.path}: ${why}`);
    const got = documented(doc, a, tpl);
    if (typeof got === "string") {
      fail(got);
      continue;
    }
    const [resp, at] = got;
    const content = resp.content || {};
    if (Object.keys(content).length === 0) {
      if (a.body !== "") fail(`a body where the document has none: ${a.body.slice(0, 100)}`);
      else if (a.type) fail(`Content-Type ${a.type} on an answer without a body`);
      continue;
    }
    const mkey = Object.keys(content).find((m) => mediaKey(m) === type) ??
      Object.keys(content).find((m) => mediaKey(m).split(";")[0] === base);
    if (mkey === undefined) {
      fail(`${a.type || "no Content-Type"}, documented ${Object.keys(content)}`);
      continue;
    }
    if (!/^application\/(.+\+)?json$/.test(base)) continue; // CSV: the media type is what is documented
    let body;
    try {
      body = JSON.parse(a.body);
    } catch (e) {
      fail(`not JSON: ${e.message}`);
      continue;
    }
    const ref = pointer([...at, "content", mkey, "schema"]);
    if (!compiled.has(ref)) compiled.set(ref, ajv.compile({ $ref: ref }));
    const validate = compiled.get(ref);
    if (!validate(body)) fail(ajv.errorsText(validate.errors, { dataVar: "body" }));
  }
  for (const [kind, k] of [...kinds].sort()) {
    const what = `${kind} (${k.n}) validates against the document`;
    if (k.errors.length === 0) ok(what);
    else notOk(what, `${k.errors.length} of ${k.n}: ${k.errors.slice(0, 3).join("; ")}`);
  }
  if (kinds.size === 0) notOk("answers to check", "none were collected");
}

const input = JSON.parse(fs.readFileSync(0, "utf8"));
if (await checkDocument(input.document)) {
  try {
    checkAnswers(input.document, input.answers || []);
  } catch (e) { // a schema ajv refuses (strict mode): the document is wrong
    notOk("the document's schemas compile", e.message);
  }
}
process.exit(failed ? 1 : 0);
