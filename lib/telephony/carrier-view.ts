import "server-only";
import type { CompatibilityApi } from "@signalwire/compatibility-api";
import { PG_TIMESTAMP_MAX, PG_TIMESTAMP_MIN } from "@/lib/pg-safe";

/**
 * The reconciler's view of the carrier: the three REST reads it makes, over the real SignalWire
 * SDK client (pointed at the simulator in the embedded default through its `httpClient`). Kept
 * narrow so the decisions in lib/calls/reconcile.ts are plain functions of plain values.
 */
export interface ProviderCall {
  sid: string;
  status: string;
  to: string | null;
  from: string | null;
  dateCreated: Date | null;
  startTime: Date | null;
  endTime: Date | null;
  durationSeconds: number | null;
}

export interface ProviderRecording {
  sid: string;
  status: string | null;
  /** The resource's `uri` (…/Recordings/{sid}.json), relative to the API origin. */
  uri: string;
  durationSeconds: number | null;
  channels: number | null;
}

export interface CarrierView {
  /** GET Calls/{sid}; null when the provider answers 404. */
  fetchCall(sid: string): Promise<ProviderCall | null>;
  /** GET Calls.json?To=&From=&StartTime>= (one page of at most `limit`). */
  findCalls(query: { to: string; from: string; startTimeAfter: Date; limit: number }): Promise<ProviderCall[]>;
  /** GET Calls/{sid}/Recordings.json. */
  listRecordings(callSid: string): Promise<ProviderRecording[]>;
  /** GET Recordings/{sid}.json; null when the provider answers 404. */
  fetchRecording(sid: string): Promise<ProviderRecording | null>;
  /** Where recording media lives: https://<space>, or the simulator's URL. */
  mediaOrigin: string;
}

interface SdkCall {
  sid: string;
  status: string;
  to?: string | null;
  from?: string | null;
  dateCreated?: unknown;
  startTime?: unknown;
  endTime?: unknown;
  duration?: unknown;
}

interface SdkRecording {
  sid: string;
  status?: string | null;
  uri: string;
  duration?: unknown;
  channels?: unknown;
}

/** A date the provider reports, within what Postgres holds and a call can have; otherwise none. */
function date(value: unknown): Date | null {
  if (!(value instanceof Date)) return null;
  const ms = value.getTime();
  return ms >= PG_TIMESTAMP_MIN && ms <= PG_TIMESTAMP_MAX ? value : null;
}

function count(value: unknown): number | null {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function toProviderCall(resource: SdkCall): ProviderCall {
  return {
    sid: resource.sid,
    status: resource.status,
    to: resource.to ?? null,
    from: resource.from ?? null,
    dateCreated: date(resource.dateCreated),
    startTime: date(resource.startTime),
    endTime: date(resource.endTime),
    durationSeconds: count(resource.duration),
  };
}

function toProviderRecording(r: SdkRecording): ProviderRecording {
  return { sid: r.sid, status: r.status ?? null, uri: r.uri, durationSeconds: count(r.duration), channels: count(r.channels) };
}

function isNotFound(err: unknown): boolean {
  return (err as { status?: unknown })?.status === 404;
}

export function carrierView(client: CompatibilityApi, mediaOrigin: string): CarrierView {
  return {
    mediaOrigin,
    async fetchCall(sid) {
      try {
        return toProviderCall((await client.calls(sid).fetch()) as unknown as SdkCall);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async findCalls({ to, from, startTimeAfter, limit }) {
      const found = (await client.calls.list({ to, from, startTimeAfter, limit, pageSize: limit })) as unknown as SdkCall[];
      return found.map(toProviderCall);
    },
    async listRecordings(callSid) {
      // The call's own Recordings subresource: the same answer as Recordings.json?CallSid=, and
      // the one both SignalWire and the simulator serve.
      const found = (await client.calls(callSid).recordings.list()) as unknown as SdkRecording[];
      return found.map(toProviderRecording);
    },
    async fetchRecording(sid) {
      try {
        return toProviderRecording((await client.recordings(sid).fetch()) as unknown as SdkRecording);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
  };
}
