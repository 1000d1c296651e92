import { z } from "zod";
import { pgText } from "@/lib/pg-safe";

/**
 * The saved targets API's request and response bodies (`/api/voice/targets`, docs/adr/0033),
 * each defined once as a zod schema: routes parse with them, the page and the tests read
 * answers through the same types. Numbers are masked (`+1•••••••23`) for roles without
 * `numbers.view`, exactly as calls are. Client-safe: zod and Intl only.
 */

/** A CSV import is at most this many bytes and data rows; an export at most EXPORT_MAX_ROWS rows. */
export const IMPORT_MAX_BYTES = 256 * 1024;
export const IMPORT_MAX_ROWS = 2000;
export const EXPORT_MAX_ROWS = 10_000;
export const MAX_TAGS = 20;

const NAME_MAX = 200;
const NOTES_MAX = 2000;
const TAG_MAX = 50;

/**
 * An IANA time zone name as Intl knows it, in its canonical spelling (`america/new_york` →
 * `America/New_York`), or null. Only names: Intl also takes offsets such as `+05:00`, which move
 * with nothing, and Postgres takes POSIX specs; the database checks it knows the name too.
 */
export function normalizeTimeZone(input: string): string | null {
  const name = input.trim();
  if (!/^[A-Za-z][A-Za-z_]*(\/[A-Za-z0-9_+-]+)*$/.test(name) || name.length > 64) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** One tag as stored: trimmed, inner spaces collapsed, lower case (so `West` and `west ` are one tag). */
export function normalizeTag(input: string): string {
  return input.trim().replace(/\s+/g, " ").toLowerCase();
}

const tagSchema = pgText.transform(normalizeTag).pipe(z.string().min(1, "a tag cannot be empty").max(TAG_MAX, `a tag is at most ${TAG_MAX} characters`));
export const tagsSchema = z
  .array(tagSchema)
  .max(MAX_TAGS, `at most ${MAX_TAGS} tags`)
  .transform((tags) => [...new Set(tags)]);

export const timeZoneSchema = z.string().max(64).transform((value, ctx) => {
  const zone = normalizeTimeZone(value);
  if (!zone) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not an IANA time zone such as America/New_York` });
    return z.NEVER;
  }
  return zone;
});

const nameSchema = pgText.transform((s) => s.trim()).pipe(z.string().min(1, "give the target a name").max(NAME_MAX, `a name is at most ${NAME_MAX} characters`));
const notesSchema = pgText.max(NOTES_MAX, `notes are at most ${NOTES_MAX} characters`);
const numberInputSchema = pgText.pipe(z.string().trim().min(1, "give the number").max(32));

/**
 * POST /api/voice/targets. `timeZone` may be left out when the number names one (a country
 * with one zone, a North American area code): the answer says which was derived.
 */
export const targetCreateSchema = z.strictObject({
  name: nameSchema,
  number: numberInputSchema,
  timeZone: timeZoneSchema.nullable().optional(),
  tags: tagsSchema.optional(),
  notes: notesSchema.optional(),
  dnc: z.boolean().optional(),
});
export type TargetCreate = z.infer<typeof targetCreateSchema>;

/**
 * PATCH /api/voice/targets/:id: the fields to change. `{ dnc: true }` alone is what operators may
 * send; anything else (clearing the mark included) takes `target.write`.
 */
export const targetUpdateSchema = z
  .strictObject({
    name: nameSchema.optional(),
    number: numberInputSchema.optional(),
    timeZone: timeZoneSchema.optional(),
    tags: tagsSchema.optional(),
    notes: notesSchema.optional(),
    dnc: z.boolean().optional(),
  })
  .refine((u) => Object.keys(u).length > 0, "name at least one field to change");
export type TargetUpdate = z.infer<typeof targetUpdateSchema>;

export const targetViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** E.164, or masked for roles without `numbers.view`. */
  number: z.string(),
  timeZone: z.string(),
  tags: z.array(z.string()),
  notes: z.string(),
  dnc: z.boolean(),
  /** Who last set or cleared the mark (null: never, or the system) and their email, and when. */
  dncSetBy: z.string().nullable(),
  dncSetByEmail: z.string().nullable(),
  dncSetAt: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TargetView = z.infer<typeof targetViewSchema>;

/** POST answers the target and, when the zone was derived from the number, says so. */
export const targetWriteResponseSchema = z.object({ target: targetViewSchema, timeZoneDerived: z.boolean() });
export type TargetWriteResponse = z.infer<typeof targetWriteResponseSchema>;

/** `a,b` in a query string → tags, normalized as stored. */
const tagListQuery = z
  .string()
  .max(500)
  .transform((s) => [...new Set(s.split(",").map(normalizeTag).filter(Boolean))])
  .pipe(z.array(z.string().max(TAG_MAX)).max(MAX_TAGS));

/**
 * The list's and the export's filters:
 *   q     part of the name, the notes or (for roles that see numbers) the number's digits
 *   tag   a,b   targets carrying every one of these tags
 *   dnc   true | false
 */
export const targetFilterSchema = z.object({
  q: z.string().trim().max(200).optional(),
  tag: tagListQuery.optional(),
  dnc: z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1").optional(),
});
export type TargetFilter = z.infer<typeof targetFilterSchema>;

/** GET /api/voice/targets: by name, a page at a time (`after` is the last page's `nextAfter`). */
export const targetListQuerySchema = targetFilterSchema.extend({
  after: z.string().max(600).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const targetListResponseSchema = z.object({
  targets: z.array(targetViewSchema),
  /** Pass as `?after=` for the next page; null at the end. */
  nextAfter: z.string().nullable(),
});
export type TargetListResponse = z.infer<typeof targetListResponseSchema>;

// ---------------------------------------------------------------------------------------------
// CSV import

/** The import's columns; `name` and `number` are required, the rest may be left out. */
export const IMPORT_COLUMNS = ["name", "number", "time_zone", "tags", "notes", "dnc"] as const;

/**
 * POST /api/voice/targets/import?mode=preview|commit, body text/csv. A preview changes nothing
 * and answers a `token` naming exactly what it showed; a commit sends the same CSV with that
 * token and imports exactly that, or 409 `preview_stale` when the file or the saved targets
 * changed since (preview again).
 */
export const targetImportQuerySchema = z
  .object({
    mode: z.enum(["preview", "commit"]),
    token: z.string().regex(/^[0-9a-f]{64}$/, "the token a preview answered").optional(),
  })
  .refine((q) => q.mode === "preview" || q.token, { message: "a commit names the preview's token", path: ["token"] });
export type TargetImportQuery = z.infer<typeof targetImportQuerySchema>;

/** The import's body: the CSV file's text, whole (read by memberRoute as one of these types). */
export const IMPORT_MEDIA_TYPES = ["text/csv", "text/plain"] as const;
export const targetImportBodySchema = z.string();

export const IMPORT_REFUSALS = [
  "missing_name",
  "bad_name",
  "bad_number",
  "duplicate_in_file",
  "already_saved",
  "unknown_time_zone",
  "time_zone_required",
  "bad_tags",
  "bad_notes",
  "bad_dnc",
] as const;
export type ImportRefusal = (typeof IMPORT_REFUSALS)[number];

export const importRowSchema = z.object({
  /** The row's number as a spreadsheet shows it: the header is row 1, the first target row 2. */
  row: z.number().int(),
  name: z.string(),
  number: z.string(),
  timeZone: z.string(),
  /** The zone came from the number, not from the file. */
  timeZoneDerived: z.boolean(),
  tags: z.array(z.string()),
  notes: z.string(),
  dnc: z.boolean(),
});
export type ImportRow = z.infer<typeof importRowSchema>;

export const refusedRowSchema = z.object({
  row: z.number().int(),
  code: z.enum(IMPORT_REFUSALS),
  /** Why, in words, naming the value. */
  reason: z.string(),
  /** What the row said, as far as it could be read. */
  name: z.string(),
  number: z.string(),
});
export type RefusedRow = z.infer<typeof refusedRowSchema>;

export const importPreviewSchema = z.object({
  mode: z.enum(["preview", "commit"]),
  /** SHA-256 over the organization and the preview's rows: what a commit must name. */
  token: z.string(),
  rows: z.array(importRowSchema),
  refused: z.array(refusedRowSchema),
  /** Commit only: the targets saved (as many as `rows`). */
  created: z.number().int().optional(),
});
export type ImportPreview = z.infer<typeof importPreviewSchema>;
