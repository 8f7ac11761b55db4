// The MCP tool table, generated from the binding: every operation of HOSTING_BINDING that
// the server serves, under its binding name, with JSON Schemas made from its zod schemas.
// A call goes through the SDK client (which validates the input) and answers the output as
// structuredContent plus a text copy; a HostingError becomes an `isError` result.
import { z } from "zod";
import { type Operation, operations, PLANNED_OPERATIONS } from "../api/binding.js";
import type { HostingClient } from "../api/client.js";
import { HostingError, isHostingError } from "../api/errors.js";
import type { Deployment } from "../api/schemas.js";
import { parseWith } from "../api/validate.js";

export interface ToolOptions {
  /** Only tools that change nothing (readOnlyHint). */
  readOnly?: boolean;
  /** Default site: fills a missing `siteName`, which is then optional in the schemas. */
  site?: string;
  /** The server runs beside the caller's files (stdio): DEPLOY also takes `directory`. */
  localFiles?: boolean;
}

type JsonSchemaObject = { type: "object"; properties?: Record<string, unknown>; required?: string[] } & Record<
  string,
  unknown
>;

export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: JsonSchemaObject;
  outputSchema: JsonSchemaObject;
  annotations: Operation["annotations"] & { title: string };
}

export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: "text"; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface Progress {
  progress: number;
  total?: number;
  message: string;
}

export interface ToolCall {
  client: HostingClient;
  signal?: AbortSignal;
  /** Reports progress (a DEPLOY's upload and build log); absent when the caller asked for none. */
  progress?: (p: Progress) => void | Promise<void>;
}

interface Tool {
  definition: ToolDefinition;
  run(args: Record<string, unknown>, call: ToolCall): Promise<unknown>;
}

const directoryField = z
  .string()
  .min(1)
  .max(4096)
  .describe("A local directory to upload and deploy (instead of files or git); relative to the server's cwd");

const deployUrls = z.object({
  preview: z.string().nullable().describe("The deployment's immutable URL"),
  production: z.string().nullable().describe("The site's production URL, when this deployment serves it"),
});
const uploadStats = z
  .object({
    files: z.number().int(),
    totalBytes: z.number().int(),
    uploadedFiles: z.number().int(),
    uploadedBytes: z.number().int(),
  })
  .nullable()
  .describe("What a directory deploy uploaded (null for git and manifest deploys)");

/** DEPLOY waits for the build, so it answers the final deployment with its upload and URLs. */
const deployOutput = operations.DEPLOY.output.extend({ upload: uploadStats, urls: deployUrls });

/** The operations the MCP server offers: the served part of the binding. */
export function servedOperations(): Operation[] {
  return (Object.values(operations) as Operation[]).filter(
    (op) => op.binding && !PLANNED_OPERATIONS.has(op.name as never),
  );
}

export function buildTools(opts: ToolOptions = {}): Map<string, Tool> {
  const tools = new Map<string, Tool>();
  for (const op of servedOperations()) {
    if (opts.readOnly && !op.annotations.readOnlyHint) continue;
    const tool = op.name === "DEPLOY" ? deployTool(op, opts) : plainTool(op);
    tools.set(op.name, withSiteDefault(tool, opts.site));
  }
  return tools;
}

function plainTool(op: Operation): Tool {
  return {
    definition: definitionOf(op, op.input, op.output, `${op.description}. Needs the ${op.role} role.`),
    run: (args, { client, signal }) => client.call(op.name as never, args as never, { signal }),
  };
}

function deployTool(op: Operation, opts: ToolOptions): Tool {
  const input = opts.localFiles ? (op.input as z.ZodObject).extend({ directory: directoryField.optional() }) : op.input;
  const source = opts.localFiles
    ? "a local `directory`, a `files` manifest of uploaded blobs, or `git`"
    : "`git` or a `files` manifest of uploaded blobs";
  const description =
    `Deploy ${source} to a site, wait for the build (progress notifications carry the upload and each build log line), ` +
    `and answer the final deployment with its URLs. Needs the ${op.role} role.`;
  return {
    definition: definitionOf(op, input, deployOutput, description),
    // without local files, `directory` is left in the input, which DEPLOY's schema refuses
    run: (args, call) => runDeploy(args, call, opts.localFiles === true),
  };
}

function definitionOf(op: Operation, input: z.ZodType, output: z.ZodType, description: string): ToolDefinition {
  return {
    name: op.name,
    description,
    inputSchema: jsonSchema(input, "input"),
    outputSchema: jsonSchema(output, "output"),
    annotations: { title: op.description, ...op.annotations },
  };
}

export function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchemaObject {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchemaObject;
}

function withSiteDefault(tool: Tool, site: string | undefined): Tool {
  const props = tool.definition.inputSchema.properties;
  if (site === undefined || !props || !("siteName" in props)) return tool;
  const schema = tool.definition.inputSchema;
  const required = schema.required?.filter((k) => k !== "siteName");
  const { required: _, ...rest } = schema;
  return {
    ...tool,
    definition: {
      ...tool.definition,
      description: `${tool.definition.description} siteName defaults to "${site}".`,
      inputSchema: required?.length ? { ...rest, required } : rest,
    },
    run: (args, call) => tool.run(args.siteName === undefined ? { ...args, siteName: site } : args, call),
  };
}

/** Runs one tool; every failure of the call itself is an `isError` result, never a protocol error. */
export async function callTool(tool: Tool, args: Record<string, unknown>, call: ToolCall): Promise<ToolResult> {
  try {
    const output = (await tool.run(args, call)) as Record<string, unknown>;
    return { structuredContent: output, content: [{ type: "text", text: JSON.stringify(output) }] };
  } catch (err) {
    return errorResult(err);
  }
}

/**
 * The error travels as the text `{"error":{code,message,hint}}` (what createToolCallerTransport
 * reads back) and not as structuredContent: the SDK's Client validates structuredContent against
 * the output schema even on isError results (typescript-sdk#1943), so callTool would throw.
 */
export function errorResult(err: unknown): ToolResult {
  const error = isHostingError(err)
    ? err
    : new HostingError("internal", err instanceof Error ? err.message : String(err), {
        hint: "This is a bug in deco-hosting mcp; run the same action with the CLI to compare",
      });
  return { isError: true, content: [{ type: "text", text: JSON.stringify(error.toJSON()) }] };
}

async function runDeploy(args: Record<string, unknown>, call: ToolCall, localFiles: boolean): Promise<unknown> {
  const { client, signal } = call;
  const { directory, ...rest } = args as { directory?: string } & Record<string, unknown>;
  const input = localFiles ? rest : args;
  let step = 0;
  const report = async (message: string) => {
    try {
      await call.progress?.({ progress: ++step, message });
    } catch {
      // a lost progress notification must not fail the deploy
    }
  };

  let deployment: Deployment;
  let upload: z.infer<typeof uploadStats> = null;
  if (localFiles && directory !== undefined) {
    if (input.files !== undefined || input.git !== undefined) {
      throw new HostingError("invalid_input", "pass one of directory, files or git", {
        hint: "Drop files and git to deploy the directory, or drop directory",
      });
    }
    // the same checks as without directory, before anything is hashed or uploaded
    const checked = parseWith(operations.DEPLOY.input.omit({ files: true }), input, "input for DEPLOY");
    const { deployDirectory } = await import("../api/node/upload.js");
    const result = await deployDirectory(client, {
      dir: directory,
      ...checked,
      signal,
      onProgress: (p) => {
        if (p.phase === "negotiating") void report(`Checking ${p.files} files (${p.totalBytes} bytes)`);
        else if (p.phase === "uploading") void report(`Uploaded ${p.uploadedFiles}/${p.uploadFiles} files`);
        else if (p.phase === "creating") void report("Creating the deployment");
      },
    });
    deployment = result.deployment;
    upload = result.upload;
  } else {
    deployment = await client.call("DEPLOY", input as never, { signal });
  }
  await report(`Deployment ${deployment.id} is ${deployment.state}`);

  for await (const e of client.followLogs("build", deployment.id, { signal })) {
    if ("end" in e) break;
    await report(e.message);
  }
  deployment = await client.getDeployment({ deploymentId: deployment.id }, { signal });
  if (deployment.state !== "ready") {
    throw new HostingError(
      "deployment_failed",
      `deployment ${deployment.id} ended ${deployment.state}: ${deployment.reason ?? "no reason given"}`,
      {
        hint: `Read its build log with GET_BUILD_LOGS { "deploymentId": "${deployment.id}" }`,
        details: { deploymentId: deployment.id, state: deployment.state, reason: deployment.reason },
      },
    );
  }
  const site = await client.getSite({ siteName: deployment.site }, { signal });
  const urls = {
    preview: deployment.url,
    production: deployment.isProduction || input.production === true ? site.productionUrl : null,
  };
  return { ...deployment, upload, urls };
}
