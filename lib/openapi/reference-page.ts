import "server-only";

/**
 * The OpenAPI document as one server-rendered HTML page: operations grouped by their first path
 * segment, each with who may call it, its parameters, body and answers (error codes included)
 * and, folded, the request's JSON Schemas. No script and no style sheet, so the page CSP has nothing to
 * allow (docs/adr/0043); it is rendered from the very document /api/openapi.json serves.
 */

type Json = Record<string, unknown>;

interface OperationView {
  method: string;
  path: string;
  op: Json;
}

const METHOD_ORDER = ["get", "head", "post", "put", "patch", "delete"];

function escape(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `code` spans for backticked words in the document's prose. */
function prose(text: unknown): string {
  return escape(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function schemaBlock(label: string, schema: unknown): string {
  if (!schema) return "";
  return `<details><summary>${escape(label)}</summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`;
}

function authOf(op: Json): string {
  const security = (op.security as Json[] | undefined) ?? [];
  if (security.length === 0) return `Public: ${prose(op["x-public"] ?? "no credentials")}.`;
  const scheme = Object.keys(security[0]!)[0];
  if (scheme === "sessionCookie" && op["x-action"]) {
    const roles = (op["x-roles"] as string[]).join(", ");
    return `Member (session cookie; <code>x-organization-id</code> to choose the organization): <code>${escape(op["x-action"])}</code>, for ${escape(roles)}, on the ${escape(op["x-plan"])} plan and up.`;
  }
  if (scheme === "sessionCookie") return "Signed in (session cookie), in no organization.";
  return `Provider webhook, verified by <code>${escape(scheme)}</code> before anything else.`;
}

/** A parameter's schema in a few words: `string (uuid)`, `one of: a, b`. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return "";
  if (Array.isArray(schema.enum)) return `one of: ${schema.enum.map((v) => `<code>${escape(v)}</code>`).join(", ")}.`;
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : (schema.type ?? "value");
  const pattern = schema.pattern && !schema.format ? `, matching <code>${escape(schema.pattern)}</code>` : "";
  return `<code>${escape(type)}${schema.format ? ` (${escape(schema.format)})` : ""}</code>${pattern}.`;
}

function parametersOf(op: Json): string {
  const params = (op.parameters as Json[] | undefined) ?? [];
  if (!params.length) return "";
  const rows = params.map((p) => {
    const schema = p.schema as Json | undefined;
    return `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td>${typeOf(schema)}${p.description ? ` ${prose(p.description)}` : ""}</td></tr>`;
  });
  return `<h4>Parameters</h4><table><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">required</th><th scope="col">about</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function bodyOf(op: Json): string {
  const body = op.requestBody as Json | undefined;
  if (!body) return "";
  const content = (body.content as Record<string, Json>) ?? {};
  const types = Object.entries(content).map(([type, media]) => `<li><code>${escape(type)}</code>${schemaBlock("schema", media.schema)}</li>`);
  return `<h4>Request body${body.required ? "" : " (optional)"}</h4>${body.description ? `<p>${prose(body.description)}</p>` : ""}<ul>${types.join("")}</ul>`;
}

function responsesOf(op: Json): string {
  const responses = (op.responses as Record<string, Json>) ?? {};
  const rows = Object.entries(responses).map(([status, answer]) => {
    const content = (answer.content as Record<string, Json> | undefined) ?? {};
    const codes = answer["x-error-codes"] as string[] | undefined;
    const types = Object.keys(content).map((t) => `<code>${escape(t)}</code>`).join(", ");
    // Answers' schemas are long (a call's detail is pages of it): the JSON document holds them.
    const schemas = codes || !Object.values(content).some((m) => m.schema) ? "" : " — schema in the JSON document";
    return `<tr><td>${escape(status)}</td><td>${codes ? codes.map((c) => `<code>${escape(c)}</code>`).join(" ") : ""}</td><td>${prose(codes ? String(answer.description).replace(/^[^:]*:\s*/, "") : answer.description)}${types ? ` (${types})` : ""}${schemas}</td></tr>`;
  });
  return `<h4>Answers</h4><table><thead><tr><th scope="col">status</th><th scope="col">error codes</th><th scope="col">meaning</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

export function referencePage(openapi: object): string {
  const document = openapi as Json;
  const info = (document.info as Json) ?? {};
  const groups = new Map<string, OperationView[]>();
  for (const [path, item] of Object.entries((document.paths as Record<string, Json>) ?? {})) {
    for (const method of METHOD_ORDER) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const tag = ((op.tags as string[] | undefined) ?? ["other"])[0]!;
      groups.set(tag, [...(groups.get(tag) ?? []), { method, path, op }]);
    }
  }
  const tags = [...groups.keys()].sort();
  const nav = tags.map((t) => `<li><a href="#${escape(t)}">${escape(t)}</a> (${groups.get(t)!.length})</li>`).join("");
  const sections = tags.map((tag) => {
    const ops = groups.get(tag)!.sort((a, b) => a.path.localeCompare(b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method));
    const articles = ops.map(({ method, path, op }) => `
<article id="${escape(op.operationId)}">
<h3><code>${escape(method.toUpperCase())} ${escape(path)}</code></h3>
<p>${prose(op.summary)}</p>${op.description ? `<p>${prose(op.description)}</p>` : ""}
<p>${authOf(op)}</p>
${parametersOf(op)}${bodyOf(op)}${responsesOf(op)}
</article>`);
    return `<section id="${escape(tag)}" aria-labelledby="${escape(tag)}-heading"><h2 id="${escape(tag)}-heading">${escape(tag)}</h2>${articles.join("")}</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(info.title)} reference</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 70rem; margin: 0 auto; padding: 1rem; line-height: 1.5">
<header><h1>${escape(info.title)} reference</h1><p>${prose(info.description)}</p>
<p>The machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI ${escape(document.openapi)}).</p></header>
<nav aria-label="Groups of operations"><ul>${nav}</ul></nav>
<main>${sections.join("\n")}</main>
</body>
</html>
`;
}
