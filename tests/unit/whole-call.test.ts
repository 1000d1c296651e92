import { describe, expect, it } from "vitest";
import { wholeCall } from "@/scripts/simulator/call-runner";

/** What the carrier stand-in's recording of a whole call holds, turn by turn (docs/adr/0023). */
describe("wholeCall", () => {
  const reply = "Good morning, front desk. Yes, we have an appointment. Can I book it?";

  it("the called party answers with the first sentence, then one sentence per pause, the rest in the last", () => {
    expect(wholeCall([
      { party: "caller", text: "This call is recorded." },
      { party: "caller", text: "Any appointments?" },
      { pauseSlot: 2 },
      { party: "caller", text: "Tuesday?" },
      { pauseSlot: 3 },
    ], `${reply} Anything else?`)).toEqual([
      { party: "callee", text: "Good morning, front desk." },
      { party: "caller", text: "This call is recorded." },
      { party: "caller", text: "Any appointments?" },
      { party: "callee", text: "Yes, we have an appointment.", minSeconds: 2 },
      { party: "caller", text: "Tuesday?" },
      { party: "callee", text: "Can I book it? Anything else?", minSeconds: 3 },
    ]);
  });

  it("keeps a pause nobody answered as silence, spoken survey answers and silences in call order", () => {
    expect(wholeCall([{ pauseSlot: 1 }, { party: "callee", text: "Very kind." }, { silence: 1.5 }, { pauseSlot: 4 }], "Hello.")).toEqual([
      { party: "callee", text: "Hello." },
      { silence: 1 },
      { party: "callee", text: "Very kind." },
      { silence: 1.5 },
      { silence: 4 },
    ]);
  });

  it("with no pause at all, says the rest at the end; an empty reply says nothing", () => {
    expect(wholeCall([{ party: "caller", text: "Hi." }], reply)).toEqual([
      { party: "callee", text: "Good morning, front desk." },
      { party: "caller", text: "Hi." },
      { party: "callee", text: "Yes, we have an appointment. Can I book it?" },
    ]);
    expect(wholeCall([{ party: "caller", text: "Hi." }, { pauseSlot: 2 }], "")).toEqual([{ party: "caller", text: "Hi." }, { silence: 2 }]);
  });
});
