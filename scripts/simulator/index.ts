/**
 * The carrier simulator: SignalWire's compatibility REST API and signed webhooks, for the
 * embedded default and tests. Scripts and tests import from here; production code never does
 * (it reaches the simulator only through the SDK and lib/telephony/origin-http-client.ts).
 */
export { startCarrierSimulator, type CarrierSimulator, type CarrierSimulatorOptions, type ServedRecording } from "./carrier-server";
export type { CallSnapshot, CallStatus, WebhookLogEntry } from "./call-model";
export { RESERVED_NUMBERS, DEFAULT_REPLY, DEFAULT_CALLER_LINE, scenarioSchema, type Scenario, type ScenarioKind } from "./scenarios";
export { speechWav, wavInfo, checkAudioTools, AudioToolsMissingError, INSTALL_HINT, type SpeechAudio, type WavInfo } from "./audio";
export { signWebhook } from "./webhook-sender";
