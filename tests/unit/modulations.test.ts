import { describe, expect, it } from "vitest";
import { describeProblem, modulationProblem, unmetFor, type ModulationSet } from "@/lib/calls/modulations";

const none: ModulationSet = { record: false, transcribe: false, translate: false, survey: false, shopperScript: false };

describe("modulation rules", () => {
  it("need their prerequisites, in the table's order", () => {
    expect(modulationProblem({ ...none, transcribe: true }, "direct")).toEqual({ kind: "requires", modulation: "transcribe", missing: "record" });
    expect(modulationProblem({ ...none, record: true, translate: true }, "direct")).toEqual({ kind: "requires", modulation: "translate", missing: "transcribe" });
    expect(modulationProblem({ ...none, record: true, transcribe: true, translate: true }, "bridge")).toBeNull();
  });

  it("keep surveys and shopper scripts to direct calls, and ignore flows when none is given", () => {
    expect(modulationProblem({ ...none, survey: true }, "bridge")).toEqual({ kind: "flow", modulation: "survey", flow: "bridge" });
    expect(modulationProblem({ ...none, shopperScript: true }, "bridge")).toEqual({ kind: "flow", modulation: "shopperScript", flow: "bridge" });
    expect(modulationProblem({ ...none, survey: true, shopperScript: true }, null)).toBeNull();
  });

  it("say what is wrong in words a person can act on", () => {
    expect(describeProblem({ kind: "requires", modulation: "transcribe", missing: "record" })).toBe("Transcription needs recording: turn recording on too.");
    expect(describeProblem({ kind: "flow", modulation: "survey", flow: "bridge" })).toBe("A survey runs on direct calls only: choose the direct flow.");
    expect(unmetFor("translate", { ...none, record: true }, "direct")).toBe("Needs transcription");
    expect(unmetFor("shopperScript", none, "bridge")).toBe("Only on direct calls");
  });
});
