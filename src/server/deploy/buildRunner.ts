// Runs one build step (install or build command) in a deployment's work dir, in the sandbox:
// its own process group (and pid namespace) so a timeout or a cancel stops the whole tree, a
// scoped environment, and every line of stdout and stderr handed to the caller as it comes.
import { createLineSplitter, quoteTail } from "../platform/local/line-splitter.js";
import { killGroup, type Sandbox, type SandboxSpec } from "../platform/local/sandbox.js";
import { stripAnsi } from "./ansi.js";

export interface BuildStep {
  command: string;
  sandbox: Sandbox;
  /** Where and as whom it runs; the command becomes its argv. */
  spec: Omit<SandboxSpec, "argv">;
  timeoutMs: number;
  signal: AbortSignal;
  onLine(stream: "stdout" | "stderr", line: string): void;
  /** Called with the process-group id once started, so a restarted server can clean up. */
  onSpawn?(pid: number): void;
}

export class BuildStepError extends Error {
  constructor(
    message: string,
    readonly canceled = false,
  ) {
    super(message);
  }
}

const KILL_GRACE_MS = 3000;
// The last lines a failed step printed go into its error, where the reason is read first.
const TAIL_LINES = 5;

export async function runBuildStep(step: BuildStep): Promise<void> {
  if (step.signal.aborted) throw new BuildStepError("canceled", true);
  const { child, cleanup } = await step.sandbox
    .spawn({ ...step.spec, argv: ["/bin/sh", "-c", step.command] }, ["ignore", "pipe", "pipe"])
    .catch((error: Error) => {
      throw new BuildStepError(error.message);
    });
  const tail: string[] = [];
  return new Promise<void>((resolve, reject) => {
    let stopping: "timeout" | "canceled" | null = null;
    const stop = (why: "timeout" | "canceled") => {
      if (stopping || child.exitCode !== null) return;
      stopping = why;
      killGroup(child.pid, "SIGTERM");
      setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop("timeout"), step.timeoutMs);
    const onAbort = () => stop("canceled");
    step.signal.addEventListener("abort", onAbort, { once: true });
    if (child.pid !== undefined) step.onSpawn?.(child.pid);

    // Lines are cut to a bounded length: a build printing gigabytes without a newline must
    // not take the server's memory (readline would hold the whole line).
    const streamsDone = Promise.all(
      (["stdout", "stderr"] as const).map(
        (name) =>
          new Promise<void>((done) => {
            const stream = child[name];
            if (!stream) return done();
            const splitter = createLineSplitter((line) => {
              tail.push(stripAnsi(line).slice(0, 300));
              if (tail.length > TAIL_LINES) tail.shift();
              step.onLine(name, line);
            });
            stream.on("data", (chunk: Buffer) => splitter.push(chunk));
            stream.on("end", () => splitter.flush());
            stream.on("close", done);
          }),
      ),
    );

    child.on("error", (err) => {
      clearTimeout(timer);
      step.signal.removeEventListener("abort", onAbort);
      reject(new BuildStepError(`could not start \`${step.command}\`: ${err.message}`));
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      void cleanup();
      step.signal.removeEventListener("abort", onAbort);
      void streamsDone.then(() => {
        if (stopping === "canceled") reject(new BuildStepError("canceled", true));
        else if (stopping === "timeout") {
          reject(new BuildStepError(`\`${step.command}\` timed out after ${Math.round(step.timeoutMs / 1000)} s`));
        } else if (code === 0) resolve();
        else
          reject(
            new BuildStepError(
              `\`${step.command}\` ${code === null ? `was killed by ${sig}` : `exited with code ${code}`}${quoteTail(tail)}`,
            ),
          );
      });
    });
  });
}
