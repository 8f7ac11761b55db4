// Which operations this server implements. An operation of the table missing here answers
// 501 until the issue that builds it lands.
import { accountHandlers } from "./account-handlers.js";
import { deploymentHandlers } from "./deployment-handlers.js";
import type { HandlerTable } from "./handler.js";
import { siteHandlers } from "./site-handlers.js";

export const handlers: HandlerTable = { ...accountHandlers, ...siteHandlers, ...deploymentHandlers };
export type { Handler, HandlerContext, HandlerTable } from "./handler.js";
