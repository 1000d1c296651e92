import { readFileSync } from "node:fs";
import { expect, type APIRequestContext, type Page, type TestInfo } from "@playwright/test";

/** The demo sign-in exactly as the README gives it, so the README cannot drift from the app. */
export function readmeSignIn(): { email: string; password: string } {
  const readme = readFileSync("README.md", "utf8");
  const email = readme.match(/`(owner@acme\.test)`/)?.[1];
  const password = readme.match(/password `([^`]+)`/)?.[1];
  if (!email || !password) throw new Error("README.md no longer states the demo sign-in (owner@acme.test, password `…`)");
  return { email, password };
}

export const DEMO_PASSWORD = () => readmeSignIn().password;

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD()): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
}

let ipCounter = 0;
/**
 * A made-up client address. The server ignores X-Forwarded-For (no trusted proxy is configured),
 * so every test signs in from 127.0.0.1; that is fine because successful sign-ins count against
 * no limit. The auth spec checks that sending one does not escape the limits.
 */
export function freshIp(): string {
  ipCounter += 1;
  return `10.${Math.floor(Math.random() * 200) + 1}.${ipCounter % 250}.${Math.floor(Math.random() * 250) + 1}`;
}

export async function apiSignIn(request: APIRequestContext, email: string, password = DEMO_PASSWORD()) {
  const res = await request.post("/api/auth/sign-in", {
    data: { email, password },
    headers: { "x-forwarded-for": freshIp() },
  });
  if (!res.ok()) throw new Error(`sign-in as ${email} failed: ${res.status()} ${await res.text()}`);
  return res;
}

/** Places a call to `number` from the page's form, as a person does; the new call's id. */
export async function placeCallFromPage(page: Page, number: string): Promise<string> {
  const placed = page.waitForResponse((r) => r.url().endsWith("/api/calls") && r.request().method() === "POST");
  await page.getByLabel("Phone number").fill(number);
  await page.getByRole("button", { name: "Place call" }).click();
  const response = await placed;
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { call: { id: string } }).call.id;
}

/**
 * The issuer's published keys and TSA certificate, fetched from the running app as a verifier
 * would fetch them once, saved beside `dir`: the CLI arguments that pin them.
 */
export async function pinnedTrustArgs(request: APIRequestContext, dir: string): Promise<string[]> {
  const { mkdtemp, writeFile } = await import("node:fs/promises");
  const path = await import("node:path");
  const where = await mkdtemp(path.join(dir, "issuer-"));
  const jwks = await request.get("/api/evidence/jwks");
  const tsa = await request.get("/api/evidence/tsa");
  expect(jwks.status()).toBe(200);
  expect(tsa.status()).toBe(200);
  await writeFile(path.join(where, "jwks.json"), await jwks.body());
  await writeFile(path.join(where, "tsa.pem"), await tsa.body());
  return ["--jwks", path.join(where, "jwks.json"), "--tsa-cert", path.join(where, "tsa.pem")];
}

/**
 * Every Content-Security-Policy violation any document of the page reports (the
 * `securitypolicyviolation` event, listened to before the document's first script), and what the
 * console says about a policy (an unrecognized Permissions-Policy feature, say). The list fills
 * as the page goes; docs/adr/0026.
 */
export async function watchPolicyViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy|Permissions[- ]Policy|Refused to/i.test(message.text())) seen.push(`console ${message.type()}: ${message.text()}`);
  });
  await page.exposeFunction("__reportPolicyViolation", (line: string) => seen.push(line));
  await page.addInitScript(() => {
    const report = (window as unknown as { __reportPolicyViolation: (line: string) => void }).__reportPolicyViolation;
    document.addEventListener("securitypolicyviolation", (e) => report(`${location.pathname}: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
  });
  return seen;
}

const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * An axe audit of the page as it stands (WCAG 2.2 AA rules): serious and critical violations fail
 * the test, lesser ones are noted as annotations naming `state`.
 */
export async function auditAxe(page: Page, testInfo: TestInfo, state: string): Promise<void> {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const blocking = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of results.violations.filter((x) => !blocking.includes(x))) {
    testInfo.annotations.push({ type: `axe ${v.impact} (${state})`, description: `${v.id}: ${v.help} (${v.nodes.length})` });
  }
  const report = blocking.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join("\n  ")}`).join("\n");
  expect(blocking, `${state}:\n${report}`).toEqual([]);
}
