import type { Signal } from "./signal.js";
import { ARTIFACT, CODE_NOUNS, SYMPTOM_WORDS } from "./vocabulary.js";

/**
 * The rules that decide a query's complexity (simple | complex): weighted signals, the stack
 * components a query names, symptom words, and size thresholds. Read by `classifyComplexity`.
 */
/** Signals of a complex query. */
export const COMPLEXITY_SIGNALS: Signal[] = [
  {
    pattern:
      /\b(and also|as well as|multiple|several|across|end[- ]to[- ]end|root cause|rca|post-?mortem|intermittent(ly)?|sometimes|randomly|every (few|couple( of)?) (seconds|minutes|hours|days)|from time to time|on and off|occasionally|cascading|correlat\w+|migrat(e|ing|ion) (from|to|off|of|away|between|across)|migrat(e|ing) (our|the|all|\w+ (from|to))|design|architect\w*|trade-?offs?|pros and cons|pros ?\/ ?cons|strategy|what (broke|failed|happened|went wrong) first|chain of events|timeline|(different|many|\d+) (services|clusters|components|systems|apps|teams|regions|tenants)|(full|whole|entire) ([\w-]+ )?(cluster|region|site|datacenter|data center|dc)|dr|failover to|capacity plan\w*|multi-?(cluster|region|tenant|az)|high availability|\bha\b|disaster recovery|zero[- ]downtime|without (any )?downtime|why .* but .*)\b/i,
    weight: 1,
    label: "multi-part or design",
  },
  {
    pattern:
      /\b(vs\.?|versus|difference between|differences between|compared? (to|with)|comparison)\b.*\b(for|which (one )?(should|to|is better|makes sense)|should (i|we)|when (each|to use|would)|in our|at (our )?scale|we have|our)\b|\bwhen to use which\b|\bshould (we|i) (use|run|go with|pick|choose|switch to)\b.*\bor\b|\bor should (we|i)\b/i,
    weight: 1,
    label: "comparison to choose between options",
  },
  { pattern: /\b[\w-]+(?: [\w-]+){0,2}, [\w-]+(?: [\w-]+){0,3},? and [\w-]+/i, weight: 0.5, label: "a list of three or more things" },
  {
    pattern: /\bupgrade\b.{0,30}\bfrom\b.{0,15}\bto\b|\brestore\b.{0,50}\b(into|to|on) (a |an )?(new|fresh|another|different|empty|second)\b/i,
    weight: 1,
    label: "version upgrade or restore into a new environment",
  },
  { pattern: /\b(which (one )?is the cause|cause and (which|what) (are|is) (the )?effects?|causes? (and|vs\.?) effects?|what caused what)\b/i, weight: 1, label: "cause and effect across systems" },
  { pattern: /\b(not sure|no idea|no clue) where to (even )?(start|look|begin)\b/i, weight: 1, label: "open-ended investigation" },
  { pattern: /->.*->|→.*→|\bfrom\b.{1,40}\bthrough\b.{1,40}\bto\b/, weight: 1, label: "describes a pipeline of components" },
  { pattern: new RegExp(`\\b${ARTIFACT}\\s*(?:\\+|&)\\s*(?:[\\w.-]+\\s+){0,3}?${CODE_NOUNS}\\b`, "i"), weight: 1, label: "several artifacts at once" },
  { pattern: /\b(and|then|after that|while|but)\b.*\b(and|then|after that|while|but)\b/i, weight: 0.5, label: "several clauses" },
  { pattern: /\?[^?]+\?/, weight: 0.5, label: "several questions" },
];

/**
 * Components of a typical SRE stack. A query that involves this many distinct ones is about
 * several systems at once (see `COMPLEX_COMPONENT_COUNT`).
 */
export const COMPONENTS: RegExp[] = [
  /\bprometheus\b/i,
  /\balertmanager\b/i,
  /\bgrafana\b/i,
  /\bloki\b/i,
  /\btempo\b/i,
  /\bmimir\b/i,
  /\bthanos\b/i,
  /\b(otel|opentelemetry|otlp)\b/i,
  /\bjaeger\b/i,
  /\betcd\b/i,
  /\b(api ?server|kube-apiserver|control plane)\b/i,
  /\bkubelet\b/i,
  /\bscheduler\b/i,
  /\b(core ?dns|dns)\b/i,
  /\b(ingress|ingress-nginx|nginx|traefik|envoy|haproxy|load ?balancer)\b/i,
  /\b(network|cni|calico|cilium|flannel)\b/i,
  /\b(storage|pvc|disk|volume|csi|s3|object store)\b/i,
  /\bcert-manager\b/i,
  /\b(flux|argo ?cd|argo)\b/i,
  /\b(postgres|postgresql|mysql|mariadb)\b/i,
  /\bredis\b/i,
  /\b(kafka|rabbitmq|nats)\b/i,
  /\b(elasticsearch|opensearch)\b/i,
  /\bvault\b/i,
  /\b(linkerd|istio|service mesh|mesh)\b/i,
  /\b(pagerduty|opsgenie)\b/i,
  /\bslack\b/i,
  /\b(cpu|memory)\b/i,
];
/** Symptom words, matched globally to count how many distinct problems a query reports. */
export const SYMPTOM_PATTERN = new RegExp(`\\b${SYMPTOM_WORDS}\\b`, "gi");
/** A query reporting at least this many distinct symptoms is complex (several things broken at once). */
export const COMPLEX_SYMPTOM_COUNT = 3;

/** A query naming at least this many distinct components is complex. */
export const COMPLEX_COMPONENT_COUNT = 3;
/** Pasted input with at least this many sibling entries (table rows, list items with the same key) is complex. */
export const COMPLEX_SIBLING_COUNT = 3;

/** A query this many words long or longer is complex on length alone. */
export const COMPLEX_WORD_COUNT = 45;
/** Pasted input with at least this many lines makes a query complex. */
export const COMPLEX_LINE_COUNT = 15;
/** Total complexity weight at which a query counts as complex. */
export const COMPLEX_THRESHOLD = 1;
