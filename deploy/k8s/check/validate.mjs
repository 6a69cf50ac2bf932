// node deploy/k8s/check/validate.mjs FILE.yaml
// Validates every object of FILE against the Kubernetes JSON schemas (kubernetes-models), then applies the review
// rules a workload of this project must meet. Prints "ok KIND/NAME" per valid object and one line per problem;
// exits 1 when there is any problem. Install once: npm install --prefix deploy/k8s/check (.ci/install does).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const file = process.argv[2];
const problems = [];
const objects = [];
for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
  if (doc.errors.length) { problems.push(`YAML: ${doc.errors.map(e => e.message).join("; ")}`); continue; }
  const obj = doc.toJS();
  if (!obj) continue;
  const id = `${obj.kind}/${obj.metadata?.name}`;
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  let models;
  try { models = await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`); }
  catch { problems.push(`${id}: unknown apiVersion ${obj.apiVersion}`); continue; }
  const Model = models[obj.kind];
  if (!Model) { problems.push(`${id}: no kind ${obj.kind} in ${obj.apiVersion}`); continue; }
  try { new Model(obj).validate(); objects.push(obj); console.log(`ok ${id}`); }
  catch (e) { problems.push(`${id}: ${e.message}`); }
}

const selects = (selector, labels) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
for (const w of objects.filter(o => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind))) {
  const id = `${w.kind}/${w.metadata.name}`;
  const pod = w.spec.template;
  const labels = pod.metadata?.labels;
  if (pod.spec.securityContext?.runAsNonRoot !== true) problems.push(`${id}: pod securityContext.runAsNonRoot is not true`);
  if (pod.spec.securityContext?.seccompProfile?.type !== "RuntimeDefault") problems.push(`${id}: pod seccompProfile is not RuntimeDefault`);
  for (const c of pod.spec.containers) {
    const sc = c.securityContext ?? {};
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${id} container ${c.name}: readOnlyRootFilesystem is not true`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${id} container ${c.name}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) problems.push(`${id} container ${c.name}: capabilities do not drop ALL`);
    for (const e of c.env ?? []) {
      if (/TOKEN|PASSWORD|CONNECTION|SECRET/i.test(e.name) && e.value !== undefined) problems.push(`${id} container ${c.name}: secret ${e.name} given as a literal, not from a Secret`);
    }
    if (!c.readinessProbe || !c.livenessProbe) problems.push(`${id} container ${c.name}: needs readiness and liveness probes`);
  }
  if (pod.metadata?.annotations?.["prometheus.io/scrape"] !== "true") problems.push(`${id}: no prometheus.io/scrape annotation`);
  if (!pod.spec.topologySpreadConstraints?.length && !pod.spec.affinity?.podAntiAffinity) problems.push(`${id}: replicas may share a machine (no topology spread or anti-affinity)`);
  const pdb = objects.find(o => o.kind === "PodDisruptionBudget" && selects(o.spec.selector, labels));
  if (!pdb) problems.push(`${id}: no PodDisruptionBudget selects it`);
  else if (pdb.spec.maxUnavailable !== 1) problems.push(`${id}: PodDisruptionBudget/${pdb.metadata.name} maxUnavailable is ${pdb.spec.maxUnavailable}, not 1`);
  if (!objects.some(o => o.kind === "NetworkPolicy" && selects(o.spec.podSelector, labels))) problems.push(`${id}: no NetworkPolicy selects it`);
}

for (const p of problems) console.log(p);
process.exit(problems.length ? 1 : 0);
