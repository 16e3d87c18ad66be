/** Specifics of a sentence: inline code, quoted messages, numbers and identifiers. */

export type SpecificKind = "code" | "quoted" | "number" | "identifier";

/** Something a sentence states that must appear in its source: a command, a number, a name. */
export interface Specific {
  kind: SpecificKind;
  text: string;
}

/** Well-known names that are not claims about the environment (kinds, products, query languages). */
const COMMON_TERMS = new Set([
  "kubernetes",
  "statefulset",
  "statefulsets",
  "daemonset",
  "daemonsets",
  "replicaset",
  "replicasets",
  "configmap",
  "configmaps",
  "cronjob",
  "cronjobs",
  "persistentvolume",
  "persistentvolumes",
  "persistentvolumeclaim",
  "persistentvolumeclaims",
  "storageclass",
  "networkpolicy",
  "customresourcedefinition",
  "serviceaccount",
  "clusterrole",
  "clusterrolebinding",
  "rolebinding",
  "ingressclass",
  "horizontalpodautoscaler",
  "poddisruptionbudget",
  "promql",
  "logql",
  "traceql",
  "gitops",
  "github",
  "gitlab",
  "pagerduty",
  "opentelemetry",
  "javascript",
  "typescript",
  "coredns",
  "grafana",
  "prometheus",
  "alertmanager",
  "kubectl",
  "devops",
  "youtube",
  "macos",
  "iptables",
  "nodejs",
  "postgresql",
  "mysql",
  "mongodb",
  "rabbitmq",
  "elasticsearch",
  "opensearch",
  "cloudflare",
]);

export const NUMBER = /^[-+]?\d[\d,]*(?:\.\d+)?(?:%|[a-zA-Z]{1,3})?$/;
const CAMEL = /[a-z][A-Z]|[A-Z]{2,}[a-z]/;
const ERRNO = /^(?:E[A-Z]{3,}|SIG[A-Z]{3,})$/;

function isSpecificToken(token: string): SpecificKind | undefined {
  // A plain lower-case word is never one (the common case, so it is decided first).
  if (token.length < 2 || /^[a-z]+$/.test(token)) return undefined;
  if (COMMON_TERMS.has(token.toLowerCase())) return undefined;
  if (NUMBER.test(token)) {
    const digits = token.replace(/[^\d]/g, "");
    const unit = /[a-zA-Z%]+$/.exec(token)?.[0];
    // A bare single digit ("1 pod", "step 2") is prose, not a specific.
    if (digits.length < 2 && !unit && !token.includes(".")) return undefined;
    // Ordinals and plain words that start with a digit ("2nd", "3rd") are prose.
    if (unit && /^(?:st|nd|rd|th)$/i.test(unit)) return undefined;
    return "number";
  }
  if (/^--?[a-zA-Z]/.test(token) && token.length > 2) return "identifier";
  if (/[_/=]/.test(token) && /[A-Za-z0-9]/.test(token)) return "identifier";
  if (/[A-Za-z0-9]\.[A-Za-z0-9]/.test(token) && !/^[A-Za-z]\.[A-Za-z]$/.test(token)) return "identifier";
  if (/-/.test(token) && /\d/.test(token) && /[A-Za-z]/.test(token)) return "identifier";
  if ((token.match(/-/g) ?? []).length >= 2) return "identifier";
  if (CAMEL.test(token)) return "identifier";
  if (ERRNO.test(token)) return "identifier";
  if (/^[A-Z0-9]+$/.test(token) && /\d/.test(token) && /[A-Z]/.test(token)) return "identifier";
  return undefined;
}

/** The specifics a sentence states: inline code, quoted messages, numbers and identifiers. */
export function extractSpecifics(claim: string): Specific[] {
  const out: Specific[] = [];
  const seen = new Set<string>();
  const add = (kind: SpecificKind, text: string) => {
    const key = text.toLowerCase();
    if (text === "" || seen.has(key)) return;
    seen.add(key);
    out.push({ kind, text });
  };
  let rest = claim;
  for (const m of claim.matchAll(/(`+)([^`]+?)\1/g)) {
    const body = (m[2] ?? "").trim();
    if (body.length >= 2 && !COMMON_TERMS.has(body.toLowerCase())) add("code", body);
    rest = rest.replace(m[0], " ");
  }
  for (const m of rest.matchAll(/"([^"\n]{4,200})"|“([^”\n]{4,200})”/g)) {
    const body = (m[1] ?? m[2] ?? "").trim();
    if (/\s/.test(body) || isSpecificToken(body)) add("quoted", body);
    rest = rest.replace(m[0], " ");
  }
  for (const raw of rest.split(/\s+/)) {
    const token = raw
      .replace(/^[("'‘“[{<*]+/, "")
      .replace(/[)"'’”\]}>*,;:!?]+$/, "")
      .replace(/\.+$/, "");
    const kind = isSpecificToken(token);
    if (kind) add(kind, token);
  }
  return out;
}
