// Validates Kubernetes objects against the official schemas, through the npm package
// kubernetes-models (JSON schemas generated from the Kubernetes OpenAPI spec, checked by ajv).
//
//   node validate.mjs objects.json     # or: ... | node validate.mjs -
//
// Input: a JSON array of objects, a List ({"items": [...]}, as `k4ds launch --dry-run -o json`
// prints it) or the API's dry-run reply ({"objects": [...]}). Exit 0 when every object is valid; 1 with one line per problem otherwise;
// 2 when the input cannot be read. Besides the schema, checks what the schemas leave to the API
// server and k4ds relies on: names are DNS labels, label keys/values are well formed.
import { readFileSync } from "node:fs";

const source = process.argv[2] ?? "-";
let input;
try {
  input = JSON.parse(readFileSync(source === "-" ? 0 : source, "utf8"));
} catch (e) {
  console.error(`cannot read the objects from ${source}: ${e.message}`);
  process.exit(2);
}
const objects = Array.isArray(input) ? input : (input.objects ?? input.items);
if (!Array.isArray(objects) || objects.length === 0) {
  console.error(`${source} holds no objects: expected an array, {"items": [...]} or {"objects": [...]}`);
  process.exit(2);
}

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

let failures = 0;
for (const [i, obj] of objects.entries()) {
  const where = `object ${i} (${obj?.kind ?? "?"} ${obj?.metadata?.name ?? "?"})`;
  const apiVersion = obj?.apiVersion ?? "";
  const kind = obj?.kind ?? "";
  if (!/^[A-Za-z0-9.\/]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) {
    console.log(`${where}: missing or malformed apiVersion/kind`);
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
    console.log(`${where}: ${apiVersion} ${kind} is not a known Kubernetes kind`);
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
  for (const p of problems) console.log(`${where}: ${p}`);
  if (problems.length) failures++;
}
console.log(failures ? `${failures} of ${objects.length} objects are invalid` : `${objects.length} objects are valid`);
process.exit(failures ? 1 : 0);
