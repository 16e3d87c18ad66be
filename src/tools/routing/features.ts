/** Layer 1 of the classifier's rules (see `../classifierRules.ts`): the regexes behind the structural detectors. */
import { ARTIFACT, CODE_NOUNS, NON_NOUN, QUESTION_START, SYMPTOM_PREDICATE, SYMPTOM_WORDS } from "./vocabulary.js";

export type Feature =
  "pastedCode" | "inlineQuery" | "errorArtifact" | "verdictQuestion" | "questionAboutGiven" | "refersToGivenCode" | "codeRequest" | "leadingCodeRequest" | "asksForFix" | "generalMeaningQuestion";

/**
 * "PodMonitor for rabbitmq on port 9419", "networkpolicy so only …", "logql: count of …": an artifact noun
 * near the start (no question word before it, no verb inside the noun phrase), then a purpose clause
 * (":", "so", "that", "which"; or "for/to/with/per" or a participle of function — "giving",
 * "routing", "scraping" — when no broken-state verb follows, which would make it a symptom report:
 * "the dashboard for payments is empty").
 */
export const ARTIFACT_LEAD = new RegExp(
  `^(?!\\s*${QUESTION_START}\\b)\\s*(?:(?:a|an|the|some)\\s+)?(?:[\\w.\\/+&-]+\\s+){0,3}?[\\w.\\/-]*?\\b${ARTIFACT}\\b(?:\\s+(?!${NON_NOUN}\\b)[\\w.-]+){0,2}?(?:\\s*(?:\\+|&|and)\\s*(?:[\\w.-]+\\s+){0,4}?[\\w.-]+)?\\s*(?::|\\b(?:so|that|which)\\b|(?![^\\n]*${SYMPTOM_PREDICATE})\\b(?:for|to|with|per|giving|granting|allowing|letting|showing|sending|routing|exporting|scraping|paging|pulling|pushing|watching|checking)\\b)`,
  "i",
);

/** A request verb for code at the very start ("write an alert …", "pls generate a values file …", "we need a cronjob …"). */
const CODE_VERB_LEAD = new RegExp(
  `^\\s*(?:(?:pls|please|plz|can you|could you|can u|would you|quick(?:ly)?|hey|ok|so)[,!]?\\s+)*(?:(?:write|generate|create|draft|give me|gimme|craft|scaffold|produce|build|make)\\b(?:\\s+me)?|(?:(?:i|we) )?(?:need|want) (?=an?\\b|some\\b|the\\b))[^.?!\\n]{0,40}\\b${CODE_NOUNS}\\b`,
  "i",
);

/** Regexes behind the structural detectors in `classifier.ts`. */
export const FEATURE_PATTERNS = {
  /** A Markdown code fence. */
  codeFence: /```/,
  /** One line of pasted config or code: YAML `key:` / list item, HCL, Dockerfile, rule file. */
  codeLine: [
    /^\s*(?:-\s+)?["']?[\w.\/-]+["']?:(?:\s|$)/, // yaml key (no spaces in the key)
    /^\s*-\s+[\w"'{[]/, // yaml list item
    /^\s*(?:resource|module|variable|provider|data|locals|output|terraform)\s+(?:"[^"]*"\s*)*\{/, // hcl block
    /^\s*[\w.-]+\s*=\s*(?:"[^"]*"|\d|true|false|\[|\{)/, // hcl/toml assignment
    /^\s*\}\s*$/, // closing brace
    /^\s*(?:#!\/|\$ |kubectl |helm |curl |sudo |export |if \[|for \w+ in |done\s*$|fi\s*$|echo )/, // shell
    /^(?:FROM|RUN|COPY|ADD|CMD|ENTRYPOINT|ENV|ARG|WORKDIR|EXPOSE|USER|LABEL|HEALTHCHECK|VOLUME)\s+\S/, // dockerfile
  ] as RegExp[],
  /** A PromQL/LogQL expression typed inline: label matchers, a range vector, aggregation by (…), a line filter. */
  inlineQuery: [
    /\{\s*[\w.]+\s*(?:=~|!~|!=|=)\s*"[^"]*"/,
    /\b\w+\s*\([^()]*\[\d+[smhdwy]\]/,
    /\b(?:sum|avg|max|min|count|topk|bottomk|quantile|stddev)\s+(?:by|without)\s*\(/,
    /\b(?:sum|avg|max|min|count)\s*\(\s*(?:rate|irate|increase|count_over_time|rate_over_time|bytes_over_time|sum_over_time)\s*\(/,
    /\|[=~]\s*"/,
    /\bexpr:\s*\S/,
  ] as RegExp[],
  /** A pasted or quoted error artifact: log line, stack trace, exit code, kubectl/flux/helm output, an exact error message. */
  errorArtifact: [
    /\b(?:level=(?:error|warn|warning|fatal|crit)|"level":\s*"(?:error|fatal|warn)"|caller=\S+\.go|err="|msg="|ts=\d{4}-)/i, // structured log line
    /\btraceback \(most recent|\bgoroutine \d+ \[|^\s+at [\w.$]+\(|\bpanic: \w|\bexception in thread|\b\w+(?:Error|Exception): \w/im, // stack trace
    /(?:^|\n)\s*(?:error|fatal|panic|E\d{4}|W\d{4})\b[:\s]/i, // a line that starts with an error prefix
    /\b(?:error|err|fatal|failed|failure|exception)\s*[:=]\s*["\w]/i, // error: message
    /\bexit(?:ed)?\s*(?:code|status)\s*[:=]?\s*\d+/i, // exit code
    /(?:^|\n)\s*NAME\s{2,}\w+/, // kubectl table header
    /\b\d+\/\d+\s+(?:CrashLoopBackOff|Error|Pending|ImagePullBackOff|ErrImagePull|Running|Init:\S+|Terminating|Completed|OOMKilled|ContainerCreating|CreateContainerConfigError)\b/, // kubectl pod row
    /(?:^|\n)\s*(?:Warning|Normal)\s{2,}[A-Z]\w+\s{2,}/, // kubectl events
    /\n\s*(?:Events|Conditions|Last State|State):\s*(?:\n|\S)/, // kubectl describe sections
    /\b[A-Z][a-zA-Z]+ [\w-]+\/[\w.-]+:\s+\S/, // flux/kubectl status "Kind ns/name: message"
    /\brpc error: code =|\b(?:401|403|404|500|502|503|504) (?:Unauthorized|Forbidden|Not Found|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/, // protocol error strings
    /\b(?:says|said|prints|printed|outputs|output is|spits out|throws|threw|logs|logged)\s*(?::|\n|["'`]|\s+[^\n]{0,40}?\b(?:error|fail\w*|exception|panic|fatal|not found|denied|refused|invalid|unable|cannot|exceeded|forbidden|unauthorized)\b)/i, // "<tool> says: …"
    /\b(?:x509|tls|dial (?:tcp|udp)|read (?:tcp|udp)|write (?:tcp|udp)|lookup [\w.-]+|connect|open \/\S*|stat \/\S*|remote error|http2):\s+[a-z]/i, // Go error chain "x509: certificate …"
    /\bBack-off (?:restarting|pulling)|\b\d+\/\d+ nodes are available|\bFailed to pull image|\bMountVolume\.\w+ failed|\b(?:Readiness|Liveness|Startup) probe failed|\bOCI runtime \w+ failed|\bfailed calling webhook|\bnode\(s\) (?:had|didn'?t)/, // verbatim Kubernetes event messages
    /^\s*[\w.-]+:\s+(?:error|failed|fatal|cannot|can't|unable|could not|couldn't|no such|invalid|permission denied)\b/i, // CLI error "tool: failed to …"
    /(?:^|\n)[^a-z\n]*\b(?:ERROR|FAILED|FATAL|PANIC|CRITICAL)\b[^a-z\n]*(?:\n|$)/, // an all-caps error line (=ERROR REPORT=, BOOT FAILED)
    /\b(?:full of|spamming|spams|flooded with|filled with|lots of|tons of)(?: this| these)?\s*:\s*\S/i, // "logs full of: <message>"
    /^\s*what does\s+["'`][^"'`\n]{10,}["'`]\s+mean/i, // asks what a quoted message means
    /\b(?:getting|seeing|got|found) (?:this|these)\b[^\n]{0,60}:\s*\n/i, // "getting these from …:" followed by a paste
    /["'`][^"'`\n]{0,80}\b(?:error(?! rates?| budgets?| ratios?| counts?| percentages?| lines?| logs?)|failed|failure|denied|refused|unauthorized|forbidden|timeout|timed out|exceeded|invalid|not found|cannot|can't|unable|no such)\b[^"'`\n]{0,80}["'`]/i, // quoted error message
  ] as RegExp[],
  /** Asks for a verdict on something the user gives: review, check, "look ok?", "can it be better". */
  verdictQuestion:
    /\b(?:review|code review|cr this|sanity[- ]check|look over|double[- ]check|proof-?read|eyeball|(?:looks?|seems?)\s+(?:ok|okay|right|good|correct|fine|sane|sensible|reasonable)(?=\s*(?:\?|to you\b|or\b|$))|(?:is|are)\s+(?:this|these|that|my|our|the following|`[^`\n]+`|(?:using|setting|having|putting|adding|calling|running)\b)[^?\n]{0,40}\b(?:correct|right|ok|okay|valid|fine|sane|good|safe|idiomatic|sensible|reasonable|enough|a good idea|a bad idea|still needed|a problem|an issue|problematic|overkill)|(?:anything|something)\s+(?:wrong|off|missing|dodgy|weird|dangerous|risky|unsafe|bad|broken)|(?:any|see any|spot any)\s+(?:issues?|problems?|bugs?|mistakes?|gotchas?)\s+(?:with|in)\s+(?:this|these|my|our|the following)\b|make (?:it|this|them|these) (?:cheaper|faster|better|smaller|safer|leaner|lighter|more efficient|more robust)|(?:does|do|would|will) (?:the|this|these|my|our)\b[^?\n]{0,40}\bmake sense|anything (?:i|we) should (?:change|fix|improve|add|remove)|anything to (?:change|improve|fix)|what'?s wrong with (?:this|these|it|my|our|the following)|what (?:would|should) (?:you|i|we) change|(?:can|could) (?:it|this|these|that)(?: [\w-]+){0,2} be (?:better|improved|simplified|faster|optimi[sz]ed|cleaner|shorter)|(?:improve|optimi[sz]e|simplify|clean up|tidy up|refactor|harden|tighten|tune|rewrite)\s+(?:this|these|that|it|my|our|the following)|(?:feedback|opinions?|input|comments?) on (?:this|these|my|our|the following)|critique|rate (?:my|this|these|our)\b|(?:can|could) you (?:check|look at|look over|review|verify|validate|go over)\s+(?:this|these|it|that|my|our|the following)|good idea\s*\?|thoughts\s*\??\s*$|lgtm\??|does (?:this|it|that|my|our)\b[^?\n]{0,60}\b(?:do what|work as|make sense|look)|spot the (?:bug|problem|issue|mistake)|(?:will|would|does|should) (?:this|it|that) (?:still )?work|(?:this|these|it)\b[^?\n]{0,30}\bmakes? sense|(?:pls|please|plz|can you|could you|can u|pls can you)\s+check (?:this|these|my|our|it)\b|why (?:doesn'?t|does not|won'?t|isn'?t|is not) (?:this|it) (?:work|match|fire|compile|apply|render|validate))/i,
  /** A yes/no question about the given thing ("does this actually drop the label?"). */
  questionAboutGiven: /^\s*(?:does|do|will|would|can|could|should|is|are|why (?:does|do|is|are|isn'?t|doesn'?t|won'?t))\s+(?:this|these|that|it|my|our)\b[^\n]*\?/i,
  /** Points at code the user gives: "this config", "my values", "these recording rules". */
  refersToGivenCode: new RegExp(`\\b(?:this|these|my|our|the following|below|attached|above)\\s+(?:[\\w.-]+\\s+){0,2}?${ARTIFACT}\\b`, "i"),
  /** Asks for a fix or workaround for a problem. */
  asksForFix: /\b(?:to fix|fix (?:it|this|that)|workaround|to resolve|to solve|to get (?:it|this) working|to recover)\b/i,
  /**
   * The message opens with a request for code: the artifact is the deliverable, whatever topic it
   * watches ("write an alert for crashlooping ingesters"). A request without a verb (an artifact
   * noun phrase) counts only when the message reports no symptom.
   */
  leadingCodeRequest: [CODE_VERB_LEAD, new RegExp(`^(?![^\\n]*\\b${SYMPTOM_WORDS}\\b)(?:${ARTIFACT_LEAD.source})`, "i")] as RegExp[],
  /**
   * Asks what a code, state or message means in general, in one line and with nothing of the user's
   * own system (no my/our/we/I, no "this" pointing at a paste, no logs or output):
   * "what does exit code 143 mean", "what is exit code 137", "what does OOMKilled mean".
   */
  generalMeaningQuestion:
    /^(?![^\n]*\b(?:my|our|we|we're|we've|us|i|i'm|im|i've|this|these|here|above|below|(?:the|my|our|these|this) (?:[\w-]+ )?logs?|output|says|said|getting|seeing|keeps?|got|again)\b)(?![^]*\n)\s*(?:so |and |ok,? )?(?:what(?:'s| is| are| does| do)|whats)\b(?:[^\n]{1,80}\bmeans?\b|\s+(?:an? |the )?(?:exit (?:code|status)|signal|http(?: status)?(?: code)?|status code|error code|errno)\s*(?:\d+|sig[a-z]+)\b|\s+(?:an? |the )?(?:oomkilled|crashloopbackoff|imagepullbackoff|errimagepull|evicted|createcontainerconfigerror|notready)\b)/i,
  /** Explicitly asks for code or config to be produced. */
  codeRequest: new RegExp(
    `\\b(?:write|generate|create|draft|give me|gimme|show me|craft|scaffold|produce|how (?:do|would|can|should) i (?:write|express|template|define|declare)|how (?:would|does|should) (?:the|a|an|that|this) (?=[\\w ]{0,20}(?:promql|logql|traceql|query|rule|yaml|manifest|config)\\b[\\w ]{0,10}\\blook)|(?<!why (?:do|would|should) (?:we|i|you) )need an?|(?<!(?:do|would|should|when) (?:we|i|you) )want an?)\\b[^.?!\\n]{0,40}\\b${CODE_NOUNS}\\b`,
    "i",
  ),
};
