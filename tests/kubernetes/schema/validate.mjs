// Validates Kubernetes objects against the official schemas, through the npm package
// kubernetes-models (JSON schemas generated from the Kubernetes OpenAPI spec, checked by ajv).
//
//   node validate.mjs objects.json     # or: ... | node validate.mjs -
//   node validate.mjs --lines          # a long-lived checker (the test API server's)
//
// Input: a JSON array of objects, a List ({"items": [...]}, as `k4ds launch --dry-run -o json`
// prints it) or the API's dry-run reply ({"objects": [...]}). Exit 0 when every object is valid; 1 with one line per problem otherwise;
// 2 when the input cannot be read. Besides the schema, checks what the schemas leave to the API
// server and k4ds relies on: names are DNS labels, label keys/values are well formed.
// With --lines: one such input per line on stdin, and for each one line on stdout,
// {"exit": 0|1|2, "stdout": "...", "stderr": "..."}: what a run on that input alone would have
// exited with and printed. Ends at the end of stdin.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

// Kinds k4ds only reads, named by Kubernetes itself with DNS subdomains ("pod.17a3f…" Events,
// "ip-10-0-0-1.ec2.internal" Nodes); k4ds's own objects get DNS labels.
const subdomainNamed = new Set(["Event", "Node"]);
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function extraChecks(obj) {
  const problems = [];
  const name = obj?.metadata?.name ?? "";
  if (subdomainNamed.has(obj.kind)) {
    if (!dnsSubdomain.test(name) || name.length > 253) problems.push(`metadata.name "${name}" is not a DNS subdomain`);
  } else if (!dnsLabel.test(name) || name.length > 63) problems.push(`metadata.name "${name}" is not a DNS label`);
  if (obj.kind === "Service" && !/^[a-z]/.test(name)) problems.push(`Service name "${name}" must start with a letter`);
  const ns = obj?.metadata?.namespace;
  if (ns !== undefined && (!dnsLabel.test(ns) || ns.length > 63)) problems.push(`metadata.namespace "${ns}" is not a DNS label`);
  for (const [k, v] of Object.entries(obj?.metadata?.labels ?? {})) {
    if (!labelKey.test(k) || k.split("/").pop().length > 63) problems.push(`label key "${k}" is invalid`);
    if (typeof v !== "string" || !labelValue.test(v) || v.length > 63) problems.push(`label ${k}="${v}" has an invalid value`);
  }
  return problems;
}

// What a run on `input` (a JSON text named `source`) exits with and prints.
async function check(text, source) {
  const out = [];
  const err = [];
  let input;
  try {
    input = JSON.parse(text);
  } catch (e) {
    err.push(`cannot read the objects from ${source}: ${e.message}`);
    return { exit: 2, out, err };
  }
  const objects = Array.isArray(input) ? input : (input?.objects ?? input?.items);
  if (!Array.isArray(objects) || objects.length === 0) {
    err.push(`${source} holds no objects: expected an array, {"items": [...]} or {"objects": [...]}`);
    return { exit: 2, out, err };
  }
  let failures = 0;
  for (const [i, obj] of objects.entries()) {
    const where = `object ${i} (${obj?.kind ?? "?"} ${obj?.metadata?.name ?? "?"})`;
    const apiVersion = obj?.apiVersion ?? "";
    const kind = obj?.kind ?? "";
    if (!/^[A-Za-z0-9.\/]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) {
      out.push(`${where}: missing or malformed apiVersion/kind`);
      failures++;
      continue;
    }
    let Model;
    try {
      ({ [kind]: Model } = await import(`kubernetes-models/${apiVersion}/${kind}`));
    } catch {
      Model = undefined;
    }
    if (!Model) {
      out.push(`${where}: ${apiVersion} ${kind} is not a known Kubernetes kind`);
      failures++;
      continue;
    }
    const problems = [];
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(e.message);
    }
    problems.push(...extraChecks(obj));
    for (const p of problems) out.push(`${where}: ${p}`);
    if (problems.length) failures++;
  }
  out.push(failures ? `${failures} of ${objects.length} objects are invalid` : `${objects.length} objects are valid`);
  return { exit: failures ? 1 : 0, out, err };
}

const source = process.argv[2] ?? "-";
if (source === "--lines") {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const r = await check(line, "stdin");
    const stdout = r.out.map((l) => l + "\n").join("");
    const stderr = r.err.map((l) => l + "\n").join("");
    process.stdout.write(JSON.stringify({ exit: r.exit, stdout, stderr }) + "\n");
  }
} else {
  let text;
  try {
    text = readFileSync(source === "-" ? 0 : source, "utf8");
  } catch (e) {
    console.error(`cannot read the objects from ${source}: ${e.message}`);
    process.exit(2);
  }
  const r = await check(text, source);
  for (const l of r.err) console.error(l);
  for (const l of r.out) console.log(l);
  process.exit(r.exit);
}
