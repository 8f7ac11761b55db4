import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildRequest,
  createToolCallerTransport,
  HOSTING_BINDING,
  HostingClient,
  HostingError,
  methodName,
  operations,
  pathParams,
} from "../../src/api/index.js";

// The plan's tool list (seed/hosting-plan.md, "Tools to Expose"), as binding names.
const PLAN_TOOLS = [
  "list-sites",
  "get-site",
  "create-site",
  "delete-site",
  "list-deployments",
  "get-deployment-logs",
  "deploy",
  "promote-deployment",
  "get-build-logs",
  "list-environments",
  "create-environment",
  "delete-environment",
  "update-environment",
  "get-environment-logs",
  "list-domains",
  "add-domain",
  "validate-domain",
  "remove-domain",
  "get-domain-status",
  "get-metrics-summary",
  "get-status-codes",
  "get-top-paths",
  "get-top-countries",
  "get-error-patterns",
  "get-usage-timeline",
  "get-env-vars",
  "set-env-vars",
  "get-scaling-config",
  "set-scaling-config",
].map((t) => t.toUpperCase().replaceAll("-", "_"));

const all = Object.entries(operations);

describe("the binding", () => {
  it("holds every tool of the plan", () => {
    const names = HOSTING_BINDING.map((t) => t.name);
    for (const t of PLAN_TOOLS) expect(names).toContain(t);
  });

  it("names each operation in UPPER_SNAKE under its own key, once", () => {
    for (const [key, op] of all) {
      expect(op.name).toBe(key);
      expect(op.name).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
    }
    const routes = all.map(([, op]) => `${op.http.method} ${op.http.path}`);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it("takes every path parameter from the input schema", () => {
    for (const [, op] of all) {
      const shape = (op.input as unknown as z.ZodObject).shape;
      for (const p of pathParams(op.http.path)) expect(Object.keys(shape), `${op.name} lacks ${p}`).toContain(p);
    }
  });

  it("declares object outputs and JSON-Schema-convertible schemas (MCP needs both)", () => {
    for (const [, op] of all) {
      const out = z.toJSONSchema(op.output, { io: "output", unrepresentable: "any" }) as { type?: string };
      expect(out.type, op.name).toBe("object");
      const input = z.toJSONSchema(op.input, { io: "input", unrepresentable: "any" }) as { type?: string };
      expect(input.type, op.name).toBe("object");
    }
  });

  it("marks reads read-only and deletes destructive", () => {
    for (const [, op] of all) {
      if (op.http.method === "GET") expect(op.annotations.readOnlyHint, op.name).toBe(true);
      if (op.http.method === "DELETE") expect(op.annotations.destructiveHint, op.name).toBe(true);
      if (op.annotations.readOnlyHint) expect(op.annotations.destructiveHint, op.name).toBe(false);
    }
  });
});

describe("buildRequest", () => {
  it("puts path parameters in the path and the rest in the query for GET", () => {
    const r = buildRequest(operations.GET_BUILD_LOGS, { deploymentId: "d 1", since: "42", limit: 10 });
    expect(r.path).toBe("/v1/deployments/d%201/build-logs");
    expect(r.query.toString()).toBe("since=42&limit=10");
    expect(r.body).toBeUndefined();
  });

  it("sends the rest as a JSON body for writes", () => {
    const r = buildRequest(operations.PROMOTE_DEPLOYMENT, { siteName: "web", deploymentId: "abc" });
    expect(r.path).toBe("/v1/sites/web/promote");
    expect(JSON.parse(r.body ?? "")).toEqual({ deploymentId: "abc" });
  });
});

describe("HostingClient", () => {
  it("has one method per operation", () => {
    const client = new HostingClient({ call: async () => ({}) });
    for (const [name] of all)
      expect(typeof (client as unknown as Record<string, unknown>)[methodName(name)]).toBe("function");
    expect(methodName("GET_DEPLOYMENT_LOGS")).toBe("getDeploymentLogs");
  });

  it("validates input before calling the transport", async () => {
    const sent: unknown[] = [];
    const client = new HostingClient({
      call: async (_op, input) => {
        sent.push(input);
        return {};
      },
    });
    const err = await client.createSite({ name: "Bad_Name" }).catch((e) => e);
    expect(err).toBeInstanceOf(HostingError);
    expect(err.code).toBe("invalid_input");
    expect(err.message).toMatch(/name/);
    expect(err.hint).toBeTruthy();
    expect(sent).toEqual([]);
  });

  it("calls tools by binding name over a tool caller and rebuilds errors", async () => {
    const calls: Array<[string, unknown]> = [];
    const client = new HostingClient(
      createToolCallerTransport(async (name, args) => {
        calls.push([name, args]);
        if (name === "DELETE_SITE") {
          return {
            isError: true,
            structuredContent: { error: { code: "forbidden", message: "no", hint: "ask an admin" } },
          };
        }
        return { structuredContent: { sites: [] } };
      }),
    );
    expect(await client.listSites()).toEqual({ sites: [] });
    const err = await client.deleteSite({ siteName: "web" }).catch((e) => e);
    expect(err).toMatchObject({ code: "forbidden", status: 403, hint: "ask an admin" });
    expect(calls.map((c) => c[0])).toEqual(["LIST_SITES", "DELETE_SITE"]);
  });
});
