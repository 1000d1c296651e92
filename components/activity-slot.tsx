/**
 * The Activity section's placeholder (issue 11). The organization's activity feed
 * (`ActivityFeed({ orgId })`, components/activity-feed.tsx, GET /api/activity) is built
 * separately and replaces this component at merge: voice-operations.tsx renders the section
 * and its "Activity" heading, and this file's one use there.
 */
export function ActivitySlot({ orgId }: { orgId: string }) {
  return (
    <p className="text-sm text-muted" data-testid="activity-slot" data-org-id={orgId}>
      Nothing to show yet. Calls placed, evidence exported and settings changed in this organization will be listed here.
    </p>
  );
}
