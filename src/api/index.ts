// The browser-safe SDK: schemas, binding, client, transports and errors.

export * from "./binding.js";
export * from "./client.js";
export * from "./errors.js";
export * from "./paths.js";
export * as schemas from "./schemas.js";
export * from "./sse.js";
export * from "./transports.js";
export * from "./validate.js";
