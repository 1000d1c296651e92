/**
 * Call status as a one-way state machine. Provider callbacks repeat and arrive out of order,
 * so a status only moves forward (queued → initiated → ringing → in_progress → a final state)
 * and a final state never changes. Folding any permutation of a call's callbacks through
 * `advance` gives the same result as folding them in order. Pure: used by webhooks, the
 * reconciler, the UI and the property tests.
 */
export const CALL_STATUSES = [
  "queued",
  "initiated",
  "ringing",
  "in_progress",
  "completed",
  "busy",
  "no_answer",
  "failed",
  "canceled",
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

const RANK: Record<CallStatus, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  in_progress: 3,
  completed: 4,
  busy: 4,
  no_answer: 4,
  failed: 4,
  canceled: 4,
};

export function isFinal(status: CallStatus): boolean {
  return RANK[status] === 4;
}

/** The status after an incoming one: forward moves only; a final status stays. */
export function advance(current: CallStatus, incoming: CallStatus): CallStatus {
  if (isFinal(current)) return current;
  return RANK[incoming] > RANK[current] ? incoming : current;
}

/**
 * SignalWire's CallStatus values (both `answered` and `in-progress` mean the call is up).
 * Unknown values map to null: stored as an event, never applied.
 */
export function fromProviderStatus(value: string | null | undefined): CallStatus | null {
  switch (value) {
    case "queued":
      return "queued";
    case "initiated":
      return "initiated";
    case "ringing":
      return "ringing";
    case "answered":
    case "in-progress":
      return "in_progress";
    case "completed":
      return "completed";
    case "busy":
      return "busy";
    case "no-answer":
      return "no_answer";
    case "failed":
      return "failed";
    case "canceled":
      return "canceled";
    default:
      return null;
  }
}

export const STATUS_LABEL: Record<CallStatus, string> = {
  queued: "Queued",
  initiated: "Dialling",
  ringing: "Ringing",
  in_progress: "In progress",
  completed: "Completed",
  busy: "Busy",
  no_answer: "No answer",
  failed: "Failed",
  canceled: "Canceled",
};
