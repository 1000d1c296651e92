/**
 * A request's route as its template (`/api/laml/{callId}/gather`), for metric labels: each path
 * segment that is one of the route's parameters becomes `{name}`. Anything that does not then
 * read as literal lowercase segments and `{param}`s (a segment escaped differently from its
 * parameter, say) is `other`, so a client cannot mint label values.
 */
export function routeTemplate(pathname: string, params: Record<string, string | string[] | undefined>): string {
  const names = new Map<string, string>();
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== "string" || value === "") continue;
    names.set(value, name);
    names.set(encodeURIComponent(value), name);
  }
  const template = pathname
    .split("/")
    .map((segment) => {
      const name = names.get(segment);
      return name === undefined ? segment : `{${name}}`;
    })
    .join("/");
  return template.length <= 120 && /^(\/([a-z0-9-]+|\{[A-Za-z]+\}))+$/.test(template) ? template : "other";
}
