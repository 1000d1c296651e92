/**
 * Every URL we hand to SignalWire for one call. Our call id is in each path, so a callback
 * names its call without trusting anything else in the body. Signatures are computed by the
 * provider over exactly these strings, so they are built in one place and verified against
 * PUBLIC_BASE_URL + path + query (never the Host header).
 */
export type LamlStep = "start" | "whisper" | "after-record" | "after-dial";

export interface CallUrls {
  laml(step: LamlStep): string;
  /** Gather action for survey question `question` (0-based), attempt 1 or 2. */
  gather(question: number, attempt: number): string;
  status(): string;
  recording(): string;
}

export function callUrls(baseUrl: string, callId: string): CallUrls {
  const base = baseUrl.replace(/\/+$/, "");
  const id = encodeURIComponent(callId);
  return {
    laml: (step) => `${base}/api/laml/${id}?step=${step}`,
    gather: (question, attempt) => `${base}/api/laml/${id}/gather?q=${question}&attempt=${attempt}`,
    status: () => `${base}/api/webhooks/signalwire/${id}/status`,
    recording: () => `${base}/api/webhooks/signalwire/${id}/recording`,
  };
}
