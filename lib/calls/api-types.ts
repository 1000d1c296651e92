import type { CallPlan, Flow } from "@/lib/calls/plan";
import type { CallStatus } from "@/lib/calls/state-machine";

/**
 * The JSON the call API answers with, shared by route handlers and the page's client islands.
 * Numbers are masked (`+1555•••0123`) for roles without `numbers.view`; recording details are
 * present only for roles and plans with `recording.play`.
 */
export interface CallSummary {
  id: string;
  status: CallStatus;
  flow: Flow;
  to: string;
  from: string;
  createdAt: string;
  updatedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  /** What the call ran with (the snapshot), reduced to flags for the list. */
  modulations: { record: boolean; transcribe: boolean; translate: boolean; survey: boolean; shopperScript: boolean };
  /** Set when dialling failed or its outcome is unknown (`{ code, message }`). */
  dialError: { code: string; message: string } | null;
  recording: RecordingSummary | null;
}

export interface RecordingSummary {
  id: string;
  status: "pending" | "stored" | "failed" | "absent" | "missing";
  durationSeconds: number | null;
  channels: number | null;
  bytes: number | null;
  sha256: string | null;
}

export interface CallEventView {
  id: number;
  kind: string;
  occurredAt: string;
  /** Provider status or other short description; never secrets such as RecordingUrl. */
  summary: string;
}

export interface SurveyAnswerView {
  questionIndex: number;
  questionId: string;
  answer: string;
  attempts: number;
}

export interface CallDetail extends CallSummary {
  plan: CallPlan | null;
  events: CallEventView[];
  recordings: RecordingSummary[];
  surveyAnswers: SurveyAnswerView[] | null;
}

export interface CallListResponse {
  calls: CallSummary[];
  /** Pass as `?before=` for the next page; null at the end. */
  nextBefore: string | null;
}

export interface PlaceCallRequest {
  to: string;
  flow?: Flow;
  operatorPhone?: string;
  record?: boolean;
  transcribe?: boolean;
  translate?: boolean;
  survey?: boolean;
  shopperScript?: boolean;
}

export interface RecordingUrlResponse {
  url: string;
  expiresAt: string;
  sha256: string;
  bytes: number;
  mediaType: string;
}

/** A live-update notice: which topic changed and which call; the client refetches. */
export interface RealtimeNotice {
  topic: "calls";
  callId: string | null;
}

export interface VoiceConfigView {
  flow: Flow;
  callerId: string | null;
  operatorPhone: string | null;
  record: boolean;
  transcribe: boolean;
  translate: boolean;
  translateLanguages: string[];
  survey: CallPlan["survey"];
  shopperScript: CallPlan["shopperScript"];
  disclosureText: string;
  version: number;
  updatedAt: string;
}

/** Whether the caller may use a feature, and if not, why (for disabled controls with a hint). */
export interface Capability {
  allowed: boolean;
  reason: "role" | "plan" | null;
  /** The plan that unlocks it, when the reason is the plan. */
  requiredPlan: string | null;
}

export interface VoiceConfigResponse {
  config: VoiceConfigView;
  capabilities: Record<
    "calls.place" | "voice_config.update" | "recording.enable" | "recording.play" | "translation.enable" | "survey.enable" | "shopper.run" | "numbers.view",
    Capability
  >;
  /** "simulated" in the embedded default: the page says so plainly. */
  carrier: "simulated" | "signalwire" | "unconfigured";
}
