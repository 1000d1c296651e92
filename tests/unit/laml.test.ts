import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import type { ModulationSnapshot } from "@/lib/calls/snapshot";
import type { ShopperScript, Survey } from "@/lib/surveys/documents";
import { buildLaml, LISTEN_SECONDS, REPROMPT_TEXT, surveyStart, wholeCallRecording, type LamlInput } from "@/lib/telephony/laml";
import { callUrls } from "@/lib/telephony/urls";
import { FIXTURE_SCRIPT_ID, FIXTURE_SURVEY_ID, keypad, scriptDraft, scriptVersion, surveyDraft, surveyVersion } from "@/tests/support/surveys";

const CALL_ID = "0b7c1e9a-5d2f-4c3e-9a8b-1f2e3d4c5b6a";
const BASE_URL = "https://verbatim.example.com";
const ctx = { callId: CALL_ID, baseUrl: BASE_URL };
const urls = callUrls(BASE_URL, CALL_ID);

// "&" in the texts proves the SDK escapes what we hand it.
const DISCLOSURE = "This call is recorded for quality & training purposes.";
const SURVEY: Survey = surveyVersion(surveyDraft({
  questions: [
    keypad("satisfaction", "How satisfied were you today? Press 1 to 5.", 1, 5),
    keypad("recommend", "How likely are you to recommend us? Press 0 to 9.", 0, 9),
  ],
  thankYou: "Thank you for your answers. Goodbye.",
}), FIXTURE_SURVEY_ID, 3);
const SCRIPT_LINES = ["Hi, I am calling about the 2 & 3 bedroom apartments.", "Is the one on Main Street still available?"];
const SCRIPT: ShopperScript = scriptVersion(
  scriptDraft(SCRIPT_LINES, { title: "Leasing inquiry" }),
  FIXTURE_SCRIPT_ID,
  2,
);

interface Modulations {
  flow: "direct" | "bridge";
  record: boolean;
  survey: boolean;
  script: boolean;
}

function makePlan(m: Modulations): ModulationSnapshot {
  return {
    flow: m.flow,
    from: "+15550100001",
    to: "+15550100002",
    operatorPhone: m.flow === "bridge" ? "+15550100003" : null,
    record: m.record,
    transcribe: m.record,
    translate: null,
    disclosure: m.record ? DISCLOSURE : null,
    survey: m.survey ? SURVEY : null,
    shopperScript: m.script ? SCRIPT : null,
    configVersion: 7,
  };
}

const BOOLS = [true, false] as const;
const ALL_MODULATIONS: Modulations[] = (["direct", "bridge"] as const).flatMap((flow) =>
  BOOLS.flatMap((record) => BOOLS.flatMap((survey) => BOOLS.map((script) => ({ flow, record, survey, script })))),
);
const VALID_MODULATIONS = ALL_MODULATIONS.filter((m) => m.flow === "direct" || (!m.survey && !m.script));
const label = (m: Modulations) =>
  `${m.flow} ${m.record ? "record" : "no-record"} ${m.survey ? "survey" : "no-survey"} ${m.script ? "script" : "no-script"}`;

/** Every document SignalWire can fetch for one call of this plan. */
function flowInputs(plan: ModulationSnapshot): LamlInput[] {
  if (plan.flow === "bridge") {
    // The whisper URL is only handed out when recording.
    return [{ step: "start" }, ...(plan.record ? [{ step: "whisper" } as const] : []), { step: "after-dial" }];
  }
  const inputs: LamlInput[] = [{ step: "start" }];
  if (plan.record) inputs.push({ step: "after-record" });
  if (plan.survey) {
    plan.survey.questions.forEach((_, question) => {
      inputs.push({ step: "survey", question, attempt: 1 });
      inputs.push({ step: "survey", question, attempt: 2, reprompt: true });
    });
    inputs.push({ step: "survey-done" });
  }
  return inputs;
}

// --- A small walk over the SDK's output: no whitespace between tags, attributes double-quoted.

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

function decode(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function parse(xml: string): El {
  expect(xml.startsWith(DECLARATION)).toBe(true);
  const token = /<\/([A-Za-z]+)>|<([A-Za-z]+)((?:\s+[A-Za-z]+="[^"]*")*)\s*(\/?)>|([^<]+)/y;
  const root: El = { name: "#document", attrs: {}, children: [], text: "" };
  const stack: El[] = [root];
  token.lastIndex = DECLARATION.length;
  while (token.lastIndex < xml.length) {
    const at = token.lastIndex;
    const m = token.exec(xml);
    if (!m) throw new Error(`Unparseable LaML at ${at}: ${xml.slice(at, at + 40)}`);
    const top = stack[stack.length - 1]!;
    if (m[1] !== undefined) {
      if (top.name !== m[1]) throw new Error(`Mismatched </${m[1]}> inside <${top.name}>`);
      stack.pop();
    } else if (m[2] !== undefined) {
      const attrs: Record<string, string> = {};
      for (const a of (m[3] ?? "").matchAll(/([A-Za-z]+)="([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
      const el: El = { name: m[2], attrs, children: [], text: "" };
      top.children.push(el);
      if (m[4] !== "/") stack.push(el);
    } else {
      top.text += decode(m[5]!);
    }
  }
  expect(stack).toHaveLength(1);
  expect(root.children).toHaveLength(1);
  expect(root.children[0]!.name).toBe("Response");
  return root.children[0]!;
}

/** Elements in document order. */
function walk(el: El): El[] {
  return [el, ...el.children.flatMap(walk)];
}

function isRecordingVerb(el: El): boolean {
  return el.name === "Record" || (el.name === "Dial" && el.attrs.record !== undefined && el.attrs.record !== "do-not-record");
}

// --- Golden files: the exact bytes SignalWire receives.

const GOLDEN_DIR = path.join(import.meta.dirname, "__golden__", "laml");

function expectGolden(name: string, xml: string): void {
  const file = path.join(GOLDEN_DIR, `${name}.xml`);
  if (!existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== "1") {
      throw new Error(`Missing golden file ${file}; run with UPDATE_GOLDEN=1 to write it, then review it.`);
    }
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, xml);
  }
  const onDisk = readFileSync(file);
  expect(onDisk.toString("utf8")).toBe(xml);
  expect(onDisk.equals(Buffer.from(xml, "utf8"))).toBe(true);
}

const goldenCases: { name: string; plan: ModulationSnapshot; input: LamlInput }[] = [
  ...BOOLS.flatMap((record) =>
    BOOLS.flatMap((survey) =>
      BOOLS.map((script) => ({
        name: `direct-start-${record ? "record" : "no-record"}-${survey ? "survey" : "no-survey"}-${script ? "script" : "no-script"}`,
        plan: makePlan({ flow: "direct", record, survey, script }),
        input: { step: "start" } as LamlInput,
      })),
    ),
  ),
  ...BOOLS.map((survey) => ({
    name: `direct-after-record-${survey ? "survey" : "no-survey"}`,
    plan: makePlan({ flow: "direct", record: true, survey, script: false }),
    input: { step: "after-record" } as LamlInput,
  })),
  ...(
    [
      ["direct-survey-q0-attempt1", { step: "survey", question: 0, attempt: 1 }],
      ["direct-survey-q1-attempt1", { step: "survey", question: 1, attempt: 1 }],
      ["direct-survey-q1-attempt2-reprompt", { step: "survey", question: 1, attempt: 2, reprompt: true }],
      ["direct-survey-done", { step: "survey-done" }],
    ] as [string, LamlInput][]
  ).map(([name, input]) => ({ name, plan: makePlan({ flow: "direct", record: true, survey: true, script: false }), input })),
  ...BOOLS.flatMap((record) =>
    (["start", "whisper", "after-dial"] as const).map((step) => ({
      name: `bridge-${step}-${record ? "record" : "no-record"}`,
      plan: makePlan({ flow: "bridge", record, survey: false, script: false }),
      input: { step } as LamlInput,
    })),
  ),
];

describe("LaML golden documents", () => {
  test.each(goldenCases)("$name", ({ name, plan, input }) => {
    expectGolden(name, buildLaml(plan, input, ctx));
  });
});

describe("LaML properties over every flow and modulation", () => {
  describe.each(VALID_MODULATIONS.map((m) => [label(m), m] as const))("%s", (_, m) => {
    const plan = makePlan(m);
    const docs = flowInputs(plan).map((input) => ({ input, xml: buildLaml(plan, input, ctx) }));
    const parsed = docs.map((d) => ({ ...d, root: parse(d.xml) }));

    test("recording is configured exactly once across the flow's documents and the REST create", () => {
      const verbs = parsed.flatMap((d) => walk(d.root)).filter(isRecordingVerb).length;
      const rest = "record" in wholeCallRecording(plan, urls) ? 1 : 0;
      expect(verbs + rest).toBe(plan.record ? 1 : 0);
      // A script or survey call is a conversation: recorded whole, both parties, each on a channel.
      if (plan.record && plan.flow === "direct" && (plan.survey || plan.shopperScript)) {
        expect(wholeCallRecording(plan, urls)).toMatchObject({ record: true, recordingChannels: "dual", recordingStatusCallbackEvent: ["completed", "absent"] });
      }
    });

    test("the disclosure is said before the recording verb in the same document", () => {
      for (const d of parsed) {
        const order = walk(d.root);
        const rec = order.findIndex(isRecordingVerb);
        if (rec === -1) continue;
        const said = order.findIndex((el) => el.name === "Say" && el.text === DISCLOSURE);
        expect(said, `${d.input.step} says the disclosure`).toBeGreaterThanOrEqual(0);
        expect(said).toBeLessThan(rec);
      }
    });

    test("when recording, the target hears the disclosure", () => {
      if (!plan.record) return;
      if (plan.flow === "direct") {
        // The target is the only party; the disclosure opens the call.
        const start = parsed.find((d) => d.input.step === "start")!;
        expect(start.root.children[0]).toMatchObject({ name: "Say", text: DISCLOSURE });
      } else {
        const start = parsed.find((d) => d.input.step === "start")!;
        const number = walk(start.root).find((el) => el.name === "Number")!;
        expect(number.attrs.url).toBe(urls.laml("whisper"));
        const whisper = parsed.find((d) => d.input.step === "whisper")!;
        expect(whisper.root.children.filter((el) => el.name === "Say").map((el) => el.text)).toEqual([DISCLOSURE]);
      }
    });

    test("no party is dialled twice", () => {
      const numbers = parsed.flatMap((d) => walk(d.root)).filter((el) => el.name === "Number").map((el) => el.text);
      const dials = parsed.flatMap((d) => walk(d.root)).filter((el) => el.name === "Dial");
      if (plan.flow === "direct") {
        expect(dials).toHaveLength(0);
        expect(numbers).toHaveLength(0);
      } else {
        // The REST call rings the operator; the LaML may only ring the target, once.
        expect(dials).toHaveLength(1);
        expect(numbers).toEqual([plan.to]);
        const parties = [plan.operatorPhone, ...numbers];
        expect(new Set(parties).size).toBe(parties.length);
      }
    });

    test("every Gather posts even on silence and is the document's last verb", () => {
      for (const d of parsed) {
        const verbs = d.root.children;
        verbs.forEach((el, i) => {
          if (el.name !== "Gather") return;
          expect(i).toBe(verbs.length - 1);
          expect(el.attrs).toMatchObject({ input: "dtmf", numDigits: "1", method: "POST", actionOnEmptyResult: "true" });
        });
      }
    });

    test("every URL handed to SignalWire names this call under the public base URL", () => {
      for (const d of parsed) {
        for (const el of walk(d.root)) {
          for (const [key, value] of Object.entries(el.attrs)) {
            if (!/^(action|url|recordingStatusCallback)$/.test(key)) continue;
            expect(value.startsWith(`${BASE_URL}/api/`)).toBe(true);
            expect(value).toContain(CALL_ID);
          }
        }
      }
    });

    test("is a pure function of the plan and the step", () => {
      const frozen = structuredClone(plan);
      deepFreeze(frozen);
      for (const d of docs) {
        expect(buildLaml(frozen, d.input, ctx)).toBe(d.xml);
      }
    });
  });
});

describe("direct flow", () => {
  test("start when recording a script and survey call: disclosure, the script with a listening pause, the first question; no Record (the REST create records it whole)", () => {
    const root = parse(buildLaml(makePlan({ flow: "direct", record: true, survey: true, script: true }), { step: "start" }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Say", "Say", "Pause", "Say", "Pause", "Gather"]);
    expect(root.children.filter((el) => el.name === "Say").map((el) => el.text)).toEqual([DISCLOSURE, ...SCRIPT_LINES]);
    expect(root.children[4]!.attrs).toEqual({ length: String(LISTEN_SECONDS) });
    expect(root.children[5]!.attrs.action).toBe(urls.gather(0, 1));
  });

  test("start when recording a plain call: disclosure, then one Record that continues to after-record", () => {
    const root = parse(buildLaml(makePlan({ flow: "direct", record: true, survey: false, script: false }), { step: "start" }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Say", "Record"]);
    expect(root.children[1]!.attrs).toEqual({
      action: urls.laml("after-record"),
      method: "POST",
      recordingStatusCallback: urls.recording(),
      recordingStatusCallbackMethod: "POST",
      recordingStatusCallbackEvent: "completed absent",
      playBeep: "false",
      maxLength: "600",
      timeout: "10",
      finishOnKey: "#",
      trim: "do-not-trim",
    });
  });

  test("start without recording goes from the script, and a pause to answer its last line, into the first survey question", () => {
    const root = parse(buildLaml(makePlan({ flow: "direct", record: false, survey: true, script: true }), { step: "start" }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Say", "Pause", "Say", "Pause", "Gather"]);
    expect(root.children[4]!.attrs.action).toBe(urls.gather(0, 1));
    expect(root.children[4]!.children).toEqual([{ name: "Say", attrs: {}, children: [], text: SURVEY.questions[0]!.prompt }]);
  });

  test("start with nothing to say or ask hangs up", () => {
    const root = parse(buildLaml(makePlan({ flow: "direct", record: false, survey: false, script: false }), { step: "start" }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Hangup"]);
  });

  test("after-record asks the first question, or hangs up without a survey", () => {
    const withSurvey = parse(buildLaml(makePlan({ flow: "direct", record: true, survey: true, script: false }), { step: "after-record" }, ctx));
    expect(withSurvey.children.map((el) => el.name)).toEqual(["Gather"]);
    expect(withSurvey.children[0]!.attrs.action).toBe(urls.gather(0, 1));
    const without = parse(buildLaml(makePlan({ flow: "direct", record: true, survey: false, script: false }), { step: "after-record" }, ctx));
    expect(without.children.map((el) => el.name)).toEqual(["Hangup"]);
  });

  test("a re-prompt apologises, then asks the same question again with attempt 2 in its action", () => {
    const plan = makePlan({ flow: "direct", record: false, survey: true, script: false });
    const root = parse(buildLaml(plan, { step: "survey", question: 1, attempt: 2, reprompt: true }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Say", "Gather"]);
    expect(root.children[0]!.text).toBe(REPROMPT_TEXT);
    expect(root.children[1]!.attrs).toEqual({
      input: "dtmf",
      numDigits: "1",
      timeout: "6",
      action: urls.gather(1, 2),
      method: "POST",
      actionOnEmptyResult: "true",
    });
    expect(root.children[1]!.children[0]!.text).toBe(SURVEY.questions[1]!.prompt);
  });

  test("survey-done thanks and hangs up", () => {
    const root = parse(buildLaml(makePlan({ flow: "direct", record: false, survey: true, script: false }), { step: "survey-done" }, ctx));
    expect(root.children).toEqual([
      { name: "Say", attrs: {}, children: [], text: SURVEY.thankYou },
      { name: "Hangup", attrs: {}, children: [], text: "" },
    ]);
  });

  test("surveyStart opens at the first question, attempt 1", () => {
    expect(surveyStart(makePlan({ flow: "direct", record: false, survey: true, script: false }))).toEqual({
      step: "survey",
      question: 0,
      attempt: 1,
    });
    expect(surveyStart(makePlan({ flow: "direct", record: false, survey: false, script: false }))).toBeNull();
  });

  test("refuses steps that cannot exist for the plan", () => {
    const plan = makePlan({ flow: "direct", record: true, survey: true, script: false });
    expect(() => buildLaml(plan, { step: "survey", question: 2, attempt: 1 }, ctx)).toThrow(/question 2 does not exist/);
    expect(() => buildLaml(plan, { step: "survey", question: -1, attempt: 1 }, ctx)).toThrow(/does not exist/);
    expect(() => buildLaml(plan, { step: "whisper" }, ctx)).toThrow(/bridge flow/);
    expect(() => buildLaml(plan, { step: "after-dial" }, ctx)).toThrow(/bridge flow/);
    const noSurvey = makePlan({ flow: "direct", record: true, survey: false, script: false });
    expect(() => buildLaml(noSurvey, { step: "survey", question: 0, attempt: 1 }, ctx)).toThrow(/no survey/);
    expect(() => buildLaml(noSurvey, { step: "survey-done" }, ctx)).toThrow(/no survey/);
  });
});

describe("bridge flow", () => {
  test("start when recording: disclosure to the operator, then one recorded Dial to the target with the whisper", () => {
    const root = parse(buildLaml(makePlan({ flow: "bridge", record: true, survey: false, script: false }), { step: "start" }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Say", "Dial"]);
    expect(root.children[0]!.text).toBe(DISCLOSURE);
    const dial = root.children[1]!;
    expect(dial.attrs).toEqual({
      callerId: "+15550100001",
      answerOnBridge: "true",
      action: urls.laml("after-dial"),
      method: "POST",
      timeout: "30",
      record: "record-from-answer-dual",
      recordingStatusCallback: urls.recording(),
      recordingStatusCallbackMethod: "POST",
      recordingStatusCallbackEvent: "completed absent",
    });
    expect(dial.children).toEqual([
      { name: "Number", attrs: { url: urls.laml("whisper"), method: "POST" }, children: [], text: "+15550100002" },
    ]);
  });

  test("start without recording: no disclosure, no record attributes, no whisper", () => {
    const root = parse(buildLaml(makePlan({ flow: "bridge", record: false, survey: false, script: false }), { step: "start" }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Dial"]);
    expect(root.children[0]!.attrs).toEqual({
      callerId: "+15550100001",
      answerOnBridge: "true",
      action: urls.laml("after-dial"),
      method: "POST",
      timeout: "30",
    });
    expect(root.children[0]!.children).toEqual([{ name: "Number", attrs: {}, children: [], text: "+15550100002" }]);
  });

  test("after-dial hangs up the operator", () => {
    const root = parse(buildLaml(makePlan({ flow: "bridge", record: true, survey: false, script: false }), { step: "after-dial" }, ctx));
    expect(root.children.map((el) => el.name)).toEqual(["Hangup"]);
  });

  test("refuses direct-flow steps and a target that is the operator", () => {
    const plan = makePlan({ flow: "bridge", record: true, survey: false, script: false });
    expect(() => buildLaml(plan, { step: "after-record" }, ctx)).toThrow(/direct flow/);
    expect(() => buildLaml({ ...plan, operatorPhone: plan.to }, { step: "start" }, ctx)).toThrow(/operator's own phone/);
    expect(() => buildLaml({ ...plan, operatorPhone: null }, { step: "start" }, ctx)).toThrow(/operator's phone/);
  });
});

describe("plans that must never reach a call", () => {
  const bridgeExtras = ALL_MODULATIONS.filter((m) => m.flow === "bridge" && (m.survey || m.script));
  test.each(bridgeExtras.map((m) => [label(m), m] as const))("%s throws on every step", (_, m) => {
    const plan = makePlan(m);
    for (const step of ["start", "whisper", "after-dial"] as const) {
      expect(() => buildLaml(plan, { step }, ctx)).toThrow(/bridge call cannot carry a (survey|shopper script)/);
    }
  });

  test.each(VALID_MODULATIONS.filter((m) => m.record).map((m) => [label(m), m] as const))(
    "%s without a disclosure refuses to start",
    (_, m) => {
      const plan = { ...makePlan(m), disclosure: null };
      expect(() => buildLaml(plan, { step: "start" }, ctx)).toThrow(/no disclosure/);
      if (m.flow === "bridge") expect(() => buildLaml(plan, { step: "whisper" }, ctx)).toThrow(/no disclosure/);
    },
  );
});

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
