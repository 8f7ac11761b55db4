// The OpenAPI 3.1 document, generated from the operations table so it cannot drift from it.
import { z } from "zod";
import { type Operation, operations, pathParams } from "../../api/binding.js";
import { ERROR_CODES } from "../../api/errors.js";
import { TEAM_HEADER } from "../auth/access-middleware.js";

type JsonSchema = { type?: unknown; properties?: Record<string, unknown>; required?: string[]; [k: string]: unknown };

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: Object.keys(ERROR_CODES) },
        message: { type: "string" },
        hint: { type: "string" },
        details: {},
      },
    },
  },
};

function operationObject(op: Operation): Record<string, unknown> {
  const input = jsonSchema(op.input, "input");
  const inPath = pathParams(op.http.path);
  const properties = { ...(input.properties ?? {}) };
  const required = new Set(input.required ?? []);
  const parameters: Record<string, unknown>[] = inPath.map((name) => ({
    name,
    in: "path",
    required: true,
    schema: properties[name] ?? { type: "string" },
  }));
  for (const name of inPath) {
    delete properties[name];
    required.delete(name);
  }
  parameters.push({
    name: TEAM_HEADER,
    in: "header",
    required: false,
    description: "Team slug the request acts on; defaults to the API key's team or the user's first team",
    schema: { type: "string" },
  });
  const result: Record<string, unknown> = {
    operationId: op.name,
    summary: op.description,
    "x-least-role": op.role,
    parameters,
    responses: {
      "200": { description: "Success", content: { "application/json": { schema: jsonSchema(op.output, "output") } } },
      default: {
        description: "Error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    },
  };
  if (op.http.method === "GET" || op.http.method === "DELETE") {
    for (const [name, schema] of Object.entries(properties)) {
      parameters.push({ name, in: "query", required: required.has(name), schema });
    }
  } else {
    const body: JsonSchema = { ...input, properties };
    if (required.size > 0) body.required = [...required];
    else delete body.required;
    result.requestBody = { required: true, content: { "application/json": { schema: body } } };
  }
  return result;
}

export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of Object.values(operations) as Operation[]) {
    const item = paths[op.http.path] ?? {};
    item[op.http.method.toLowerCase()] = operationObject(op);
    paths[op.http.path] = item;
  }
  return {
    openapi: "3.1.0",
    info: { title: "deco-hosting API", version },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key (dhk_…) or an OAuth access token (dho_…)" },
      },
      schemas: { Error: errorSchema },
    },
  };
}
