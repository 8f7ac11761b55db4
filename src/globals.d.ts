/** Injected by scripts/build.mjs from package.json. */
declare const __VERSION__: string;
