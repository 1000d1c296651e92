/**
 * The carrier simulator (SignalWire's compatibility REST API and signed webhooks) and the
 * transcriber simulator (AssemblyAI's v2 transcript API and its webhooks), for the embedded
 * default and tests. Scripts and tests import from here; production code never does
 * (it reaches the simulators only through the SDKs: lib/telephony/origin-http-client.ts for
 * SignalWire, the assemblyai SDK's baseUrl for AssemblyAI).
 */
export { startCarrierSimulator, type CarrierSimulator, type CarrierSimulatorOptions, type DialLog, type DialRecord, type ServedRecording } from "./carrier-server";
export type { CallSnapshot, CallStatus, WebhookLogEntry } from "./call-model";
export { RESERVED_NUMBERS, DEFAULT_REPLY, DEFAULT_CALLER_LINE, scenarioSchema, type Scenario, type ScenarioKind } from "./scenarios";
export { speechWav, conversationWav, wavInfo, type ConversationStep, type SpeechAudio, type WavInfo } from "./audio";
export { espeakSynthesizer, speechProblem, stopSpeechWorker, SpeechUnavailableError, type Synthesizer } from "./speech-synth";
export { signWebhook } from "./webhook-sender";
export {
  startAssemblyAISimulator,
  type AssemblyAISimulator,
  type AssemblyAISimulatorOptions,
  type TranscriptSnapshot,
  type TranscriberWebhookDelivery,
} from "./assemblyai-server";
export { readSpeechMetadata, writeSpeechMetadata, type SpeechMetadata, type SpeechTurn, type TranscriberScenario } from "./speech-metadata";
