/**
 * A trailing debouncer that remembers what it was told: live updates arrive in bursts (a status
 * callback, its call event and a recording row are three notices for one change), and the page
 * should refetch once per burst with every call id the burst named. Safe for client bundles.
 */
export interface Burst {
  /** Call ids named in the burst, each once. */
  callIds: string[];
  /** True when a notice named no call (a resync after a gap): refetch everything. */
  all: boolean;
}

export interface Coalescer {
  /** Note a change; `null` means "something changed, not sure what". */
  add(callId: string | null): void;
  /** Deliver what is pending now instead of waiting. */
  flush(): void;
  /** Drop what is pending and stop the timer (unmount). */
  cancel(): void;
}

export interface CoalescerOptions {
  /** Quiet time after the last notice before delivering. */
  waitMs?: number;
  /** Upper bound from the first notice of a burst, so a steady stream still refreshes the page. */
  maxWaitMs?: number;
  now?: () => number;
}

/** Collect notices and call `onBurst` once, `waitMs` after the last of them (trailing edge). */
export function createCoalescer(
  onBurst: (burst: Burst) => void,
  { waitMs = 250, maxWaitMs = 2_000, now = Date.now }: CoalescerOptions = {},
): Coalescer {
  let ids = new Set<string>();
  let all = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let burstStartedAt: number | null = null;

  function reset() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    burstStartedAt = null;
  }

  function deliver() {
    reset();
    if (ids.size === 0 && !all) return;
    const burst: Burst = { callIds: [...ids], all };
    ids = new Set();
    all = false;
    onBurst(burst);
  }

  return {
    add(callId) {
      if (callId === null) all = true;
      else ids.add(callId);
      const at = now();
      burstStartedAt ??= at;
      if (timer !== null) clearTimeout(timer);
      const wait = Math.max(0, Math.min(waitMs, burstStartedAt + maxWaitMs - at));
      timer = setTimeout(deliver, wait);
    },
    flush: deliver,
    cancel() {
      reset();
      ids = new Set();
      all = false;
    },
  };
}
