/**
 * The header an API client names its organization with. Its own module (no zod): the page's
 * API client imports it, and importing it from the contracts would ship zod to the browser.
 */
export const ORG_HEADER = "x-organization-id";
