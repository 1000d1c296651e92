import { describe, expect, it } from "vitest";
import { sql } from "@/lib/db/client";
import { advance, CALL_STATUSES } from "@/lib/calls/state-machine";

/**
 * The status report runs in SQL (private.apply_status_report, one round trip); the forward-only
 * rule it applies must be the one lib/calls/state-machine.ts states, for every pair of statuses.
 * (tests/integration/callbacks-property.test.ts proves the whole report path against repeats and
 * reordering.)
 */
describe("the state machine in SQL and TypeScript", () => {
  it("advances alike for every current × incoming status, and keeps the current one on null", async () => {
    const rows = await sql()<{ current: string; incoming: string | null; next: string }[]>`
      select c::text as current, i::text as incoming, private.advance_call_status(c, i)::text as next
      from unnest(enum_range(null::public.call_status)) as c
      cross join (select unnest(enum_range(null::public.call_status)) union all select null) as x (i)`;
    expect(rows).toHaveLength(CALL_STATUSES.length * (CALL_STATUSES.length + 1));
    const disagreements = rows.filter((r) => r.next !== (r.incoming === null ? r.current : advance(r.current as never, r.incoming as never)));
    expect(disagreements).toEqual([]);
  });
});
