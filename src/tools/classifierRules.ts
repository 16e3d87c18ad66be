import type { QueryType } from "../domain/index.js";
import type { Signal, SignalTable } from "./routing/signal.js";
import { ALERT_NAME, ARTIFACT, CODE_NOUNS, LANGUAGES, NON_NOUN, QUESTION_START, SYMPTOM_PREDICATE, SYMPTOM_WORDS } from "./routing/vocabulary.js";

/**
 * The classifier's rules as data. Classification runs in two layers:
 *
 * 1. Structural features (`FEATURE_PATTERNS`, read by small detectors in `classifier.ts`):
 *    pasted config/code, an inline PromQL/LogQL expression, a pasted or quoted error artifact,
 *    a request for a verdict, a request for code. `PRIORITY_RULES` turn combinations of them
 *    into a type directly (pasted code + verdict question → code_review; pasted error
 *    artifact → debug_issue).
 * 2. Otherwise each signal is a pattern with a weight towards one query type; the type with
 *    the highest total wins, ties broken by `TIE_BREAK_ORDER`.
 *
 * 3. When no priority rule fired and the two best scores are close (`LEARNED_GATE`), a naive-Bayes
 *    model trained at build time on the development set (`routing/naiveBayes.ts`) may decide.
 *
 * Every pattern is a general linguistic or structural cue (request forms, artifact nouns,
 * symptom wording, log/kubectl shapes), never a string copied from an evaluation item. Tuned
 * on the development part of the routing set only (`evals/datasets/routing.jsonl`); the held-out
 * part (`routing.heldout.jsonl`) measures them (`npm run eval -- --dataset routing`).
 */
export type { Signal, SignalTable } from "./routing/signal.js";

// ---------------------------------------------------------------------------------------------
// Layer 1: structural features and priority rules
// ---------------------------------------------------------------------------------------------

export type Feature =
  | "pastedCode"
  | "inlineQuery"
  | "errorArtifact"
  | "verdictQuestion"
  | "questionAboutGiven"
  | "refersToGivenCode"
  | "codeRequest"
  | "leadingCodeRequest"
  | "asksForFix"
  | "generalMeaningQuestion";

/**
 * "PodMonitor for rabbitmq on port 9419", "networkpolicy so only …", "logql: count of …": an artifact noun
 * near the start (no question word before it, no verb inside the noun phrase), then a purpose clause
 * (":", "so", "that", "which"; or "for/to/with/per" or a participle of function — "giving",
 * "routing", "scraping" — when no broken-state verb follows, which would make it a symptom report:
 * "the dashboard for payments is empty").
 */
const ARTIFACT_LEAD = new RegExp(
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
  codeRequest: new RegExp(`\\b(?:write|generate|create|draft|give me|gimme|show me|craft|scaffold|produce|how (?:do|would|can|should) i (?:write|express|template|define|declare)|how (?:would|does|should) (?:the|a|an|that|this) (?=[\\w ]{0,20}(?:promql|logql|traceql|query|rule|yaml|manifest|config)\\b[\\w ]{0,10}\\blook)|(?<!why (?:do|would|should) (?:we|i|you) )need an?|(?<!(?:do|would|should|when) (?:we|i|you) )want an?)\\b[^.?!\\n]{0,40}\\b${CODE_NOUNS}\\b`, "i"),
};

/** A combination of features that decides the type before any scoring. First match wins. */
export interface PriorityRule {
  type: QueryType;
  /** Every one of these features must be present. */
  all: Feature[];
  /** None of these may be present. */
  none: Feature[];
  /** Added to the type's score so explanations show the winner on top. */
  weight: number;
  label: string;
}

export const PRIORITY_RULES: PriorityRule[] = [
  { type: "code_review", all: ["pastedCode", "verdictQuestion"], none: ["errorArtifact"], weight: 10, label: "pasted code with a request for a verdict" },
  { type: "code_review", all: ["inlineQuery", "verdictQuestion"], none: ["errorArtifact"], weight: 10, label: "inline query with a request for a verdict" },
  { type: "code_review", all: ["pastedCode", "refersToGivenCode"], none: ["errorArtifact", "codeRequest"], weight: 10, label: "question about pasted code" },
  { type: "code_review", all: ["pastedCode", "questionAboutGiven"], none: ["errorArtifact", "codeRequest"], weight: 10, label: "does this pasted code do what I think" },
  { type: "code_generation", all: ["leadingCodeRequest"], none: ["pastedCode", "errorArtifact", "verdictQuestion", "questionAboutGiven"], weight: 10, label: "opens with a request for code" },
  { type: "explanation", all: ["generalMeaningQuestion"], none: ["pastedCode"], weight: 10, label: "asks what a code or message means in general" },
  { type: "debug_issue", all: ["errorArtifact"], none: ["verdictQuestion", "codeRequest"], weight: 10, label: "pasted or quoted error artifact" },
  { type: "debug_issue", all: ["errorArtifact", "asksForFix"], none: ["verdictQuestion"], weight: 10, label: "pasted error artifact with a request for a fix" },
];

// ---------------------------------------------------------------------------------------------
// Layer 2: weighted signals
// ---------------------------------------------------------------------------------------------

export const SIGNALS: SignalTable = {
  chat: [
    { pattern: /^\s*(hi|hey|hello|yo|howdy|good (morning|afternoon|evening)|morning|evening|sup|hiya|heya|gm|o\/)\b(\s+(all|everyone|everybody|team|folks|guys|y'?all|there|people|friend|bot|[a-z]+))?[\s!.,]*$/i, weight: 6, label: "greeting" },
    { pattern: /^\s*(hi|hey|hello|yo|howdy|hiya|good (morning|afternoon|evening)|morning|evening|gm)\b[\s!.,]/i, weight: 1.5, label: "greeting opener" },
    { pattern: /\b(thanks|thank (you|u)|thx|ty|tysm|tyvm|many thanks|cheers|appreciate (it|that|the help|your help)|that worked|you rock|nice one|(that|it|this) (fixed it|did the trick|helped|worked))\b/i, weight: 2.5, label: "thanks" },
    { pattern: /\b(who are you|what are you|what can you do|what (can|could) you help( me)?( with)?\s*\??\s*$|are you (an? )?(bot|ai|human|llm|person|real|chatgpt|gpt[\w.-]*|claude|llama[\w.-]*|gemini|copilot|mistral)|your name|what model are you|which model are you|what (model|llm) (are you|is this)|how are you|who (made|built|created|trained|wrote|runs) (you|u)|are you (better|smarter|faster|worse) than|are you (running|using|based) on|(is )?behind you|(this|the) (bot|assistant) (any )?good|are you (open[- ]source|free|local|self-hosted|offline|private)|you'?re (an? )?(bot|ai|human|llm|real person)|you'?re (a lot |way |much )?(better|smarter|faster|quicker|slower|worse) than)\b/i, weight: 5, label: "about the assistant" },
    { pattern: /\b((can|could|do) you|are you able to) ((actually|really|even|also|now) )?(see|access|read|reach|connect to|log ?in(to)?|query|look at|browse|run commands (in|on)) (our|my|the) ([\w-]+ )?(cluster|clusters|servers?|grafana|prometheus|logs|infra|infrastructure|systems?|environment|dashboards?|metrics|alerts|repos?|codebase|network|data|k8s|kubernetes|slack|pagerduty|internet|web)\b|\b(do|can|could|will) you (remember|recall|store|keep|save|log|learn from|have access|have memory)\b|\bwhat (we|i) (talked|chatted|spoke|discussed) about\b|\b(your|you have) (memory|context window|knowledge cutoff|training data)\b/i, weight: 5, label: "question about the assistant's abilities" },
    { pattern: new RegExp(`\\b(answer|reply|respond|talk|speak|write back|chat)( to me)? (in|using) ${LANGUAGES}\\b|\\b(can|do) you speak ${LANGUAGES}\\b|\\b(what|which) languages? (do|can) you (speak|understand|support)\\b`, "i"), weight: 5, label: "asks for another language" },
    { pattern: /\b(that|this|your|the) (last |previous |earlier |first )?(answer|response|reply|suggestion|advice)( you gave( me)?)? (was|is|isn'?t|wasn'?t) (wrong|incorrect|off|outdated|not right|right|useless|bad|great|perfect|helpful|spot on|correct)\b|\byou('re| are| were| was) (so |really |very |a bit |kinda |pretty |super )?(wrong|mistaken|right|hallucinating|slow|fast|quick|funny|helpful|useless|smart|dumb|confused|lagging)\b|\b(good|bad|great|wrong) (answer|bot)\b/i, weight: 5, label: "feedback on an answer" },
    { pattern: /\b(jokes?|weather|lunch|coffee|weekend|movies?|films?|football|soccer|birthday|vacation|holiday|books?|novels?|podcasts?|recipes?|brb|afk|gtg|ttyl|happy (mon|tues|wednes|thurs|fri|satur|sun)day|happy new year|happy holidays|quiet (on-?call|shift|night|day|week)|long (night|day|shift|week)|so far so good|tell me (something (fun|funny|interesting|random)|a (joke|story|fun fact))|non-?work (stuff|things|questions?)|off-?topic)\b/i, weight: 3, label: "small talk or off-topic" },
    { pattern: /^\s*(nvm|never ?mind|figured it out|all good( now)?|sorted|solved it|works now|it works now)\b|\b(wrong (channel|chat|window|thread|tab)|is this thing on|are you (there|alive|awake|working))\b/i, weight: 3, label: "closes the conversation or meta chatter" },
    { pattern: /\b(haha|lol|lmao|hehe)\s*[!.]*$/i, weight: 1, label: "ends laughing" },
    { pattern: /^\s*(haha|hah|lol|lmao|hehe|rofl|xd)\b|\b(you helped|that helped|this helped|helped a lot)\b/i, weight: 3, label: "laughter or gratitude" },
    { pattern: /\b(your|ur) (favou?rite|hobby|hobbies|opinion on (life|music|food))\b|\bdo you (like|enjoy|dream|sleep|have feelings|work on weekends|ever sleep|get tired)\b|\bremember (this|that) for (next time|later)\b/i, weight: 5, label: "personal question to the assistant" },
    { pattern: /\b(you'?re|you are|ur) (a |an |the )?(lifesaver|life saver|legend|star|hero|best|awesome|amazing|great|genius|champ)\b/i, weight: 3, label: "praise" },
    { pattern: /^\s*(?:(?:ok|okay|k|cool|great|nice|lol|haha|bye|see ya|cya|see you|later|night|good night|gn|awesome|perfect|got it|makes sense|sounds good|will do|noted|sure|yep|yup)\b[\s!.,]*)+$/i, weight: 5, label: "acknowledgement" },
    { pattern: /^\s*(?:(?:ok|okay|k|alright|right)[,!]?\s+)?(?:bye|cya|see ya|later|laters|good ?night|gn)\b/i, weight: 4, label: "opens with a farewell" },
    { pattern: /\bthat'?s (it|all) from me\b|\b(i'?m|im) (out|off)\s*[!.]*$|\bheading (out|home|off)\b|\btalk (tomorrow|later|soon)\b/i, weight: 5, label: "farewell" },
    { pattern: /^(?=[^]*\p{Extended_Pictographic})[\s\p{Extended_Pictographic}\u200d\ufe0f!.]+$/u, weight: 6, label: "emoji only" },
    { pattern: /[\u{1F389}\u{1F38A}\u{1F64F}\u{1F44D}\u{1F973}\u{1F60A}\u{1F604}\u{1F601}\u{2764}\u{1F64C}\u{1F525}\u{1F37B}\u{1F37A}\u{2615}]/u, weight: 1.5, label: "cheerful emoji" },
  ],
  code_review: [
    { pattern: FEATURE_PATTERNS.verdictQuestion, weight: 3.5, label: "asks for a verdict on given code" },
    { pattern: /```|\n\s*(apiVersion|kind|metadata|spec|groups|rules|expr|resource|module|def|func|FROM|RUN|- name|- alert|- record):?/i, weight: 1.5, label: "pasted code or config" },
    { pattern: FEATURE_PATTERNS.refersToGivenCode, weight: 1.5, label: "refers to given code" },
    { pattern: /\b(?:\w+ (?:true|false)|\w+ \d+[smh]\b)(?:,\s*\w+ (?:true|false|\d+[smh]?\b)){1,}/i, weight: 1, label: "config described field by field" },
  ],
  code_generation: [
    { pattern: FEATURE_PATTERNS.codeRequest, weight: 3.5, label: "asks for code or config" },
    { pattern: new RegExp(`^(?!\\s*${QUESTION_START}\\b)[^\\n]*?\\b(want|need|add|make|build)\\b[^.?!\\n]{0,40}\\b${ARTIFACT}\\b`, "i"), weight: 2.5, label: "wants an artifact" },
    { pattern: /\b(write|generate|scaffold) (me )?(a|an|the|some)\b/i, weight: 2, label: "write/generate" },
    { pattern: /\b(how (do|would|can|should) i|how to) (write|express|template|define|declare)\b/i, weight: 2, label: "how to write" },
    { pattern: ARTIFACT_LEAD, weight: 3.5, label: "artifact noun with a purpose (request without a verb)" },
    {
      // "sops + age for flux: the .sops.yaml and …": a topic, a colon, then the artifacts wanted.
      pattern: new RegExp(`^(?!\\s*${QUESTION_START}\\b)(?![^:\\n]*\\b(?:getting|got|error|err|fail\\w*|says|said|warning|fatal|panic)\\b)[^?:\\n]{2,60}:\\s*(?:the|a|an|some)?\\s*(?:[\\w.-]+\\s+){0,2}?[\\w.\\/-]*?\\b${ARTIFACT}\\b`, "i"),
      weight: 2.5,
      label: "topic followed by the artifacts wanted",
    },
    { pattern: /\balert(?:ing)?(?: rule)?s? (?:that|which|to) (?:fires?|triggers?|pages?|goes off|notif(?:y|ies)|warns?)\b|^\s*(?:an? |new )?alert(?:ing)?(?: rule)? (?:on|when|if|that|for (?:when|if))\b/i, weight: 3, label: "describes an alert to be written" },
    { pattern: /\b(one[- ]liner|oneliner|bash loop|script (to|that)|query (to|that|for)|rule (that|to|for)|manifest for|yaml for|config for|values for|dashboard for|panel (for|that))\b/i, weight: 2.5, label: "artifact with a purpose" },
  ],
  debug_issue: [
    { pattern: /\b(error|err|fatal|panic|exception|failed|failure|denied|refused|timeout|timed out|invalid|unauthorized|forbidden)\b\s*[:=]\s*["']?\w/i, weight: 3, label: "quoted error message" },
    { pattern: /\b(level=(error|warn|fatal)|caller=|ts=\d|msg=|"level":"(error|fatal)"|E\d{4} \d\d:\d\d|traceback|goroutine \d+|at [\w.$]+\(|stack ?trace|panic: \w)/i, weight: 4, label: "pasted log or stack trace" },
    { pattern: /\b(exit(ed|s)? (code |status |with (code |status )?)?\d+|status(code)? \d{3}|http \d{3}|errno \d+)\b/i, weight: 3, label: "exit code or status" },
    { pattern: /\b(errno|segfault|sig(kill|term|segv)|oomkilled)\b/i, weight: 1.5, label: "kill reason" },
    { pattern: /\n\s*NAME\s+(READY|STATUS|AGE|REVISION)|\b\d+\/\d+\s+(CrashLoopBackOff|Error|Pending|ImagePullBackOff|ErrImagePull|Running|Init:\S+)\b|\bReady\s+False\b|(?:^|\n)\s*(?:Warning|Normal)\s+\w+\s+/i, weight: 4, label: "pasted kubectl output" },
    { pattern: /\b(what does (this|that|it) (error|message|log|mean)|what does .{3,60} mean|why am i (getting|seeing)|getting (this|an?|the) (error|message)|seeing (this|these|an?) (error|errors|message|log)|keep getting|this error|the error|error says|it says|throws?|complains?)\b/i, weight: 2.5, label: "asks about a specific error" },
    { pattern: /["'`][^"'`\n]{12,}["'`]/, weight: 1, label: "quoted text" },
    { pattern: /\b(?:getting|seeing|got|hitting|receiving|returns?|returning)\s+(?:an? |the )?(?:error )?["'`][^"'`\n]{3,}["'`]/i, weight: 3, label: "reports a quoted message" },
    { pattern: /\b(x509|certificate signed by unknown authority|context deadline exceeded|connection refused|no such host|permission denied|back-off restarting|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|CrashLoopBackOff|OOMKilled|FailedScheduling|FailedMount|Insufficient (cpu|memory)|no space left on device|too many open files|i\/o timeout|EOF|unexpected status code|manifest unknown|already exists|not found|retries exhausted|reconciliation failed|dry-run failed)\b/i, weight: 1.5, label: "known error string" },
  ],
  lookup_runbook: [
    { pattern: /\b(runbook|run book|playbook|sop|standard operating procedure|procedure|checklist|escalation (path|policy)|documented (steps|way|procedure|process)|our (process|steps|docs?|guide|wiki)|the process (for|to))\b/i, weight: 4, label: "asks for a runbook or procedure" },
    { pattern: /\b(where('?s| is| are| do i find| can i find)? (the |our )?(docs?|documentation|wiki|write-?up|guide|how-?to|steps|procedure|runbook)( page)? (for|on|about)|is there (a|an|any) (doc|docs|documentation|runbook|guide|wiki|write-?up|how-?to|page)\b|(do|did) we have (that|this|it|a doc|docs|anything) (written down|documented)|(do|did) we have (a |any )?(docs?|documentation|runbook|guide|wiki|write-?up)s? (on|for|about)|is (that|this|it|there a doc|there anything) (written down|documented)|written down somewhere|we have an? (doc|runbook|page|write-?up|wiki page) (somewhere|for (this|that|it))|where (do|did) (we|you) (document|keep|write down|describe))\b/i, weight: 4, label: "asks where a procedure is documented" },
    { pattern: /\b(steps|step[- ]by[- ]step|how do (we|i)|how to|what'?s the (process|procedure|way)) (to |for )?((safely|properly|correctly|quickly) )?(rotate|restore|renew|upgrade|drain|cordon|failover|fail over|roll ?back|rollback|recover|backup|back up|migrate|scale|decommission|replace|bootstrap|re-?sync|resync|reindex|promote|onboard|add a node|remove a node|clean ?up|purge|compact|silence|snapshot|unseal|reset)\b/i, weight: 3.5, label: "asks for an operational procedure" },
    { pattern: /^\s*(?:the |what are the )?steps (?:to|for)\b/i, weight: 3.5, label: "asks for the steps of a task" },
    { pattern: /^(?!\s*(?:how (?:does|do|is|are) (?!(?:i|we|you|one)\b)|explain|walk me through|what happens))[^]*?\bstep[- ]by[- ]step\b/i, weight: 3, label: "step by step" },
    { pattern: /\b(bootstrap\w*|upgrade|restore|failover|fail-over|rollback|roll-back|migration|install(?:ation)?|setup|set-up|onboarding|recovery|rotation|decommission\w*|maintenance|patching|cutover)\s+(steps|procedure|process|checklist)\b/i, weight: 3.5, label: "names an operation's steps" },
    { pattern: /\b(how (do|should|would|can) (we|i)|how to|steps (to|for)|process for|procedure for) (do |perform |run |execute |carry out |handle )?(a |an |the |our )?([\w-]+ ){0,2}(failover|fail-over|restore|upgrade|rollback|roll-back|migration|rotation|renewal|recovery|cutover|switchover|decommission\w*)\b/i, weight: 3.5, label: "asks how an operation is carried out" },
    { pattern: /\b(what (do|should) (i|we) do (when|if|about)|what to do (when|if|about)|how (do|should) (i|we) (handle|respond to|deal with)|response to|who (do i|to) page)\b/i, weight: 2.5, label: "asks what to do for an event" },
    { pattern: new RegExp(`\\b${ALERT_NAME}\\b`), weight: 1, label: "names an alert" },
    {
      // "how do i fix KubePersistentVolumeFillingUp": an alert name and nothing about a situation.
      pattern: new RegExp(`^\\s*(?:how (?:do|can|should|would) (?:i|we|you)|how to) (?:fix|handle|resolve|deal with|respond to|troubleshoot|address|clear)\\s+(?:the\\s+|an?\\s+)?${ALERT_NAME}(?:\\s+alerts?)?\\s*[?.!]*\\s*$`),
      weight: 5,
      label: "how to fix a named alert, no situation described",
    },
  ],
  troubleshooting: [
    { pattern: new RegExp(`\\b${SYMPTOM_WORDS}\\b`, "i"), weight: 2, label: "describes a symptom" },
    { pattern: /\b(?:isn'?t|isnt|is not|aren'?t|arent|are not|not|no longer|stopped|never)\s+\w+ing\b|\b(?:won'?t|wont|doesn'?t|doesnt|didn'?t|didnt|hasn'?t|hasnt|haven'?t|havent|can'?t|cant|never)\s+(?!(?:know|understand|get why|see why|think|want|need|care|mind|matter)\b)\w+|\b(?:anymore|out of sync|no longer)\b/i, weight: 2, label: "something stopped working" },
    { pattern: /\bkeeps? (?:on )?\w+ing\b|\bkeeps? (?:getting|being) \w+|\b(?:again|every (?:hour|day|night|morning|few \w+))\b/i, weight: 2, label: "recurring problem" },
    { pattern: /^\s*why (?:is|are) (?:[\w.-]+\s+){1,3}?(?!going|trying|meant|supposed)\w+ing\b/i, weight: 2, label: "why is a system doing something" },
    { pattern: /\b(?:is|are|takes?|went( up)? to|now)\s+(?:like |about |around |~|over |almost )?\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|seconds|m|min|mins|minutes|h|hrs|hours|days|%|gb|gi|mb|mi)\b(?:\s+now)?|\b(?:instead of|up from|down from|used to be|used to take)\s+\d/i, weight: 1.5, label: "a measurement that got worse" },
    {
      // A plain statement about a system, not a question or a request: on-call engineers report symptoms this way.
      pattern: /^(?!\s*(?:why|what|whats|how|when|where|who|which|is|are|does|do|did|can|could|should|would|will|explain|tell|show|give|list|describe|walk|help|write|generate|create|make|need|i need|i want|pls|please)\b)(?![^\n]*\?\s*$)\s*\S+(?:\s+\S+){2,}/i,
      weight: 1,
      label: "a statement about a system (no question)",
    },
    { pattern: /\b(firing|fired|paging|paged|page(d)? me|incident|outage|in prod|prod is|production|since (this morning|yesterday|last \w+|the \w+|(we|i|they|someone) [a-z]+ed|(mon|tues|wednes|thurs|fri|satur|sun)day|\d)|last night|this morning|overnight|after (the |we |our |a )?([\w-]+ )?(deploy|upgrade|migration|restart|rollout|update|reboot|maintenance|failover|rotation|moved|switched|changed|enabled|disabled|added|removed)\w*|\d+ ?(min|mins|minutes|h|hrs|hours|days) ago)\b/i, weight: 2, label: "live incident context" },
    { pattern: new RegExp(`\\b${ALERT_NAME}\\s+(?:alerts?\\s+)?(?:is\\s+|keeps\\s+|has been\\s+|been\\s+)?(?:firing|fired|going off|triggered|triggering|flapping|paging|on|for|in|since|at)\\b`), weight: 3, label: "an alert with a situation" },
    { pattern: /^\s*why (?:is|are|does|do|did|has|have|won'?t|wont|doesn'?t|doesnt|isn'?t|isnt|aren'?t|can'?t|cant)\s+(?:\w+\s+)?(?:my|our)\b/i, weight: 2, label: "why is my/our system doing this" },
    { pattern: /\b(pls|please)? ?(?<!\b(?:the|your|for|of) )(help|halp)\b|\b(how (do|can) i fix|how to fix|fix (this|it)|what('?s| is) (causing|wrong)|why (is|are|does|do|did|has|have)\b.{0,60}\b(fail|crash|restart|down|slow|high|missing|empty|stuck|pending|drop|throttl|evict|oom|error|not|grow|spik|increas|leak|full|lag|time out|timing out|flap|broke|stopp|so (slow|fast|high|big|large)))/i, weight: 2, label: "asks for a fix or cause" },
    { pattern: /\b(investigate|diagnos(e|is)|debug(ging)?|troubleshoot(ing)?|root cause|rca|where to (even )?start)\b/i, weight: 1.5, label: "investigation" },
    { pattern: /\b(query|promql|logql|command)\b.{0,25}\b(to (find|see|figure out|tell|check|identify|show)|that (shows?|finds?|tells?)) (which|what|where|who|how many|how much|whether|if)\b/i, weight: 3.5, label: "asks for a diagnostic query" },
  ],
  explanation: [
    { pattern: /^\s*(what('?s| is| are)|what does|what happens|how (does|do|is|are)|why (do|does|is|are|would|should)|explain|eli5|difference between|diff between|when (should|would|to|do (i|we|you))|should i use|is it (better|worth)|pros and cons|compare|vs\.?|versus)\b/i, weight: 2.5, label: "conceptual question" },
    { pattern: /\b(difference between|differ(s|ence)? from|vs\.?|versus|compared to|trade-?offs?|pros and cons|when to use|best practices?|how does .{2,40} work|what is the purpose|what'?s the point|concept|in general|under the hood|architecture of|explain|eli5|meaning of|whats the difference|what'?s the deal with|walk me through|how .{2,40} flows?)\b/i, weight: 2.5, label: "comparison or concept" },
    { pattern: /^\s*how (should|would|could) (we|i|you|one) (design|structure|set ?up|organi[sz]e|architect|approach|think about|model|plan|lay out|split)\b|\b(what'?s|what is) the (best|right|recommended|usual|idiomatic) (way|approach|pattern|setup) (to|for)\b|\bshould (we|i) (use|run|go with|pick|choose|switch to|prefer)\b/i, weight: 2.5, label: "design or choice question" },
    { pattern: /^\s*why (?:is|are|would|should)\b(?![^?\n]*\b(?:my|our)\b)[^?\n]{1,60}\b(?:bad|good|better|worse|important|recommended|discouraged|preferred|frowned upon|a bad idea|a good idea)\s*\??\s*$/i, weight: 2.5, label: "asks why a practice is good or bad" },
    { pattern: /^\s*why (?:does|do|would|can|could|is|are)\b[^?\n]{0,80}\b(?:happen|happens|occur|occurs|exist|exists|matter|matters|work that way|work like that)\b/i, weight: 2.5, label: "asks why a mechanism behaves as it does" },
    { pattern: /^\s*(?:how (?:does|do|is|are) (?!(?:i|we|you|one)\b)|what happens (?:when|if|after|during))[^\n]*\bstep[- ]by[- ]step\b/i, weight: 2.5, label: "asks for a mechanism in order" },
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

/**
 * When the learned model (`routing/naiveBayes.ts`) decides instead of the rules: no priority rule
 * fired, the rules' two best scores are less than `margin` apart, and the model gives its choice
 * a posterior of at least `minPosterior`. Chosen on development queries that the rules had not
 * been tuned on (evals/datasets/README.md).
 */
export const LEARNED_GATE = { margin: 3, minPosterior: 0.6 } as const;

/** The type of a query that no signal matches. */
export const DEFAULT_QUERY_TYPE: QueryType = "explanation";

/** Signals that the user explicitly wants code or config in the answer, whatever the type. */
export const CODE_REQUEST_SIGNALS: Signal[] = [
  { pattern: new RegExp(`\\b(give me|gimme|show me|write|generate|need|want|paste|share|send|provide|with|include)\\b[^.?!\\n]{0,30}\\b${CODE_NOUNS}\\b`, "i"), weight: 1, label: "asks for code or config" },
  { pattern: /\b(promql|logql|traceql) (to|for|that)\b/i, weight: 1, label: "asks for a query" },
];

export * from "./routing/complexityRules.js";
