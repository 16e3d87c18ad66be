/** The `--docs` ranking: stemmed terms, and the thread's earlier questions counted below the current one. */
import { describe, expect, it } from "vitest";
import { rankSections, SectionIndex, stem, terms } from "../../src/cli/documents.js";

const section = (title: string, content: string) => ({ title, content, source: `${title}.md` });

describe("stem", () => {
  it("puts inflected forms of a word on one term", () => {
    expect(stem("prevent")).toBe(stem("Prevention"));
    expect(stem("preventing")).toBe(stem("prevent"));
    for (const w of ["crashing", "crashes", "crashed"]) expect(stem(w)).toBe(stem("crash"));
    expect(stem("evicted")).toBe(stem("eviction"));
    expect(stem("stopped")).toBe(stem("stop"));
    expect(stem("killed")).toBe(stem("kill"));
    expect(stem("restarts")).toBe(stem("restart"));
  });

  it("keeps distinct words apart and leaves identifiers alone", () => {
    expect(stem("ingester")).not.toBe(stem("ingest"));
    expect(stem("process")).toBe("process");
    expect(terms("kube_pod_container_status_restarts_total v2.8.2")).toEqual(["kube_pod_container_status_restarts_total", "v2.8.2"]);
    expect(terms("KubePodCrashLooping")).toEqual(["kubepodcrashloop", "kub", "pod", "crash", "loop"]);
  });
});

describe("rankSections", () => {
  const sections = [
    section("Loki › Prevention", "Keep the replay memory ceiling at half the ingester limit."),
    section("Loki › Mitigation", "Loki ingesters crash in a loop: raise the memory limit."),
    section("Grafana › Prevention", "Provision datasources from Git."),
  ];

  it('"prevent" finds the Prevention sections', () => {
    expect(
      rankSections("how do I prevent it?", sections, 5)
        .map((s) => s.title)
        .sort(),
    ).toEqual(["Grafana › Prevention", "Loki › Prevention"]);
  });

  it("an earlier question of the thread lifts the sections of its topic, below the current question", () => {
    const index = new SectionIndex(sections);
    const ranked = index.rank("how do I prevent it?", 3, ["Loki pods are crashing"]);
    expect(ranked.previous).toEqual(["Loki pods are crashing"]);
    expect(ranked.sections.map((s) => s.title)).toEqual(["Loki › Prevention", "Grafana › Prevention", "Loki › Mitigation"]);
    // Only the last two earlier questions count, and ones with no terms are left out.
    expect(index.rank("prevent", 3, ["grafana", "loki", "it", "what?"]).previous).toEqual(["grafana", "loki"]);
  });
});
