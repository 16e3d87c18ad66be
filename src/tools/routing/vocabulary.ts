/**
 * Vocabulary shared by the classifier's rules (`classifierRules.ts`) and its complexity rules
 * (`complexityRules.ts`): regex source fragments for artifacts, alert names, symptoms and
 * question forms.
 */

/** Unambiguous code/config artifacts: asking for one of these is asking for code. */
export const ARTIFACT =
  "(?:ya?ml|manifests?|configs?|configuration|configmaps?|helm ?values|values(?:\\.ya?ml| file)?|helm ?releases?|helm ?repositor(?:y|ies)|helm ?charts?|kustomi[sz]ations?|kustomize overlays?|overlays?|prometheus ?rules?|alert(?:ing)? rules?|alerting config|recording rules?|service ?monitors?|pod ?monitors?|scrape ?configs?|relabel(?:ing)? (?:configs?|rules?)|promql|logql|traceql|metricsql|quer(?:y|ies)|scripts?|one[- ]?liners?|bash|terraform|hcl|dockerfiles?|network ?polic(?:y|ies)|netpols?|pdbs?|pod ?disruption ?budgets?|hpas?|cron ?jobs?|cron ?expressions?|statefulsets?|daemonsets?|ingress(?:es| rules?| routes?)?|certificates?|cluster ?issuers?|issuers?|sealed ?secrets?|external ?secrets?|rbac|cluster ?roles?|role ?bindings?|service ?accounts?|dashboard(?: json)?|json dashboard|grafana dashboard|regexp?|jq(?: filter| expression)?|(?<!(?:readiness|liveness|startup) )probes?|prom ?rules?|silences?|blackbox (?:exporter )?(?:config|module)s?|helmfiles?|terragrunt(?:\\.hcl)?|virtual ?services?|destination ?rules?|(?:slo|sloth|pyrra) (?:specs?|definitions?|manifests?)|exporter configs?|receivers?|inhibit rules?|routing tree|pipelines?|github actions?|workflows?|makefiles?|snippets?)";

/** Looser code nouns, only used after an explicit request verb ("give me the deployment for …"). */
export const CODE_NOUNS = `(?:${ARTIFACT}|deployments?|services?|jobs?|modules?|functions?|python|go program|rules?|alerts?|polic(?:y|ies)|roles?|example)`;

/** Alert names in kube-prometheus / mixin style (CamelCase component + state), not CRD kinds. */
export const ALERT_NAME =
  "(?!(?:PrometheusRules?|PrometheusAgent|ServiceMonitor|PodMonitor|AlertmanagerConfig|NodePool|NodeClaim|NodeSelector)\\b)(?:(?:Kube|Node|Prometheus|Alertmanager|Thanos|Loki|Tempo|Mimir|Grafana|Cert|Etcd|etcd|CoreDNS|Flux|Argo)[A-Z]\\w+|[A-Z][A-Za-z0-9]*(?:Down|High|Low|Errors?|Failures?|Failed|Failing|FillingUp|Full|Mismatch|CrashLooping|NotReady|Missing|Throttling|Unavailable|Unreachable|Expiring|Expired|Lag|Degraded|Absent|Flapping|Restarting|Stuck|Overcommit|Saturated|OutOfSpace|OutOfMemory)|TargetDown|Watchdog|InfoInhibitor)";

/** Question words that make a sentence a question rather than a noun-phrase request. */
export const QUESTION_START = "(?:why|what|whats|how|when|where|who|which|is|are|does|do|did|can|could|should|would|will|has|have)";

/** Words describing a broken or degraded system. */
export const SYMPTOM_WORDS =
  "(?:crash(?:ing|es|ed|looping)?|crashloop|restart(?:ing|s|ed)|down|broken|failing|fails|not working|doesn'?t work|isn'?t working|stopped working|stuck|hangs?|hanging|hung|forever|unresponsive|unreachable|unavailable|degraded|flapping|flaps?|flaky|slow|spiking|spikes?|high|growing|leak(?:ing)?|full|filling up|dropping|drops|missing|empty|nothing|no data|gone|gaps?|timing out|times out|timeouts?|5\\d\\ds?|5xx|errors? rate|lost|broke|disappeared|vanished|intermittent(?:ly)?|latency|evicted|pending|throttl(?:ed|ing)|not ready|notready|lagging|behind|backlog|saturated|oom(?:ing|s)?|oomkill(?:ed|ing)?|split|sealed|out of sync|can'?t reach|cant reach|unhealthy|red)";

/** Words that cannot sit inside a noun phrase ("the config is …"): verbs, negations, question words. */
export const NON_NOUN =
  "(?:is|are|was|were|be|been|has|have|had|keeps?|kept|got|gets|isn'?t|aren'?t|doesn'?t|don'?t|won'?t|wont|didn'?t|not|never|stopped|still|so|that|which|for|to|with|per|and|or|but|why|what|how)";

/** A finite verb describing a broken state ("is empty", "isn't applied", "keeps failing"). */
export const SYMPTOM_PREDICATE =
  "\\b(?:is|are|was|were|isn'?t|isnt|aren'?t|arent|keeps?|kept|stopped|has|have|hasn'?t|hasnt|went|got|gets|won'?t|wont|doesn'?t|doesnt|didn'?t|didnt)\\s+(?:not\\s+|still\\s+|now\\s+|no longer\\s+|being\\s+|been\\s+)?(?:\\w+ing|empty|broken|down|stuck|missing|gone|wrong|slow|failed|applied|ready|red|dead)\\b";

export const LANGUAGES =
  "(?:english|german|french|spanish|portuguese|italian|dutch|polish|russian|ukrainian|japanese|chinese|mandarin|korean|hindi|turkish|arabic|hebrew|swedish|norwegian|danish|finnish|czech|greek|romanian|hungarian|vietnamese|indonesian)";
