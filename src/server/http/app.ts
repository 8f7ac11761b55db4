// The hosting API as one Hono app: health, OpenAPI, OAuth, browser sign-in, the /v1 routes
// generated from the operations table and the MCP endpoint, with one error handler for all of them.
import { Hono } from "hono";
import type { AppEnv, ServerContext } from "../context.js";
import { handlers } from "../handlers/index.js";
import { SERVER_VERSION } from "../version.js";
import { registerBlobRoutes } from "./blob-routes.js";
import { registerBrowserRoutes } from "./browser-routes.js";
import { apiErrorHandler, routeNotFound } from "./errors.js";
import { registerMcpRoute } from "./mcp-route.js";
import { registerOAuthRoutes } from "./oauth-routes.js";
import { openApiDocument } from "./openapi.js";
import { registerOperationRoutes } from "./routes-from-operations.js";

export function createApp(server: ServerContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(apiErrorHandler(server.log));
  app.notFound(routeNotFound);

  app.get("/healthz", (c) => c.json({ ok: true, version: SERVER_VERSION }));
  app.get("/openapi.json", (c) => c.json(openApiDocument(SERVER_VERSION)));
  registerOAuthRoutes(app, server);
  registerBrowserRoutes(app, server);
  registerBlobRoutes(app, server);
  registerOperationRoutes(app, server, handlers);
  registerMcpRoute(app, server);
  return app;
}
