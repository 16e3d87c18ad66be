/**
 * Document ranking for `--docs` on the shared runbook corpus: the hand-written BM25 the CLI
 * used before (on plain words, and on the CLI's terms: stemmed, CamelCase names split) against
 * the CLI's `SectionIndex` (MiniSearch on those terms, title field boosted twice). For each query the expected file is known from reading the corpus;
 * hit@k: that file is the source of one of the top k sections. Also: index build ms, mean query ms.
 *
 *   npm run bench:docsearch [-- CORPUS_DIR]
 */
import { resolve } from "node:path";
import { loadDocumentSections, SectionIndex, terms, tokenize, type DocumentSection } from "../src/cli/documents.js";

const CORPUS = resolve(process.argv[2] ?? "../shared/corpus");

/** A question as an on-call engineer types it → the file (under the corpus) that answers it. */
const QUERIES: [string, string][] = [
  ["pods keep crashing and restarting in a loop", "prometheus-operator/kubernetes/KubePodCrashLooping.md"],
  ["a node went not ready", "prometheus-operator/kubernetes/KubeNodeNotReady.md"],
  ["persistent volume is filling up, what do I do", "prometheus-operator/kubernetes/KubePersistentVolumeFillingUp.md"],
  ["the filesystem on a node is almost out of space", "prometheus-operator/node/NodeFilesystemAlmostOutOfSpace.md"],
  ["etcd has no leader", "prometheus-operator/etcd/etcdNoLeader.md"],
  ["etcd database quota running low on space", "prometheus-operator/etcd/etcdBackendQuotaLowSpace.md"],
  ["etcd fsync durations are high, disk slow", "prometheus-operator/etcd/etcdHighFsyncDurations.md"],
  ["alertmanager failed to send notifications", "prometheus-operator/alertmanager/AlertmanagerFailedToSendAlerts.md"],
  ["alertmanager config reload failed", "prometheus-operator/alertmanager/AlertmanagerFailedReload.md"],
  ["prometheus has a bad configuration and cannot reload", "prometheus-operator/prometheus/PrometheusBadConfig.md"],
  ["remote write is falling behind", "prometheus-operator/prometheus/PrometheusRemoteWriteBehind.md"],
  ["prometheus is not connected to any alertmanager", "prometheus-operator/prometheus/PrometheusNotConnectedToAlertmanagers.md"],
  ["TSDB compactions are failing", "prometheus-operator/prometheus/PrometheusTSDBCompactionsFailing.md"],
  ["rule evaluations are failing in prometheus", "prometheus-operator/prometheus/PrometheusRuleFailures.md"],
  ["containers are being CPU throttled", "prometheus-operator/kubernetes/CPUThrottlingHigh.md"],
  ["the HPA is maxed out at its max replicas", "prometheus-operator/kubernetes/KubeHpaMaxedOut.md"],
  ["a job failed to complete", "prometheus-operator/kubernetes/KubeJobFailed.md"],
  ["the kubelet client certificate is expiring", "prometheus-operator/kubernetes/KubeletClientCertificateExpiration.md"],
  ["too many pods on a kubelet", "prometheus-operator/kubernetes/KubeletTooManyPods.md"],
  ["statefulset update was not rolled out", "prometheus-operator/kubernetes/KubeStatefulSetUpdateNotRolledOut.md"],
  ["node clock is not synchronising, NTP", "prometheus-operator/node/NodeClockNotSynchronising.md"],
  ["conntrack table entries near the limit", "prometheus-operator/node/NodeHighNumberConntrackEntriesUsed.md"],
  ["the prometheus operator is failing to reconcile", "prometheus-operator/prometheus-operator/PrometheusOperatorReconcileErrors.md"],
  ["config reloader sidecar errors", "prometheus-operator/prometheus-operator/ConfigReloaderSidecarErrors.md"],
  ["cert-manager webhook connection refused", "cert-manager/troubleshooting/webhook.md"],
  ["the ACME order for my Let's Encrypt certificate is stuck pending", "cert-manager/troubleshooting/acme.md"],
  ["tempo compactor is unhealthy", "grafana-tempo/tempo-mixin-runbook_v2.8.2.md"],
  ["github runners ran out of disk space", "homelab/docs__operations__github-runners-disk-space-fix.md"],
  ["how do I set up PagerDuty for alertmanager", "homelab/flux__infrastructure__prometheus-operator__docs__README-PAGERDUTY-SETUP.md"],
  ["sealed secrets bootstrap installation", "homelab/flux__infrastructure__sealed-secrets__README.md"],
  ["the kube API server is down", "prometheus-operator/kubernetes/KubeAPIDown.md"],
  ["a target is down and cannot be scraped", "prometheus-operator/general/TargetDown.md"],
];

type Build = (sections: readonly DocumentSection[]) => (query: string, topK: number) => DocumentSection[];

/** The hand-written BM25 the CLI ranked with before (k1 1.2, b 0.75, titles counted twice), on the given terms. */
function handBm25(words: (text: string) => string[]): Build {
  return (sections) => {
    const docs = sections.map((s) => words(`${s.title} ${s.title} ${s.content}`));
    const avg = docs.reduce((n, d) => n + d.length, 0) / docs.length || 1;
    const df = new Map<string, number>();
    for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
    const tfs = docs.map((d) => {
      const tf = new Map<string, number>();
      for (const t of d) tf.set(t, (tf.get(t) ?? 0) + 1);
      return tf;
    });
    return (query: string, topK: number): DocumentSection[] => {
      const asked = [...new Set(words(query))];
      return docs
        .map((d, i) => {
          let score = 0;
          for (const t of asked) {
            const f = tfs[i]?.get(t) ?? 0;
            if (f === 0) continue;
            const n = df.get(t) ?? 0;
            score += (Math.log(1 + (docs.length - n + 0.5) / (n + 0.5)) * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * d.length) / avg));
          }
          return { i, score };
        })
        .filter((s) => s.score > 0)
        .sort((x, y) => y.score - x.score || x.i - y.i)
        .slice(0, topK)
        .map((s) => sections[s.i] as DocumentSection);
    };
  };
}

const RANKERS: [string, Build][] = [
  ["hand-written BM25, words (before)", handBm25(tokenize)],
  ["hand-written BM25, CLI terms", handBm25(terms)],
  [
    "MiniSearch 7.2.0, CLI terms (CLI SectionIndex)",
    (sections) => {
      const index = new SectionIndex(sections);
      return (query, topK) => index.rank(query, topK).sections;
    },
  ],
];

const file = (source: string): string => source.replace(/#L\d+$/, "");
const sections = await loadDocumentSections([CORPUS], CORPUS);
const files = new Set(sections.map((s) => file(s.source)));
const missing = QUERIES.filter(([, f]) => !files.has(f)).map(([, f]) => f);
if (missing.length > 0) throw new Error(`expected files not in ${CORPUS}: ${missing.join(", ")}`);
console.log(`${CORPUS}: ${files.size} files, ${sections.length} sections; ${QUERIES.length} queries\n`);

const REPEAT = 20;
const rows: string[][] = [];
for (const [name, build] of RANKERS) {
  build(sections); // warm-up
  let t = performance.now();
  for (let i = 0; i < 5; i++) build(sections);
  const buildMs = (performance.now() - t) / 5;
  const rank = build(sections);
  let hit1 = 0;
  let hit5 = 0;
  const misses: string[] = [];
  for (const [query, expected] of QUERIES) {
    const top = rank(query, 5).map((s) => file(s.source));
    if (top[0] === expected) hit1++;
    if (top.includes(expected)) hit5++;
    else misses.push(`  miss: "${query}" → ${top[0] ?? "(nothing)"}`);
  }
  t = performance.now();
  for (let r = 0; r < REPEAT; r++) for (const [query] of QUERIES) rank(query, 5);
  const queryMs = (performance.now() - t) / (REPEAT * QUERIES.length);
  rows.push([name, `${hit1}/${QUERIES.length}`, `${hit5}/${QUERIES.length}`, buildMs.toFixed(1), queryMs.toFixed(2)]);
  if (process.argv.includes("--misses")) console.log(`${name}\n${misses.join("\n")}`);
}
const head = ["ranker", "hit@1", "hit@5", "build ms", "query ms"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "));
