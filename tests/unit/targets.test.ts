import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { ROLES, allows, whoMay } from "@/lib/rbac/policy";
import {
  IMPORT_MAX_ROWS, normalizeTimeZone, targetCreateSchema, targetImportQuerySchema, targetListQuerySchema, targetUpdateSchema,
} from "@/lib/targets/contracts";
import { guardCell, parseImportCsv, stringifyTargets, unguardCell } from "@/lib/targets/csv";
import { deriveTimeZone, e164Of } from "@/lib/targets/numbers";

/** Saved targets (docs/adr/0033): numbers, the zones they name, the CSV both ways, the contracts and the policy cells. */

function refusedWith(fn: () => unknown): { code: string; status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, status: err.status, message: err.message };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("numbers and their time zones", () => {
  it("reads numbers as the calls API does: valid, international, E.164", () => {
    expect(e164Of("+1 (212) 555-0123")).toBe("+12125550123");
    expect(e164Of(" +44 20 7123 4567 ")).toBe("+442071234567");
    expect(e164Of("2125550123")).toBeNull();
    expect(e164Of("+1555")).toBeNull();
    expect(e164Of("call me")).toBeNull();
  });

  it("takes the zone of a North American area code", async () => {
    expect(await deriveTimeZone("+12125550123")).toBe("America/New_York");
    expect(await deriveTimeZone("+13125550123")).toBe("America/Chicago");
    expect(await deriveTimeZone("+14155550123")).toBe("America/Los_Angeles");
    expect(await deriveTimeZone("+16045550123")).toBe("America/Vancouver");
    expect(await deriveTimeZone("+18085550123")).toBe("Pacific/Honolulu");
  });

  it("takes the zone of a country with one zone", async () => {
    expect(await deriveTimeZone("+442071234567")).toBe("Europe/London");
    expect(await deriveTimeZone("+33142685300")).toBe("Europe/Paris");
    expect(await deriveTimeZone("+4930123456")).toBe("Europe/Berlin");
  });

  it("takes none when the number names several (toll-free, an area code split between zones)", async () => {
    expect(await deriveTimeZone("+18005550199")).toBeNull();
    expect(await deriveTimeZone("+19075550123")).toBeNull();
  });

  it("knows IANA names in any case and refuses offsets and inventions", () => {
    expect(normalizeTimeZone("america/new_york")).toBe("America/New_York");
    expect(normalizeTimeZone(" Europe/Paris ")).toBe("Europe/Paris");
    expect(normalizeTimeZone("UTC")).toBe("UTC");
    expect(normalizeTimeZone("+05:00")).toBeNull();
    expect(normalizeTimeZone("Mars/Olympus_Mons")).toBeNull();
    expect(normalizeTimeZone("")).toBeNull();
  });
});

describe("the import CSV", () => {
  it("reads quoted commas, quotes and line breaks, a byte-order mark, and columns in any order and case", () => {
    const csv = '\uFEFFNumber,Name,Notes,Tags\r\n+12125550123,"Riverside, front desk","Ask for ""Dana""\nthen wait",west;Clinic|west\r\n';
    const [record] = parseImportCsv(csv);
    expect(record).toEqual({
      row: 3,
      cells: { number: "+12125550123", name: "Riverside, front desk", notes: 'Ask for "Dana"\nthen wait', tags: "west;Clinic|west" },
    });
  });

  it("skips blank lines and rows of empty cells, and reports each record's line", () => {
    const records = parseImportCsv("name,number\n\nA,+12125550123\n,\nB,+12125550124\n");
    expect(records.map((r) => [r.row, r.cells.name])).toEqual([[3, "A"], [5, "B"]]);
  });

  it("refuses a header without name or number, with an unknown or repeated column (a misspelt one would drop data)", () => {
    expect(refusedWith(() => parseImportCsv("name,phone\nA,+12125550123\n"))).toMatchObject({ status: 422, code: "csv_header" });
    expect(refusedWith(() => parseImportCsv("name,number,tag\nA,+12125550123,x\n")).message).toMatch(/unknown "tag"/);
    expect(refusedWith(() => parseImportCsv("name,number,name\nA,+1,B\n")).message).toMatch(/repeated name/);
  });

  it("refuses an empty file, a header alone, a broken quote, and more rows than the limit", () => {
    expect(refusedWith(() => parseImportCsv(""))).toMatchObject({ status: 422, code: "csv_empty" });
    expect(refusedWith(() => parseImportCsv("name,number\n"))).toMatchObject({ status: 422, code: "csv_empty" });
    expect(refusedWith(() => parseImportCsv('name,number\n"A,+12125550123\n'))).toMatchObject({ status: 422, code: "csv_malformed" });
    const many = `name,number\n${Array.from({ length: IMPORT_MAX_ROWS + 1 }, (_, i) => `T${i},+1212555${String(i).padStart(4, "0")}`).join("\n")}`;
    expect(refusedWith(() => parseImportCsv(many))).toMatchObject({ status: 422, code: "too_many_rows" });
    const enough = `name,number\n${Array.from({ length: IMPORT_MAX_ROWS }, (_, i) => `T${i},+1212555${String(i).padStart(4, "0")}`).join("\n")}`;
    expect(parseImportCsv(enough)).toHaveLength(IMPORT_MAX_ROWS);
  });
});

describe("the export CSV and formula injection", () => {
  it("prefixes every cell a spreadsheet would run with an apostrophe", () => {
    for (const cell of ["=HYPERLINK(\"http://x\")", "+12125550123", "-1+1", "@SUM(A1)", "\tx", "\rx"]) expect(guardCell(cell)).toBe(`'${cell}`);
    for (const cell of ["Riverside", "'quoted", "1+1", ""]) expect(guardCell(cell)).toBe(cell);
    expect(unguardCell("'+12125550123")).toBe("+12125550123");
    expect(unguardCell("'plain")).toBe("'plain");
  });

  it("writes the import's columns, guarded, and imports again as it was", () => {
    const csv = stringifyTargets([
      { name: "=cmd|' /C calc'!A0", number: "+12125550123", timeZone: "America/New_York", tags: ["west", "clinic"], notes: "@boss, call \"early\"", dnc: true, dncSetAt: "2026-12-06T10:00:00+00:00" },
    ]);
    const [header, row] = parse(csv) as string[][];
    expect(header).toEqual(["name", "number", "time_zone", "tags", "notes", "dnc", "dnc_set_at"]);
    expect(row).toEqual(["'=cmd|' /C calc'!A0", "'+12125550123", "America/New_York", "west;clinic", "'@boss, call \"early\"", "yes", "2026-12-06T10:00:00+00:00"]);
    const [again] = parseImportCsv(csv.replace(",dnc_set_at", "").replace(/,2026-12-06T10:00:00\+00:00/, ""));
    expect(again!.cells).toEqual({ name: "=cmd|' /C calc'!A0", number: "+12125550123", time_zone: "America/New_York", tags: "west;clinic", notes: "@boss, call \"early\"", dnc: "yes" });
  });
});

describe("the targets contracts", () => {
  it("normalizes tags (trimmed, lower case, once) and bounds them", () => {
    const parsed = targetCreateSchema.parse({ name: "  Riverside  ", number: "+12125550123", tags: [" West ", "west", "Front  Desk"] });
    expect(parsed).toMatchObject({ name: "Riverside", tags: ["west", "front desk"] });
    expect(targetCreateSchema.safeParse({ name: "A", number: "+12125550123", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }).success).toBe(false);
    expect(targetCreateSchema.safeParse({ name: "A", number: "+12125550123", tags: ["x".repeat(51)] }).success).toBe(false);
    expect(targetCreateSchema.safeParse({ name: " ", number: "+12125550123" }).success).toBe(false);
    expect(targetCreateSchema.safeParse({ name: "A", number: "+12125550123", extra: 1 }).success).toBe(false);
  });

  it("takes a time zone only as an IANA name, canonically spelt", () => {
    expect(targetCreateSchema.parse({ name: "A", number: "+1", timeZone: "europe/paris" }).timeZone).toBe("Europe/Paris");
    expect(targetCreateSchema.safeParse({ name: "A", number: "+1", timeZone: "Nowhere/Town" }).success).toBe(false);
  });

  it("an update names at least one field; a commit names the preview's token", () => {
    expect(targetUpdateSchema.safeParse({}).success).toBe(false);
    expect(targetUpdateSchema.safeParse({ dnc: true }).success).toBe(true);
    expect(targetImportQuerySchema.safeParse({ mode: "commit" }).success).toBe(false);
    expect(targetImportQuerySchema.safeParse({ mode: "commit", token: "a".repeat(64) }).success).toBe(true);
    expect(targetImportQuerySchema.safeParse({ mode: "preview" }).success).toBe(true);
    expect(targetImportQuerySchema.safeParse({ mode: "save" }).success).toBe(false);
  });

  it("reads the list's filters from a query string", () => {
    expect(targetListQuerySchema.parse({ tag: "West, clinic,,west", dnc: "true", limit: "10" })).toEqual({ tag: ["west", "clinic"], dnc: true, limit: 10 });
    expect(targetListQuerySchema.parse({ dnc: "0" }).dnc).toBe(false);
    expect(targetListQuerySchema.safeParse({ limit: "500" }).success).toBe(false);
  });
});

describe("who may do what with targets (lib/rbac/policy.ts)", () => {
  it("everyone reads; owners and admins write; operators may also mark do-not-call; on every plan", () => {
    for (const plan of ["base", "global"] as const) {
      expect(ROLES.filter((r) => allows(r, plan, "target.read"))).toEqual(["owner", "admin", "operator", "analyst", "viewer"]);
      expect(ROLES.filter((r) => allows(r, plan, "target.write"))).toEqual(["owner", "admin"]);
      expect(ROLES.filter((r) => allows(r, plan, "target.dnc"))).toEqual(["owner", "admin", "operator"]);
    }
    expect(whoMay("target.dnc")).toBe("Owners, admins and operators");
  });
});
