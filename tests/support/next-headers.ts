/**
 * `next/headers` for route handlers called directly in Vitest (outside Next there is no request
 * scope). A test file that calls member routes mocks the module with this one:
 *
 *   vi.mock("next/headers", () => import("@/tests/support/next-headers"));
 *
 * and sets the cookies the "browser" sends with `testCookies`.
 */
const jar = new Map<string, string>();

export const testCookies = {
  set(name: string, value: string) {
    jar.set(name, value);
  },
  clear() {
    jar.clear();
  },
  snapshot(): Map<string, string> {
    return new Map(jar);
  },
  restore(saved: Map<string, string>) {
    jar.clear();
    for (const [name, value] of saved) jar.set(name, value);
  },
};

type CookieInit = { name: string; value: string; maxAge?: number };

export async function cookies() {
  return {
    get: (name: string) => (jar.has(name) ? { name, value: jar.get(name)! } : undefined),
    getAll: () => [...jar].map(([name, value]) => ({ name, value })),
    has: (name: string) => jar.has(name),
    set: (nameOrInit: string | CookieInit, value?: string, options?: { maxAge?: number }) => {
      const init = typeof nameOrInit === "string" ? { name: nameOrInit, value: value ?? "", maxAge: options?.maxAge } : nameOrInit;
      if (init.maxAge === 0 || init.value === "") jar.delete(init.name);
      else jar.set(init.name, init.value);
    },
    delete: (name: string) => jar.delete(name),
  };
}

export async function headers() {
  return new Headers();
}
