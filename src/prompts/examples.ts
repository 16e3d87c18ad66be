import type { PromptTemplateName } from "./instructions.js";

/** A worked example shown to the model before the real question. */
export interface FewShotExample {
  context: string;
  question: string;
  answer: string;
}

/** One short example per template, showing the citation style on a tiny context. */
export const FEW_SHOT_EXAMPLES: Record<PromptTemplateName, FewShotExample[]> = {
  troubleshooting: [
    {
      context: `<documents>
<document index="1" title="Pod OOMKilled">
A container killed for exceeding its memory limit shows reason OOMKilled and exit code 137 in kubectl describe pod. Raise the limit or reduce the working set.
</document>
</documents>`,
      question: "api pods restarting, exit code 137",
      answer: `1. Likely cause — exit code 137 with reason OOMKilled means the container exceeded its memory limit [1].
2. Diagnose — run \`kubectl describe pod <pod>\` and check \`Last State: Terminated, Reason: OOMKilled\` [1].
3. Fix — raise \`resources.limits.memory\` or reduce the working set [1].`,
    },
  ],
  explanation: [
    {
      context: `<documents>
<document index="1" title="Prometheus scraping">
Prometheus pulls metrics by scraping HTTP endpoints at each scrape_interval.
</document>
</documents>`,
      question: "does prometheus push or pull",
      answer: "Prometheus pulls: it scrapes each target's HTTP metrics endpoint every `scrape_interval` [1].",
    },
  ],
  code_review: [
    {
      context: `<documents>
<document index="1" title="Alerting rules">
Every alerting rule needs a for: duration to avoid paging on a single bad scrape.
</document>
</documents>`,
      question: "- alert: HighErrors\n  expr: rate(http_errors_total[5m]) > 1\nlooks ok?",
      answer: "1. Missing `for:` — without it the alert pages on a single bad scrape [1].\n\n```yaml\n- alert: HighErrors\n  expr: rate(http_errors_total[5m]) > 1\n  for: 10m\n```",
    },
  ],
  code_generation: [
    {
      context: `<documents>
<document index="1" title="Disk alerts">
Alert when a filesystem has less than 10% space left for 15 minutes.
</document>
</documents>`,
      question: "promql for disk almost full",
      answer: "```promql\nnode_filesystem_avail_bytes / node_filesystem_size_bytes < 0.10\n```\nUse it with `for: 15m` in the alerting rule [1].",
    },
  ],
  chat: [],
};
