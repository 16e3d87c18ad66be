import type { QueryType } from "../graph/state.js";

/**
 * The classifier's rules as data. Each signal is a pattern with a weight towards one query
 * type; the type with the highest total wins, ties broken by `TIE_BREAK_ORDER`. Checked
 * against the labelled set `evals/datasets/routing.jsonl` (`npm run eval -- --dataset routing`).
 */
export interface Signal {
  pattern: RegExp;
  weight: number;
  /** Why the pattern points at its type; shown in routing explanations. */
  label: string;
}

export type SignalTable = Record<QueryType, Signal[]>;

const CODE_NOUNS =
  "(?:yaml|yml|manifest|deployment|statefulset|daemonset|cronjob|configmap|helm ?release|helm values|values\\.ya?ml|kustomi[sz]ation|overlay|prometheusrule|alert(?:ing)? rules?|recording rules?|servicemonitor|podmonitor|promql|logql|traceql|query|queries|script|bash|python|go program|terraform|hcl|module|dockerfile|networkpolicy|pdb|poddisruptionbudget|hpa|json dashboard|dashboard json|grafana dashboard|regex|jq|cron ?expression|rbac|role(?:binding)?|ingress|policy|function|snippet|config)";

export const SIGNALS: SignalTable = {
  chat: [
    { pattern: /^\s*(hi|hey|hello|yo|howdy|good (morning|afternoon|evening)|morning|sup)\b[\s!.,]*$/i, weight: 6, label: "greeting" },
    { pattern: /^\s*(hi|hey|hello|yo)\b/i, weight: 1.5, label: "greeting opener" },
    { pattern: /\b(thanks|thank you|thx|ty|cheers|appreciate it|that worked|you rock|nice one)\b/i, weight: 2.5, label: "thanks" },
    { pattern: /\b(who are you|what are you|what can you do|are you (an? )?(bot|ai|human)|your name|what model are you|how are you)\b/i, weight: 5, label: "about the assistant" },
    { pattern: /\b(joke|weather|lunch|coffee|weekend|movie|football|birthday)\b/i, weight: 2.5, label: "small talk" },
    { pattern: /^\s*(ok|okay|cool|great|nice|lol|haha|bye|see ya|good night|gn)\b[\s!.]*$/i, weight: 5, label: "acknowledgement" },
  ],
  code_review: [
    { pattern: /\b(review|code review|cr this|sanity[- ]check|look over|double[- ]check)\b/i, weight: 3.5, label: "review request" },
    { pattern: /\b(anything wrong|what'?s wrong with (this|my|the following)|is (this|my|it) (correct|right|ok|okay|valid|fine|sane)|does (this|it) look (right|ok|good|correct)|any (issues|problems|mistakes|bugs)|thoughts\??|lgtm\??|can (this|it) be improved|improve (this|my)|better way to write|spot the (bug|problem)|why (doesn'?t|does not|won'?t) this (work|match|fire|compile|apply))\b/i, weight: 3, label: "asks for a verdict on given code" },
    { pattern: /```|\n\s*(apiVersion|kind|metadata|spec|groups|rules|expr|resource|module|def|func|FROM|RUN|- name):?/i, weight: 1.5, label: "pasted code or config" },
    { pattern: /\b(this|my|the following|below) (alert|rule|query|promql|logql|manifest|yaml|config|script|dockerfile|terraform|chart|values|expr)\b/i, weight: 1.5, label: "refers to given code" },
  ],
  code_generation: [
    { pattern: new RegExp(`\\b(write|generate|create|draft|make|build|give me|gimme|need|want|show me|craft|scaffold|produce|add)\\b[^.?!\\n]{0,40}\\b${CODE_NOUNS}\\b`, "i"), weight: 3.5, label: "asks for code or config" },
    { pattern: /\b(write|generate|scaffold) (me )?(a|an|the|some)\b/i, weight: 2, label: "write/generate" },
    { pattern: new RegExp(`\\b(how (do|would|can|should) i|how to) (write|express|query|alert on|template|define|declare|configure)\\b`, "i"), weight: 2, label: "how to write" },
    { pattern: /\b(promql|logql|traceql|prometheusrule|helm values|kustomize overlay|terraform|dockerfile|cronjob yaml|alert rule)\b.*\b(for|that|to|which)\b/i, weight: 1.5, label: "names a code artifact with a purpose" },
    { pattern: /\b(one[- ]liner|oneliner|bash loop|script to|query to|query that|rule (that|to|for)|manifest for|yaml for)\b/i, weight: 2.5, label: "artifact with a purpose" },
  ],
  debug_issue: [
    { pattern: /\b(error|err|fatal|panic|exception|failed|failure|denied|refused|timeout|timed out|invalid|unauthorized|forbidden)\b\s*[:=]\s*\S/i, weight: 3, label: "quoted error message" },
    { pattern: /\b(level=(error|warn|fatal)|caller=|ts=\d|msg=|"level":"(error|fatal)"|E\d{4} \d\d:\d\d|traceback|goroutine \d+|at [\w.$]+\(|stack ?trace|panic:)/i, weight: 4, label: "pasted log or stack trace" },
    { pattern: /\b(exit(ed)? (code|status) ?\d+|code \d{3}\b|status(code)? \d{3}|http \d{3}|\b[45]\d\d (error|response)|errno|segfault|sigkill|sigterm|oomkilled)\b/i, weight: 1.5, label: "exit code or status" },
    { pattern: /\n\s*NAME\s+(READY|STATUS|AGE|REVISION)|\b\d+\/\d+\s+(CrashLoopBackOff|Error|Pending|ImagePullBackOff|ErrImagePull|Running|Init:\S+)\b|\bReady\s+False\b|\bWarning\s+\w+\s+\d+[smhd]/i, weight: 4, label: "pasted kubectl output" },
    { pattern: /\b(what does (this|that|it) (error|message|log|mean)|what does .{3,60} mean|why am i (getting|seeing)|getting (this|an?|the) (error|message)|seeing (this|these|an?) (error|errors|message|log)|keep getting|this error|the error|error says|it says|throws?|complains?)\b/i, weight: 2.5, label: "asks about a specific error" },
    { pattern: /["'`][^"'`\n]{12,}["'`]/, weight: 1, label: "quoted text" },
    { pattern: /\b(x509|certificate signed by unknown authority|context deadline exceeded|connection refused|no such host|permission denied|back-off restarting|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|CrashLoopBackOff|OOMKilled|FailedScheduling|FailedMount|Insufficient (cpu|memory)|no space left on device|too many open files|i\/o timeout|EOF|unexpected status code|manifest unknown|already exists|not found)\b/i, weight: 1.5, label: "known error string" },
  ],
  lookup_runbook: [
    { pattern: /\b(runbook|run book|playbook|sop|standard operating procedure|procedure|checklist|escalation (path|policy)|documented steps|our (process|steps|docs?|guide)|the process (for|to))\b/i, weight: 4, label: "asks for a runbook or procedure" },
    { pattern: /\b(steps|step[- ]by[- ]step|how do (we|i)|how to|what'?s the (process|procedure|way)) (to |for )?(rotate|restore|renew|upgrade|drain|cordon|failover|fail over|roll ?back|rollback|recover|backup|back up|migrate|scale|decommission|replace|bootstrap|re-?sync|resync|reindex|promote|onboard|add a node|remove a node|clean ?up|purge|compact|silence|snapshot|unseal|reset)\b/i, weight: 3.5, label: "asks for an operational procedure" },
    { pattern: /\b(what (do|should) (i|we) do (when|if|about)|what to do (when|if|about)|how (do|should) (i|we) (handle|respond to|deal with)|response to|who (do i|to) page)\b/i, weight: 2.5, label: "asks what to do for an event" },
    { pattern: /\b(Kube[A-Z]\w+|Node[A-Z]\w+|Prometheus[A-Z]\w+|Alertmanager[A-Z]\w+|etcd[A-Z]\w+|Tempo[A-Z]\w+|Loki[A-Z]\w+|TargetDown|Watchdog|InfoInhibitor|CPUThrottlingHigh|ConfigReloaderSidecarErrors)\b/, weight: 1, label: "names an alert" },
  ],
  troubleshooting: [
    { pattern: /\b(crash(ing|es|ed|looping)?|crashloop|restart(ing|s)?|down|broken|failing|fails|not working|doesn'?t work|isn'?t working|stopped working|stuck|hanging|hung|unresponsive|unavailable|degraded|flapping|flaky|slow|spiking|spike|high|growing|leak(ing)?|full|filling up|dropping|missing|empty|no data|gaps?|timing out|times out|5\d\d s?|errors? rate|latency|evicted|pending|throttl(ed|ing)|not ready|notready|lagging|behind|backlog|saturated|oom(ing)?)\b/i, weight: 2, label: "describes a symptom" },
    { pattern: /\b(firing|fired|alerting|paged|page(d)? me|incident|outage|in prod|prod is|production|since (this morning|yesterday|the deploy|the upgrade|last night)|after (the )?(deploy|upgrade|migration|restart))\b/i, weight: 2, label: "live incident context" },
    { pattern: /\b(pls|please)? ?(help|halp)\b|\b(how (do|can) i fix|how to fix|fix (this|it)|what('?s| is) (causing|wrong)|why (is|are|does|do|did)\b.{0,60}\b(fail|crash|restart|down|slow|high|missing|empty|stuck|pending|drop|throttl|evict|oom|error|not))/i, weight: 2, label: "asks for a fix or cause" },
    { pattern: /\b(investigate|diagnos(e|is)|debug(ging)?|troubleshoot(ing)?|root cause|rca)\b/i, weight: 1.5, label: "investigation" },
  ],
  explanation: [
    { pattern: /^\s*(what('?s| is| are)|what does|how (does|do|is|are)|why (do|does|is|are|would|should)|explain|eli5|difference between|diff between|when (should|would|to)|should i use|is it (better|worth)|pros and cons|compare|vs\.?|versus)\b/i, weight: 2.5, label: "conceptual question" },
    { pattern: /\b(difference between|differ(s|ence)? from|vs\.?|versus|compared to|trade-?offs?|pros and cons|when to use|best practices?|how does .{2,40} work|what is the purpose|what'?s the point|concept|in general|under the hood|architecture of|explain|eli5|meaning of)\b/i, weight: 2.5, label: "comparison or concept" },
    { pattern: /\?\s*$/, weight: 0.5, label: "a question" },
  ],
};

/** When two types score the same, the earlier one wins. */
export const TIE_BREAK_ORDER: readonly QueryType[] = [
  "debug_issue",
  "code_review",
  "code_generation",
  "lookup_runbook",
  "troubleshooting",
  "explanation",
  "chat",
];

/** The type of a query that no signal matches. */
export const DEFAULT_QUERY_TYPE: QueryType = "explanation";

/** Signals that the user explicitly wants code or config in the answer, whatever the type. */
export const CODE_REQUEST_SIGNALS: Signal[] = [
  { pattern: new RegExp(`\\b(give me|gimme|show me|write|generate|need|want|paste|share|send|provide|with|include)\\b[^.?!\\n]{0,30}\\b${CODE_NOUNS}\\b`, "i"), weight: 1, label: "asks for code or config" },
  { pattern: /\b(promql|logql|traceql) (to|for|that)\b/i, weight: 1, label: "asks for a query" },
];

/** Signals of a complex query. */
export const COMPLEXITY_SIGNALS: Signal[] = [
  { pattern: /\b(and also|as well as|multiple|several|all (of )?the|across|end[- ]to[- ]end|root cause|rca|post-?mortem|intermittent(ly)?|sometimes|randomly|cascading|correlat\w+|migrat\w+|design|architect\w*|trade-?offs?|compare|comparison|difference between|vs\.?|versus|pros and cons|strategy|plan|multi-?(cluster|region|tenant)|high availability|\bha\b|disaster recovery|capacity planning|scal(e|ing) (out|up)|zero[- ]downtime|why .* but .*)\b/i, weight: 1, label: "multi-part or design" },
  { pattern: /\b(and|then|after that|while|but)\b.*\b(and|then|after that|while|but)\b/i, weight: 0.5, label: "several clauses" },
];

/** A query this many words long or longer is complex on length alone. */
export const COMPLEX_WORD_COUNT = 45;
/** Pasted input with at least this many lines makes a query complex. */
export const COMPLEX_LINE_COUNT = 6;
/** Total complexity weight at which a query counts as complex. */
export const COMPLEX_THRESHOLD = 1;
