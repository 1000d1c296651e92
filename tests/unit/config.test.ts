import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@/lib/config";

const supabase = {
  NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co",
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "sb_publishable_x",
  SUPABASE_SECRET_KEY: "sb_secret_x",
  DATABASE_URL: "postgres://u:p@db.example.com:6543/postgres",
};

describe("config", () => {
  it("is embedded with local adapters when no Supabase variable is set", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ mode: "embedded", auth: "local", realtime: "sse", storage: { kind: "filesystem" } });
    expect(c.publicBaseUrl).toBe("http://127.0.0.1:3000");
  });

  it("is supabase with Supabase adapters when all are set", () => {
    const c = parseConfig(supabase);
    expect(c).toMatchObject({ mode: "supabase", auth: "supabase", realtime: "supabase", storage: { kind: "supabase" } });
    expect(c.jobsInProcess).toBe(false);
  });

  it("names the missing variables of a partial Supabase set", () => {
    expect(() => parseConfig({ NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co" })).toThrow(ConfigError);
    expect(() => parseConfig({ NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co" })).toThrow(
      /missing: NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY, SUPABASE_SECRET_KEY/,
    );
    const { DATABASE_URL: _omit, ...noDb } = supabase;
    expect(() => parseConfig(noDb)).toThrow(/missing: DATABASE_URL/);
  });

  it("reads the phone-number keys from NUMBER_KEYS (primary first) and NUMBER_INDEX_KEY, or keeps them in a directory by default", () => {
    const key = (byte: number) => Buffer.alloc(32, byte).toString("base64");
    expect(parseConfig({}).numberKeys).toEqual({ kind: "local", dir: ".data/number-keys" });
    const c = parseConfig({ NUMBER_KEYS: `k2:${key(2)}, k1:${key(1)}`, NUMBER_INDEX_KEY: key(3) });
    expect(c.numberKeys).toEqual({ kind: "environment", keys: [{ id: "k2", key: key(2) }, { id: "k1", key: key(1) }], indexKey: key(3) });
    expect(() => parseConfig({ NUMBER_KEYS: `k1:${key(1)}` })).toThrow(/missing: NUMBER_INDEX_KEY/);
    expect(() => parseConfig({ NUMBER_INDEX_KEY: key(3) })).toThrow(/missing: NUMBER_KEYS/);
    expect(() => parseConfig({ NUMBER_KEYS: `k1:${key(1)},k1:${key(2)}`, NUMBER_INDEX_KEY: key(3) })).toThrow(/NUMBER_KEYS/);
    expect(() => parseConfig({ NUMBER_KEYS: "k1:c2hvcnQ=", NUMBER_INDEX_KEY: key(3) })).toThrow(/NUMBER_KEYS/);
  });

  it("names the missing variables of a partial SignalWire set", () => {
    expect(() => parseConfig({ SIGNALWIRE_PROJECT_ID: "p", SIGNALWIRE_API_TOKEN: "t" })).toThrow(
      /missing: SIGNALWIRE_SPACE_URL, SIGNALWIRE_SIGNING_KEY, SIGNALWIRE_FROM_NUMBER/,
    );
  });

  it("carries the simulator's degraded-capability notice only beside the simulator, for the page to show", () => {
    const signalwire = {
      SIGNALWIRE_PROJECT_ID: "p", SIGNALWIRE_API_TOKEN: "t", SIGNALWIRE_SPACE_URL: "example.signalwire.com",
      SIGNALWIRE_SIGNING_KEY: "k", SIGNALWIRE_FROM_NUMBER: "+14155550100",
    };
    const notice = "speech synthesis is unavailable (eSpeak NG: boom), so simulated recordings are reported absent.";
    expect(parseConfig({ ...signalwire, CARRIER_SIMULATOR_URL: "http://127.0.0.1:3990", CARRIER_SIMULATOR_NOTICE: notice }).telephony)
      .toMatchObject({ simulatorUrl: "http://127.0.0.1:3990", simulatorNotice: notice });
    expect(parseConfig({ ...signalwire, CARRIER_SIMULATOR_URL: "http://127.0.0.1:3990" }).telephony!.simulatorNotice).toBeNull();
    // A real carrier has no simulator to be degraded.
    expect(parseConfig({ ...signalwire, CARRIER_SIMULATOR_NOTICE: notice }).telephony!.simulatorNotice).toBeNull();
  });

  it("chooses how invitations are delivered, and names the missing half of an SMTP set", () => {
    expect(parseConfig({}).mail).toEqual({ kind: "link", outboxDir: ".data/outbox" });
    expect(parseConfig({ MAIL_OUTBOX_DIR: "/tmp/outbox" }).mail).toEqual({ kind: "link", outboxDir: "/tmp/outbox" });
    expect(parseConfig(supabase).mail).toEqual({ kind: "supabase" });
    const smtp = { SMTP_URL: "smtp://u:p@mail.example.com:587", MAIL_FROM: "Verbatim <no-reply@example.com>" };
    expect(parseConfig(smtp).mail).toEqual({ kind: "smtp", url: smtp.SMTP_URL, from: smtp.MAIL_FROM });
    expect(parseConfig({ ...supabase, ...smtp }).mail.kind).toBe("smtp");
    expect(() => parseConfig({ SMTP_URL: smtp.SMTP_URL })).toThrow(/missing: MAIL_FROM/);
    expect(() => parseConfig({ MAIL_FROM: smtp.MAIL_FROM })).toThrow(/missing: SMTP_URL/);
    expect(() => parseConfig({ ...smtp, SMTP_URL: "http://mail.example.com" })).toThrow(/SMTP_URL/);
  });

  it("rejects malformed values with the variable's name", () => {
    expect(() => parseConfig({ PUBLIC_BASE_URL: "not a url" })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => parseConfig({ SESSION_SECRET: "short" })).toThrow(/SESSION_SECRET/);
  });

  it("trims a trailing slash from the public base URL (signatures are computed over it)", () => {
    expect(parseConfig({ PUBLIC_BASE_URL: "https://app.example.com/" }).publicBaseUrl).toBe("https://app.example.com");
  });
});
