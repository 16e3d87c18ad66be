/**
 * Layer 2 of the classifier's rules (see `../classifierRules.ts`): per query type, patterns with a
 * weight towards it; the type with the highest total wins.
 */
import { ARTIFACT_LEAD, FEATURE_PATTERNS } from "./features.js";
import type { SignalTable } from "./signal.js";
import { ALERT_NAME, ARTIFACT, LANGUAGES, QUESTION_START, SYMPTOM_WORDS } from "./vocabulary.js";

export const SIGNALS: SignalTable = {
  chat: [
    {
      pattern:
        /^\s*(hi|hey|hello|yo|howdy|good (morning|afternoon|evening)|morning|evening|sup|hiya|heya|gm|o\/)\b(\s+(all|everyone|everybody|team|folks|guys|y'?all|there|people|friend|bot|[a-z]+))?[\s!.,]*$/i,
      weight: 6,
      label: "greeting",
    },
    { pattern: /^\s*(hi|hey|hello|yo|howdy|hiya|good (morning|afternoon|evening)|morning|evening|gm)\b[\s!.,]/i, weight: 1.5, label: "greeting opener" },
    {
      pattern:
        /\b(thanks|thank (you|u)|thx|ty|tysm|tyvm|many thanks|cheers|appreciate (it|that|the help|your help)|that worked|you rock|nice one|(that|it|this) (fixed it|did the trick|helped|worked))\b/i,
      weight: 2.5,
      label: "thanks",
    },
    {
      pattern:
        /\b(who are you|what are you|what can you do|what (can|could) you help( me)?( with)?\s*\??\s*$|are you (an? )?(bot|ai|human|llm|person|real|chatgpt|gpt[\w.-]*|claude|llama[\w.-]*|gemini|copilot|mistral)|your name|what model are you|which model are you|what (model|llm) (are you|is this)|how are you|who (made|built|created|trained|wrote|runs) (you|u)|are you (better|smarter|faster|worse) than|are you (running|using|based) on|(is )?behind you|(this|the) (bot|assistant) (any )?good|are you (open[- ]source|free|local|self-hosted|offline|private)|you'?re (an? )?(bot|ai|human|llm|real person)|you'?re (a lot |way |much )?(better|smarter|faster|quicker|slower|worse) than)\b/i,
      weight: 5,
      label: "about the assistant",
    },
    {
      pattern:
        /\b((can|could|do) you|are you able to) ((actually|really|even|also|now) )?(see|access|read|reach|connect to|log ?in(to)?|query|look at|browse|run commands (in|on)) (our|my|the) ([\w-]+ )?(cluster|clusters|servers?|grafana|prometheus|logs|infra|infrastructure|systems?|environment|dashboards?|metrics|alerts|repos?|codebase|network|data|k8s|kubernetes|slack|pagerduty|internet|web)\b|\b(do|can|could|will) you (remember|recall|store|keep|save|log|learn from|have access|have memory)\b|\bwhat (we|i) (talked|chatted|spoke|discussed) about\b|\b(your|you have) (memory|context window|knowledge cutoff|training data)\b/i,
      weight: 5,
      label: "question about the assistant's abilities",
    },
    {
      pattern: new RegExp(
        `\\b(answer|reply|respond|talk|speak|write back|chat)( to me)? (in|using) ${LANGUAGES}\\b|\\b(can|do) you speak ${LANGUAGES}\\b|\\b(what|which) languages? (do|can) you (speak|understand|support)\\b`,
        "i",
      ),
      weight: 5,
      label: "asks for another language",
    },
    {
      pattern:
        /\b(that|this|your|the) (last |previous |earlier |first )?(answer|response|reply|suggestion|advice)( you gave( me)?)? (was|is|isn'?t|wasn'?t) (wrong|incorrect|off|outdated|not right|right|useless|bad|great|perfect|helpful|spot on|correct)\b|\byou('re| are| were| was) (so |really |very |a bit |kinda |pretty |super )?(wrong|mistaken|right|hallucinating|slow|fast|quick|funny|helpful|useless|smart|dumb|confused|lagging)\b|\b(good|bad|great|wrong) (answer|bot)\b/i,
      weight: 5,
      label: "feedback on an answer",
    },
    {
      pattern:
        /\b(jokes?|weather|lunch|coffee|weekend|movies?|films?|football|soccer|birthday|vacation|holiday|books?|novels?|podcasts?|recipes?|brb|afk|gtg|ttyl|happy (mon|tues|wednes|thurs|fri|satur|sun)day|happy new year|happy holidays|quiet (on-?call|shift|night|day|week)|long (night|day|shift|week)|so far so good|tell me (something (fun|funny|interesting|random)|a (joke|story|fun fact))|non-?work (stuff|things|questions?)|off-?topic)\b/i,
      weight: 3,
      label: "small talk or off-topic",
    },
    {
      pattern:
        /^\s*(nvm|never ?mind|figured it out|all good( now)?|sorted|solved it|works now|it works now)\b|\b(wrong (channel|chat|window|thread|tab)|is this thing on|are you (there|alive|awake|working))\b/i,
      weight: 3,
      label: "closes the conversation or meta chatter",
    },
    { pattern: /\b(haha|lol|lmao|hehe)\s*[!.]*$/i, weight: 1, label: "ends laughing" },
    { pattern: /^\s*(haha|hah|lol|lmao|hehe|rofl|xd)\b|\b(you helped|that helped|this helped|helped a lot)\b/i, weight: 3, label: "laughter or gratitude" },
    {
      pattern:
        /\b(your|ur) (favou?rite|hobby|hobbies|opinion on (life|music|food))\b|\bdo you (like|enjoy|dream|sleep|have feelings|work on weekends|ever sleep|get tired)\b|\bremember (this|that) for (next time|later)\b/i,
      weight: 5,
      label: "personal question to the assistant",
    },
    { pattern: /\b(you'?re|you are|ur) (a |an |the )?(lifesaver|life saver|legend|star|hero|best|awesome|amazing|great|genius|champ)\b/i, weight: 3, label: "praise" },
    {
      pattern: /^\s*(?:(?:ok|okay|k|cool|great|nice|lol|haha|bye|see ya|cya|see you|later|night|good night|gn|awesome|perfect|got it|makes sense|sounds good|will do|noted|sure|yep|yup)\b[\s!.,]*)+$/i,
      weight: 5,
      label: "acknowledgement",
    },
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
      pattern: new RegExp(
        `^(?!\\s*${QUESTION_START}\\b)(?![^:\\n]*\\b(?:getting|got|error|err|fail\\w*|says|said|warning|fatal|panic)\\b)[^?:\\n]{2,60}:\\s*(?:the|a|an|some)?\\s*(?:[\\w.-]+\\s+){0,2}?[\\w.\\/-]*?\\b${ARTIFACT}\\b`,
        "i",
      ),
      weight: 2.5,
      label: "topic followed by the artifacts wanted",
    },
    {
      pattern:
        /\balert(?:ing)?(?: rule)?s? (?:that|which|to) (?:fires?|triggers?|pages?|goes off|notif(?:y|ies)|warns?)\b|^\s*(?:an? |new )?alert(?:ing)?(?: rule)? (?:on|when|if|that|for (?:when|if))\b/i,
      weight: 3,
      label: "describes an alert to be written",
    },
    {
      pattern: /\b(one[- ]liner|oneliner|bash loop|script (to|that)|query (to|that|for)|rule (that|to|for)|manifest for|yaml for|config for|values for|dashboard for|panel (for|that))\b/i,
      weight: 2.5,
      label: "artifact with a purpose",
    },
  ],
  debug_issue: [
    { pattern: /\b(error|err|fatal|panic|exception|failed|failure|denied|refused|timeout|timed out|invalid|unauthorized|forbidden)\b\s*[:=]\s*["']?\w/i, weight: 3, label: "quoted error message" },
    {
      pattern: /\b(level=(error|warn|fatal)|caller=|ts=\d|msg=|"level":"(error|fatal)"|E\d{4} \d\d:\d\d|traceback|goroutine \d+|at [\w.$]+\(|stack ?trace|panic: \w)/i,
      weight: 4,
      label: "pasted log or stack trace",
    },
    { pattern: /\b(exit(ed|s)? (code |status |with (code |status )?)?\d+|status(code)? \d{3}|http \d{3}|errno \d+)\b/i, weight: 3, label: "exit code or status" },
    { pattern: /\b(errno|segfault|sig(kill|term|segv)|oomkilled)\b/i, weight: 1.5, label: "kill reason" },
    {
      pattern:
        /\n\s*NAME\s+(READY|STATUS|AGE|REVISION)|\b\d+\/\d+\s+(CrashLoopBackOff|Error|Pending|ImagePullBackOff|ErrImagePull|Running|Init:\S+)\b|\bReady\s+False\b|(?:^|\n)\s*(?:Warning|Normal)\s+\w+\s+/i,
      weight: 4,
      label: "pasted kubectl output",
    },
    {
      pattern:
        /\b(what does (this|that|it) (error|message|log|mean)|what does .{3,60} mean|why am i (getting|seeing)|getting (this|an?|the) (error|message)|seeing (this|these|an?) (error|errors|message|log)|keep getting|this error|the error|error says|it says|throws?|complains?)\b/i,
      weight: 2.5,
      label: "asks about a specific error",
    },
    { pattern: /["'`][^"'`\n]{12,}["'`]/, weight: 1, label: "quoted text" },
    { pattern: /\b(?:getting|seeing|got|hitting|receiving|returns?|returning)\s+(?:an? |the )?(?:error )?["'`][^"'`\n]{3,}["'`]/i, weight: 3, label: "reports a quoted message" },
    {
      pattern:
        /\b(x509|certificate signed by unknown authority|context deadline exceeded|connection refused|no such host|permission denied|back-off restarting|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|CrashLoopBackOff|OOMKilled|FailedScheduling|FailedMount|Insufficient (cpu|memory)|no space left on device|too many open files|i\/o timeout|EOF|unexpected status code|manifest unknown|already exists|not found|retries exhausted|reconciliation failed|dry-run failed)\b/i,
      weight: 1.5,
      label: "known error string",
    },
  ],
  lookup_runbook: [
    {
      pattern:
        /\b(runbook|run book|playbook|sop|standard operating procedure|procedure|checklist|escalation (path|policy)|documented (steps|way|procedure|process)|our (process|steps|docs?|guide|wiki)|the process (for|to))\b/i,
      weight: 4,
      label: "asks for a runbook or procedure",
    },
    {
      pattern:
        /\b(where('?s| is| are| do i find| can i find)? (the |our )?(docs?|documentation|wiki|write-?up|guide|how-?to|steps|procedure|runbook)( page)? (for|on|about)|is there (a|an|any) (doc|docs|documentation|runbook|guide|wiki|write-?up|how-?to|page)\b|(do|did) we have (that|this|it|a doc|docs|anything) (written down|documented)|(do|did) we have (a |any )?(docs?|documentation|runbook|guide|wiki|write-?up)s? (on|for|about)|is (that|this|it|there a doc|there anything) (written down|documented)|written down somewhere|we have an? (doc|runbook|page|write-?up|wiki page) (somewhere|for (this|that|it))|where (do|did) (we|you) (document|keep|write down|describe))\b/i,
      weight: 4,
      label: "asks where a procedure is documented",
    },
    {
      pattern:
        /\b(steps|step[- ]by[- ]step|how do (we|i)|how to|what'?s the (process|procedure|way)) (to |for )?((safely|properly|correctly|quickly) )?(rotate|restore|renew|upgrade|drain|cordon|failover|fail over|roll ?back|rollback|recover|backup|back up|migrate|scale|decommission|replace|bootstrap|re-?sync|resync|reindex|promote|onboard|add a node|remove a node|clean ?up|purge|compact|silence|snapshot|unseal|reset)\b/i,
      weight: 3.5,
      label: "asks for an operational procedure",
    },
    { pattern: /^\s*(?:the |what are the )?steps (?:to|for)\b/i, weight: 3.5, label: "asks for the steps of a task" },
    { pattern: /^(?!\s*(?:how (?:does|do|is|are) (?!(?:i|we|you|one)\b)|explain|walk me through|what happens))[^]*?\bstep[- ]by[- ]step\b/i, weight: 3, label: "step by step" },
    {
      pattern:
        /\b(bootstrap\w*|upgrade|restore|failover|fail-over|rollback|roll-back|migration|install(?:ation)?|setup|set-up|onboarding|recovery|rotation|decommission\w*|maintenance|patching|cutover)\s+(steps|procedure|process|checklist)\b/i,
      weight: 3.5,
      label: "names an operation's steps",
    },
    {
      pattern:
        /\b(how (do|should|would|can) (we|i)|how to|steps (to|for)|process for|procedure for) (do |perform |run |execute |carry out |handle )?(a |an |the |our )?([\w-]+ ){0,2}(failover|fail-over|restore|upgrade|rollback|roll-back|migration|rotation|renewal|recovery|cutover|switchover|decommission\w*)\b/i,
      weight: 3.5,
      label: "asks how an operation is carried out",
    },
    {
      pattern: /\b(what (do|should) (i|we) do (when|if|about)|what to do (when|if|about)|how (do|should) (i|we) (handle|respond to|deal with)|response to|who (do i|to) page)\b/i,
      weight: 2.5,
      label: "asks what to do for an event",
    },
    { pattern: new RegExp(`\\b${ALERT_NAME}\\b`), weight: 1, label: "names an alert" },
    {
      // "how do i fix KubePersistentVolumeFillingUp": an alert name and nothing about a situation.
      pattern: new RegExp(
        `^\\s*(?:how (?:do|can|should|would) (?:i|we|you)|how to) (?:fix|handle|resolve|deal with|respond to|troubleshoot|address|clear)\\s+(?:the\\s+|an?\\s+)?${ALERT_NAME}(?:\\s+alerts?)?\\s*[?.!]*\\s*$`,
      ),
      weight: 5,
      label: "how to fix a named alert, no situation described",
    },
  ],
  troubleshooting: [
    { pattern: new RegExp(`\\b${SYMPTOM_WORDS}\\b`, "i"), weight: 2, label: "describes a symptom" },
    {
      pattern:
        /\b(?:isn'?t|isnt|is not|aren'?t|arent|are not|not|no longer|stopped|never)\s+\w+ing\b|\b(?:won'?t|wont|doesn'?t|doesnt|didn'?t|didnt|hasn'?t|hasnt|haven'?t|havent|can'?t|cant|never)\s+(?!(?:know|understand|get why|see why|think|want|need|care|mind|matter)\b)\w+|\b(?:anymore|out of sync|no longer)\b/i,
      weight: 2,
      label: "something stopped working",
    },
    { pattern: /\bkeeps? (?:on )?\w+ing\b|\bkeeps? (?:getting|being) \w+|\b(?:again|every (?:hour|day|night|morning|few \w+))\b/i, weight: 2, label: "recurring problem" },
    { pattern: /^\s*why (?:is|are) (?:[\w.-]+\s+){1,3}?(?!going|trying|meant|supposed)\w+ing\b/i, weight: 2, label: "why is a system doing something" },
    {
      pattern:
        /\b(?:is|are|takes?|went( up)? to|now)\s+(?:like |about |around |~|over |almost )?\d+(?:\.\d+)?\s*(?:ms|s|sec|secs|seconds|m|min|mins|minutes|h|hrs|hours|days|%|gb|gi|mb|mi)\b(?:\s+now)?|\b(?:instead of|up from|down from|used to be|used to take)\s+\d/i,
      weight: 1.5,
      label: "a measurement that got worse",
    },
    {
      // A plain statement about a system, not a question or a request: on-call engineers report symptoms this way.
      pattern:
        /^(?!\s*(?:why|what|whats|how|when|where|who|which|is|are|does|do|did|can|could|should|would|will|explain|tell|show|give|list|describe|walk|help|write|generate|create|make|need|i need|i want|pls|please)\b)(?![^\n]*\?\s*$)\s*\S+(?:\s+\S+){2,}/i,
      weight: 1,
      label: "a statement about a system (no question)",
    },
    {
      pattern:
        /\b(firing|fired|paging|paged|page(d)? me|incident|outage|in prod|prod is|production|since (this morning|yesterday|last \w+|the \w+|(we|i|they|someone) [a-z]+ed|(mon|tues|wednes|thurs|fri|satur|sun)day|\d)|last night|this morning|overnight|after (the |we |our |a )?([\w-]+ )?(deploy|upgrade|migration|restart|rollout|update|reboot|maintenance|failover|rotation|moved|switched|changed|enabled|disabled|added|removed)\w*|\d+ ?(min|mins|minutes|h|hrs|hours|days) ago)\b/i,
      weight: 2,
      label: "live incident context",
    },
    {
      pattern: new RegExp(`\\b${ALERT_NAME}\\s+(?:alerts?\\s+)?(?:is\\s+|keeps\\s+|has been\\s+|been\\s+)?(?:firing|fired|going off|triggered|triggering|flapping|paging|on|for|in|since|at)\\b`),
      weight: 3,
      label: "an alert with a situation",
    },
    { pattern: /^\s*why (?:is|are|does|do|did|has|have|won'?t|wont|doesn'?t|doesnt|isn'?t|isnt|aren'?t|can'?t|cant)\s+(?:\w+\s+)?(?:my|our)\b/i, weight: 2, label: "why is my/our system doing this" },
    {
      pattern:
        /\b(pls|please)? ?(?<!\b(?:the|your|for|of) )(help|halp)\b|\b(how (do|can) i fix|how to fix|fix (this|it)|what('?s| is) (causing|wrong)|why (is|are|does|do|did|has|have)\b.{0,60}\b(fail|crash|restart|down|slow|high|missing|empty|stuck|pending|drop|throttl|evict|oom|error|not|grow|spik|increas|leak|full|lag|time out|timing out|flap|broke|stopp|so (slow|fast|high|big|large)))/i,
      weight: 2,
      label: "asks for a fix or cause",
    },
    { pattern: /\b(investigate|diagnos(e|is)|debug(ging)?|troubleshoot(ing)?|root cause|rca|where to (even )?start)\b/i, weight: 1.5, label: "investigation" },
    {
      pattern: /\b(query|promql|logql|command)\b.{0,25}\b(to (find|see|figure out|tell|check|identify|show)|that (shows?|finds?|tells?)) (which|what|where|who|how many|how much|whether|if)\b/i,
      weight: 3.5,
      label: "asks for a diagnostic query",
    },
  ],
  explanation: [
    {
      pattern:
        /^\s*(what('?s| is| are)|what does|what happens|how (does|do|is|are)|why (do|does|is|are|would|should)|explain|eli5|difference between|diff between|when (should|would|to|do (i|we|you))|should i use|is it (better|worth)|pros and cons|compare|vs\.?|versus)\b/i,
      weight: 2.5,
      label: "conceptual question",
    },
    {
      pattern:
        /\b(difference between|differ(s|ence)? from|vs\.?|versus|compared to|trade-?offs?|pros and cons|when to use|best practices?|how does .{2,40} work|what is the purpose|what'?s the point|concept|in general|under the hood|architecture of|explain|eli5|meaning of|whats the difference|what'?s the deal with|walk me through|how .{2,40} flows?)\b/i,
      weight: 2.5,
      label: "comparison or concept",
    },
    {
      pattern:
        /^\s*how (should|would|could) (we|i|you|one) (design|structure|set ?up|organi[sz]e|architect|approach|think about|model|plan|lay out|split)\b|\b(what'?s|what is) the (best|right|recommended|usual|idiomatic) (way|approach|pattern|setup) (to|for)\b|\bshould (we|i) (use|run|go with|pick|choose|switch to|prefer)\b/i,
      weight: 2.5,
      label: "design or choice question",
    },
    {
      pattern:
        /^\s*why (?:is|are|would|should)\b(?![^?\n]*\b(?:my|our)\b)[^?\n]{1,60}\b(?:bad|good|better|worse|important|recommended|discouraged|preferred|frowned upon|a bad idea|a good idea)\s*\??\s*$/i,
      weight: 2.5,
      label: "asks why a practice is good or bad",
    },
    {
      pattern: /^\s*why (?:does|do|would|can|could|is|are)\b[^?\n]{0,80}\b(?:happen|happens|occur|occurs|exist|exists|matter|matters|work that way|work like that)\b/i,
      weight: 2.5,
      label: "asks why a mechanism behaves as it does",
    },
    { pattern: /^\s*(?:how (?:does|do|is|are) (?!(?:i|we|you|one)\b)|what happens (?:when|if|after|during))[^\n]*\bstep[- ]by[- ]step\b/i, weight: 2.5, label: "asks for a mechanism in order" },
    { pattern: /\?\s*$/, weight: 0.5, label: "a question" },
  ],
};
