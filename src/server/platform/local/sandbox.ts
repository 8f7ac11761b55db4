// Every process that runs a tenant's code (git fetch, install, build, the app) starts here:
// in bubblewrap, with a mount namespace that shows only its own tree, a private /tmp and the
// toolchain read-only; its own pid, ipc and uts namespaces (and, for an app, its own network
// namespace); no capabilities and no_new_privs; the site's own uid when the server is root;
// and cgroup limits where the machine lets the server write them. With `--no-sandbox` the
// same specs run as plain process groups, and every report says so.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { lchown, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { HostingError } from "../../../api/errors.js";
import { isAlive } from "../../../api/node/process-alive.js";
import { seccompProgram } from "./seccomp.js";

export interface ResourceLimits {
  /** Memory (and swap) per sandbox, bytes. */
  memoryBytes: number;
  /** Processes and threads per sandbox. */
  pids: number;
  /** CPU time per sandbox, in cores. */
  cpus: number;
}

export const APP_LIMITS: ResourceLimits = { memoryBytes: 512 * 1024 * 1024, pids: 256, cpus: 1 };
export const BUILD_LIMITS: ResourceLimits = { memoryBytes: 2048 * 1024 * 1024, pids: 1024, cpus: 2 };

/** What the server can do to keep tenant code in, found once at start. */
export interface Isolation {
  sandbox: "bubblewrap" | "none";
  /** Set when tenant code cannot run at all: the reason, with how to fix it. */
  unavailable: string | null;
  bwrap: string | null;
  namespaces: string[];
  /** Each site's code runs under a uid of its own (the server is root). */
  uidPerSite: boolean;
  noNewPrivs: boolean;
  /** A seccomp filter refuses ptrace, keyrings, new namespaces, mounts and the like. */
  seccomp: boolean;
  capabilities: "none" | "inherited";
  cgroups: "v1" | null;
  /** The rlimits applied where cgroups cannot be. */
  rlimits: string[];
  limits: { app: ResourceLimits; build: ResourceLimits };
}

export interface Bind {
  src: string;
  dest: string;
  writable?: boolean;
}

export interface SandboxSpec {
  /** Unique among running sandboxes: names its cgroup ("build-<id>", "app-<id>"). */
  name: string;
  /** The site's number: its code runs as uid SITE_UID_BASE + uid when the server is root. */
  uid: number;
  /** Mounted at /app, the working directory. */
  root: string;
  writable: boolean;
  /** Mounted read-write at /home/site and used as HOME; else HOME is the private /tmp. */
  home?: string;
  binds?: Bind[];
  /**
   * "none": a network namespace of its own with only loopback (apps). "outbound": one of its
   * own that reaches the internet through slirp4netns but no port of this machine (builds;
   * "host" where slirp4netns is missing). "host": the machine's network.
   */
  network: "host" | "none" | "outbound";
  argv: string[];
  env: Record<string, string>;
  limits: ResourceLimits;
  /** Bytes of the private /tmp. */
  tmpBytes?: number;
  /**
   * Run argv under a small init of ours (the sandbox's pid 2, under bwrap's own pid 1): it
   * puts the command in a process group of its own, passes SIGTERM on to that group, and
   * ends the sandbox (and so everything in it) only once the group is gone, so an app drains
   * before it stops. (bwrap's pid 1 stays: it keeps the parent-death signal that ends the
   * sandbox with the server, which a change of uid would clear from any later process.)
   */
  init?: boolean;
}

type StdioNull = "ignore" | "pipe" | "inherit";

export interface SandboxedProcess {
  child: ChildProcess;
  /** The host pid of the sandbox's pid 1 (bwrap's); with --no-sandbox, the child's own pid. */
  pid: Promise<number>;
  /** Removes what the sandbox left on the host (its cgroups); call once it exited. */
  cleanup(): Promise<void>;
}

export interface Sandbox {
  isolation: Isolation;
  /** Where the tenant's code sees its own tree (/app), or null when it sees the host's paths. */
  readonly appDir: string | null;
  /** stdio is the child's fds 0–2; the sandbox uses fds 3 and 4 for itself. */
  spawn(spec: SandboxSpec, stdio: StdioNull[]): Promise<SandboxedProcess>;
  /** Runs to the end and returns its output; rejects with stderr's last line when it fails. */
  exec(spec: SandboxSpec, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<string>;
  /**
   * Makes `dir` and everything in it the site's, so its sandbox can write there. Only for
   * a tree no tenant process can touch while it runs (a link swapped in mid-walk would be
   * followed).
   */
  ownTree(dir: string, uid: number): Promise<void>;
  /** Makes the directory itself (not what is in it) the site's. */
  ownDir(dir: string, uid: number): Promise<void>;
  /** Removes the server's own cgroups. */
  close(): Promise<void>;
}

const APP_DIR = "/app";
// The init of an app's sandbox (see SandboxSpec.init); $1 is the app's command.
const INIT = [
  'setsid /bin/sh -c "$1" &',
  "app=$!",
  "trap 'kill -TERM -$app 2>/dev/null' TERM",
  "status=0",
  "while :; do wait $app; status=$?; kill -0 $app 2>/dev/null || break; done",
  "while kill -0 -$app 2>/dev/null; do sleep 0.05; done",
  "exit $status",
].join("\n");
const HOME_DIR = "/home/site";
// The toolchain a build or an app may use, read-only; nothing else of the machine is there.
const READ_ONLY = [
  "/usr",
  "/etc/alternatives",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/nsswitch.conf",
  "/etc/localtime",
  "/etc/mime.types",
];
const MERGED_USR = ["/bin", "/sbin", "/lib", "/lib32", "/lib64"];
const CGROUP_CONTROLLERS = ["memory", "pids", "cpu"] as const;
/** uids of sites start here, far above system users, subuid ranges and container defaults. */
export const SITE_UID_BASE = 1_500_000_000;

export interface SandboxOptions {
  dataDir: string;
  /** `--no-sandbox`: run tenant code as plain process groups. */
  disabled?: boolean;
  limits?: { app?: Partial<ResourceLimits>; build?: Partial<ResourceLimits> };
}

export async function createSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const limits = {
    app: { ...APP_LIMITS, ...opts.limits?.app },
    build: { ...BUILD_LIMITS, ...opts.limits?.build },
  };
  const ownUid = process.getuid?.() ?? 0;
  const seccomp = seccompProgram();
  const root = ownUid === 0;
  const bwrap = opts.disabled ? null : findOnPath("bwrap");
  // Unprivileged, bwrap nests the sandbox's user namespace inside the one that owns its
  // network namespace, which slirp4netns cannot enter: builds then share the host's network.
  const slirp = opts.disabled || !root ? null : findOnPath("slirp4netns");
  const nft = opts.disabled ? null : (findOnPath("nft") ?? (existsSync("/usr/sbin/nft") ? "/usr/sbin/nft" : null));
  const unavailable = opts.disabled || !bwrap ? null : await probe(bwrap, root);
  const sandboxed = !opts.disabled && bwrap !== null && unavailable === null;
  const cgroups = await detectCgroups();
  const etcDir = path.join(opts.dataDir, "sandbox");
  const node = nodeToolchain();
  const isolation: Isolation = {
    sandbox: sandboxed ? "bubblewrap" : "none",
    unavailable: opts.disabled
      ? null
      : !bwrap
        ? "bubblewrap (bwrap) is not installed, so the server will not run a build or an app: install it (`apt-get install bubblewrap`, `dnf install bubblewrap`), or start the server with --no-sandbox to run tenant code unisolated"
        : unavailable,
    bwrap,
    namespaces: sandboxed
      ? [
          "mount",
          "pid",
          "ipc",
          "uts",
          "network (apps)",
          ...(slirp
            ? [`network (builds, outbound through slirp4netns${nft ? ", private addresses filtered" : ""})`]
            : []),
          ...(root ? [] : ["user"]),
        ]
      : [],
    uidPerSite: sandboxed && root,
    noNewPrivs: sandboxed,
    seccomp: sandboxed && seccomp !== null,
    capabilities: sandboxed || !root ? "none" : "inherited",
    cgroups: cgroups?.version ?? null,
    rlimits: cgroups ? ["nofile"] : ["nofile", ...(sandboxed && root ? ["nproc"] : [])],
    limits,
  };

  async function passwdFiles(uid: number): Promise<SandboxEtc> {
    const passwd = path.join(etcDir, `passwd-${uid}`);
    const group = path.join(etcDir, `group-${uid}`);
    const resolv = path.join(etcDir, "resolv.conf");
    if (!existsSync(resolv)) {
      await mkdir(etcDir, { recursive: true, mode: 0o700 });
      await writeFile(resolv, `nameserver ${SLIRP_DNS}\n`, { mode: 0o644 }); // slirp4netns answers there
    }
    if (!existsSync(passwd)) {
      await mkdir(etcDir, { recursive: true, mode: 0o700 });
      await writeFile(group, `root:x:0:\nsite:x:${uid}:\nnogroup:x:65534:\n`, { mode: 0o644 });
      await writeFile(passwd, `root:x:0:0::/:/usr/sbin/nologin\nsite:x:${uid}:${uid}::${HOME_DIR}:/bin/sh\n`, {
        mode: 0o644,
      });
    }
    return { passwd, group, resolv };
  }

  /** What network a spec gets here: "outbound" falls back to the host's without slirp4netns. */
  function networkOf(spec: SandboxSpec): "host" | "none" | "outbound" {
    return spec.network === "outbound" && !slirp ? "host" : spec.network;
  }

  function bwrapArgs(spec: SandboxSpec, uid: number, etc: SandboxEtc): string[] {
    const a = ["--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"];
    a.push("--info-fd", "3");
    if (seccomp) a.push("--seccomp", "4");
    if (!root) a.push("--unshare-user");
    const net = networkOf(spec);
    if (net !== "host") a.push("--unshare-net");
    a.push("--hostname", "sandbox");
    const mounts: Array<[string, string, string]> = [];
    for (const p of READ_ONLY) {
      if (p === "/etc/resolv.conf" && net === "outbound") mounts.push(["--ro-bind", etc.resolv, p]);
      else if (existsSync(p)) mounts.push(["--ro-bind", p, p]);
    }
    mounts.push(...node.mounts);
    mounts.push(["--ro-bind", etc.passwd, "/etc/passwd"], ["--ro-bind", etc.group, "/etc/group"]);
    mounts.push([spec.writable ? "--bind" : "--ro-bind", spec.root, APP_DIR]);
    if (spec.home) mounts.push(["--bind", spec.home, HOME_DIR]);
    for (const b of spec.binds ?? []) mounts.push([b.writable ? "--bind" : "--ro-bind", b.src, b.dest]);
    for (const p of MERGED_USR) {
      const link = readLinkOrNull(p);
      if (link !== null) a.push("--symlink", link, p);
      else if (existsSync(p)) a.push("--ro-bind", p, p);
    }
    a.push("--proc", "/proc", "--dev", "/dev");
    a.push("--perms", "01777", "--size", String(spec.tmpBytes ?? 256 * 1024 * 1024), "--tmpfs", "/tmp");
    // bwrap makes missing parents of a mount point 0700, which the site's uid could not pass.
    const made = new Set(["/", "/tmp", "/proc", "/dev", ...mounts.map((m) => m[2])]);
    for (const [flag, src, dest] of mounts) {
      const missing: string[] = [];
      for (let dir = path.dirname(dest); !made.has(dir); dir = path.dirname(dir)) missing.unshift(dir);
      for (const dir of missing) {
        made.add(dir);
        a.push("--perms", "0755", "--dir", dir);
      }
      a.push(flag, src, dest);
    }
    a.push("--chdir", APP_DIR, "--");
    if (root) {
      // bwrap keeps root's capabilities for this one step: setpriv drops to the site's uid,
      // clears the bounding set and groups, and execs the tenant's command with nothing.
      a.push("/usr/bin/setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups");
      a.push("--inh-caps=-all", "--bounding-set=-all", "--no-new-privs");
    }
    // With an outbound network, the command first says it runs (bwrap's own set-up, its
    // loopback included, is over: slirp4netns configuring the namespace at the same time
    // made bwrap's loopback set-up fail now and then), then waits for its network, and drops
    // both fds before the tenant's command starts.
    const waitForNetwork =
      net === "outbound" ? ["/bin/sh", "-c", 'printf x >&5; read -r _ <&6; exec 5>&- 6<&-; exec "$@"', "deco-net"] : [];
    return [...a, ...waitForNetwork, ...(spec.init ? ["/bin/sh", "-c", INIT, "deco-init", ...spec.argv] : spec.argv)];
  }

  function environment(spec: SandboxSpec): Record<string, string> {
    const home = spec.home ? (sandboxed ? HOME_DIR : spec.home) : sandboxed ? "/tmp" : spec.root;
    const env: Record<string, string> = {
      PATH: [...(node.bin ? [node.bin] : []), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
      HOME: home,
      TMPDIR: sandboxed ? "/tmp" : (process.env.TMPDIR ?? "/tmp"),
      LANG: process.env.LANG ?? "C.UTF-8",
    };
    for (const [k, v] of Object.entries(spec.env)) env[k] = sandboxed ? v : outside(spec, v);
    return env;
  }

  async function spawnSandboxed(spec: SandboxSpec, stdio: StdioNull[]): Promise<SandboxedProcess> {
    if (isolation.unavailable) {
      throw new HostingError("unavailable", isolation.unavailable, {
        hint: "Install bubblewrap on the server, or start it with --no-sandbox",
      });
    }
    const uid = siteUid(spec.uid);
    const procs = cgroups ? await cgroups.create(spec.name, spec.limits) : [];
    const inner =
      sandboxed && bwrap ? [bwrap, ...bwrapArgs(spec, uid, await passwdFiles(root ? uid : ownUid))] : spec.argv;
    // The cgroups must hold the very first process, so a shell joins them, sets the rlimits
    // and then execs the rest.
    const rlimits = ["ulimit -n 65536 2>/dev/null || true;"];
    if (!cgroups && isolation.uidPerSite) rlimits.push(`ulimit -u ${spec.limits.pids * 4} 2>/dev/null || true;`);
    const script = `n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; ${rlimits.join(" ")} exec "$@"`;
    const outbound = sandboxed && networkOf(spec) === "outbound" && slirp !== null;
    const child = spawn("/bin/sh", ["-c", script, "deco-sandbox", String(procs.length), ...procs, ...inner], {
      cwd: sandboxed ? "/" : spec.root,
      env: environment(spec),
      detached: true,
      // fd 3: bwrap's info (the sandbox's pid); fd 4: the seccomp program it loads; fds 5
      // and 6: "set up, waiting" from the sandbox, "network ready" to it (outbound only).
      stdio: sandboxed
        ? [...stdio.slice(0, 3), "pipe", "pipe", ...(outbound ? (["pipe", "pipe"] as const) : [])]
        : stdio.slice(0, 3),
    });
    // The sandbox may end before it read or wrote these: a reset pipe is no server error.
    for (const fd of (child.stdio as unknown[]).slice(3)) (fd as NodeJS.EventEmitter | null)?.on("error", () => {});
    if (sandboxed && seccomp) (child.stdio[4] as NodeJS.WritableStream | null)?.end(seccomp);
    const pid = sandboxed ? sandboxPid(child) : Promise.resolve(child.pid ?? 0);
    pid.catch(() => {});
    let network: ChildProcess | null = null;
    if (outbound && slirp) {
      const waiting = (child.stdio as unknown[])[5] as NodeJS.ReadableStream | null | undefined;
      waiting?.once("data", () => {
        pid.then(
          (sandbox) => {
            network = startOutbound(slirp, nft, sandbox, child, spec.env.DECO_HOSTING_DEPLOYMENT_ID);
          },
          () => killGroup(child.pid, "SIGKILL"),
        );
      });
    }
    child.once("close", () => network?.kill("SIGKILL"));
    return { child, pid, cleanup: () => (cgroups ? cgroups.remove(spec.name) : Promise.resolve()) };
  }

  return {
    isolation,
    appDir: sandboxed ? APP_DIR : null,
    spawn: spawnSandboxed,
    async exec(spec, options = {}) {
      const { child, cleanup } = await spawnSandboxed(spec, ["ignore", "pipe", "pipe"]);
      return collect(child, options).finally(cleanup);
    },
    async ownTree(dir, uid) {
      if (isolation.uidPerSite) await chownTree(dir, siteUid(uid));
    },
    async ownDir(dir, uid) {
      if (isolation.uidPerSite) await lchown(dir, siteUid(uid), siteUid(uid));
    },
    close: () => (cgroups ? cgroups.close() : Promise.resolve()),
  };
}

/** The host uid a site's code runs as: the site's number past a base no real user has. */
function siteUid(n: number): number {
  return SITE_UID_BASE + n;
}

const SLIRP_DNS = "10.0.2.3";

interface SandboxEtc {
  passwd: string;
  group: string;
  /** Points at slirp4netns's DNS, for sandboxes with outbound network. */
  resolv: string;
}

/**
 * Gives the sandbox `pid` a network through slirp4netns: outbound connections leave from
 * this machine, as from any client, but none reaches a port on its loopback (the API, other
 * services), and nothing outside can connect in. The sandbox's command starts once it is up;
 * if it cannot be set up, the sandbox is ended.
 */
function startOutbound(
  slirp: string,
  nft: string | null,
  pid: number,
  sandbox: ChildProcess,
  deploymentId: string | undefined,
): ChildProcess {
  // fd 4 is held open by the server: when the server goes, however it goes, slirp4netns goes too.
  const args = ["--configure", "--mtu=65520", "--disable-host-loopback", "--ready-fd=3", "--exit-fd=4"];
  // Marked with its deployment, like every other process of it (tests find them so).
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...(deploymentId ? { DECO_HOSTING_DEPLOYMENT_ID: deploymentId } : {}),
  };
  const net = spawn(slirp, [...args, String(pid), "tap0"], {
    env,
    stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"],
  });
  for (const fd of (net.stdio as unknown[]).slice(3)) (fd as NodeJS.EventEmitter | null)?.on("error", () => {});
  const release = (sandbox.stdio as unknown[])[6] as NodeJS.WritableStream | null | undefined;
  let ready = false;
  (net.stdio[3] as NodeJS.ReadableStream | null)?.once("data", () => {
    if (!nft) {
      ready = true;
      release?.end("1\n");
      return;
    }
    // The egress filter goes into the sandbox's own network namespace, where its code has
    // no capability to change it: no private, link-local or this machine's own addresses.
    // (Only as root: slirp4netns runs for root servers alone, see createSandbox.)
    const filter = spawn("nsenter", ["--target", String(pid), "--net", "--", nft, "-f", "-"], {
      stdio: ["pipe", "ignore", "pipe"],
    });
    filter.stdin?.on("error", () => {});
    let why = "";
    filter.stderr?.on("data", (c: Buffer) => {
      why += c.toString();
    });
    filter.stdin?.end(egressRules());
    filter.once("error", () => killGroup(sandbox.pid, "SIGKILL"));
    filter.once("exit", (code) => {
      if (code !== 0) {
        process.stderr.write(`deco-hosting: could not filter a build's egress (${why.trim() || `exit ${code}`})\n`);
        return killGroup(sandbox.pid, "SIGKILL");
      }
      ready = true;
      release?.end("1\n");
    });
  });
  const fail = () => {
    if (!ready) killGroup(sandbox.pid, "SIGKILL");
  };
  net.once("error", fail);
  net.once("exit", fail);
  return net;
}

/** nftables rules for a build's network namespace (see startOutbound). */
function egressRules(): string {
  const own = Object.values(networkInterfaces())
    .flat()
    .filter((a): a is NonNullable<typeof a> => a !== undefined)
    .filter((a) => !a.internal);
  const v4 = [...PRIVATE_V4, ...own.filter((a) => a.family === "IPv4").map((a) => a.address)];
  const v6 = [...PRIVATE_V6, ...own.filter((a) => a.family === "IPv6").map((a) => a.address.split("%")[0])];
  return `table inet deco_hosting_egress {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "lo" accept
    ip daddr ${SLIRP_DNS} meta l4proto { tcp, udp } th dport 53 accept
    ip daddr { ${v4.join(", ")} } reject
    ip6 daddr { ${v6.join(", ")} } reject
  }
}
`;
}

const PRIVATE_V4 = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
const PRIVATE_V6 = ["::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8"];

/** Reads bwrap's info document from fd 3: {"child-pid": N}, once the sandbox exists. */
function sandboxPid(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const info = child.stdio[3] as NodeJS.ReadableStream | null;
    if (!info) return reject(new Error("no info fd"));
    let text = "";
    info.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const pid = Number(/"child-pid":\s*(\d+)/.exec(text)?.[1]);
      if (pid > 1) resolve(pid);
    });
    info.on("error", reject);
    info.on("end", () => reject(new Error("the sandbox did not start")));
    child.once("error", reject);
  });
}

/** A path the tenant sees (/app/…, /home/site/…) as it is on the host, for --no-sandbox. */
function outside(spec: SandboxSpec, value: string): string {
  const maps: Array<[string, string]> = [[APP_DIR, spec.root]];
  if (spec.home) maps.push([HOME_DIR, spec.home]);
  for (const b of spec.binds ?? []) maps.push([b.dest, b.src]);
  for (const [inside, host] of maps) {
    if (value === inside) return host;
    if (value.startsWith(`${inside}/`)) return host + value.slice(inside.length);
  }
  return value;
}

function collect(child: ChildProcess, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const take = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1 << 20) into.push(chunk);
    };
    child.stdout?.on("data", take(out));
    child.stderr?.on("data", take(err));
    const kill = () => killGroup(child.pid, "SIGKILL");
    const timer = options.timeoutMs ? setTimeout(kill, options.timeoutMs) : null;
    options.signal?.addEventListener("abort", kill, { once: true });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
      if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
      const lines = Buffer.concat(err).toString("utf8").trim().split("\n");
      const last = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines.pop() ?? "";
      const why = options.signal?.aborted ? "canceled" : signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(Object.assign(new Error(last || why), { stderr: last, code }));
    });
  });
}

/** Signals a whole process group; a group that is gone already is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already exited
  }
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await lchown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    await lchown(path.join(entry.parentPath, entry.name), uid, uid);
  }
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    const candidate = path.join(dir || ".", name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function readLinkOrNull(p: string): string | null {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : null;
  } catch {
    return null;
  }
}

/**
 * Node, npm and corepack when Node lives outside /usr (nvm, a tarball in ~/.local, /opt):
 * just those, never the whole prefix, which may hold the server's own home and data dir.
 */
function nodeToolchain(): { bin: string | null; mounts: Array<[string, string, string]> } {
  const exe = realpathSync(process.execPath);
  const prefix = path.dirname(path.dirname(exe));
  if (prefix === "/usr" || prefix.startsWith("/usr/")) return { bin: null, mounts: [] };
  const bin = path.join(prefix, "bin");
  const mounts: Array<[string, string, string]> = [["--ro-bind", exe, path.join(bin, "node")]];
  for (const tool of ["npm", "corepack"]) {
    const dir = path.join(prefix, "lib", "node_modules", tool);
    if (existsSync(dir)) mounts.push(["--ro-bind", dir, dir]);
  }
  for (const name of ["npm", "npx", "corepack"]) {
    const link = readLinkOrNull(path.join(bin, name));
    if (link !== null) mounts.push(["--symlink", link, path.join(bin, name)]);
  }
  return { bin, mounts };
}

/** Runs bwrap once the way a build would; the answer is null when it works, else why not. */
function probe(bwrap: string, root: boolean): Promise<string | null> {
  const args = ["--die-with-parent", "--unshare-pid", "--unshare-net", "--ro-bind", "/usr", "/usr"];
  if (!root) args.push("--unshare-user");
  for (const p of MERGED_USR) {
    const link = readLinkOrNull(p);
    if (link !== null) args.push("--symlink", link, p);
  }
  args.push("--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", "exit 0");
  return new Promise((resolve) => {
    execFile(bwrap, args, { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve(null);
      const why = String(stderr).trim().split("\n").pop() || error.message;
      resolve(
        `bubblewrap cannot create a sandbox here (${why}); enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), run the server as root, or start it with --no-sandbox`,
      );
    });
  });
}

interface Cgroups {
  version: "v1";
  /** Makes the cgroups of one sandbox with its limits; returns the cgroup.procs files to join. */
  create(name: string, limits: ResourceLimits): Promise<string[]>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The server's cgroups (v1: memory, pids, cpu) under its own, where it may write them; null
 * where it may not. v2 asks for delegation the server rarely has (a cgroup of its own with
 * no processes in it), so there rlimits stand in.
 */
async function detectCgroups(): Promise<Cgroups | null> {
  let own: string;
  try {
    own = readFileSync("/proc/self/cgroup", "utf8");
  } catch {
    return null;
  }
  const v1: Record<string, string> = {};
  for (const line of own.trim().split("\n")) {
    const [, controllers = "", where = ""] = line.split(":");
    for (const c of controllers.split(",")) {
      if ((CGROUP_CONTROLLERS as readonly string[]).includes(c)) v1[c] = path.join("/sys/fs/cgroup", c, where);
    }
  }
  if (!CGROUP_CONTROLLERS.every((c) => v1[c] && existsSync(v1[c]))) return null;
  const parents = CGROUP_CONTROLLERS.map((c) => v1[c] as string);
  // Cgroups of a server that is gone: whatever still runs in them outlived it (its sandboxes
  // should have died with it) and is ended, then the cgroups are removed.
  for (const parent of parents) {
    for (const entry of await readdir(parent).catch(() => [] as string[])) {
      const pid = /^deco-hosting-(\d+)-/.exec(entry)?.[1];
      if (!pid || isAlive(Number(pid))) continue;
      await killTree(path.join(parent, entry));
      await removeTree(path.join(parent, entry));
    }
  }
  // One per sandbox (a process may run several servers, as tests do), named by its pid.
  const name = `deco-hosting-${process.pid}-${randomBytes(4).toString("hex")}`;
  const bases = parents.map((p) => path.join(p, name));
  const made = await Promise.all(
    bases.map((b) =>
      mkdir(b, { recursive: true }).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!made.every(Boolean) || !(await writable(path.join(bases[1] as string, "pids.max")))) {
    for (const b of bases) await rmdir(b).catch(() => {});
    return null;
  }
  return cgroupsV1(bases);
}

function cgroupsV1(bases: string[]): Cgroups {
  const [memory, pids, cpu] = bases as [string, string, string];
  const write = (file: string, value: string) => writeFile(file, value).catch(() => {});
  return {
    version: "v1",
    async create(name, limits) {
      const dirs = bases.map((b) => path.join(b, name));
      await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
      await write(path.join(memory, name, "memory.limit_in_bytes"), String(limits.memoryBytes));
      await write(path.join(memory, name, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes));
      await writeFile(path.join(pids, name, "pids.max"), String(limits.pids));
      await write(path.join(cpu, name, "cpu.cfs_period_us"), "100000");
      await write(path.join(cpu, name, "cpu.cfs_quota_us"), String(Math.round(limits.cpus * 100_000)));
      return dirs.map((d) => path.join(d, "cgroup.procs"));
    },
    async remove(name) {
      for (const b of bases) await removeTree(path.join(b, name));
    },
    async close() {
      for (const b of bases) await removeTree(b);
    },
  };
}

/** SIGKILLs every process in a cgroup and those below it. */
async function killTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await killTree(path.join(dir, entry.name));
  }
  const procs = await readFile(path.join(dir, "cgroup.procs"), "utf8").catch(() => "");
  for (const pid of procs.split("\n").map(Number)) {
    if (pid > 1) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
}

/** Removes a cgroup and those below it; one can go once its last process is reaped. */
async function removeTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await removeTree(path.join(dir, entry.name));
  }
  for (let i = 0; i < 50; i++) {
    const gone = await rmdir(dir).then(
      () => true,
      (e: NodeJS.ErrnoException) => e.code === "ENOENT",
    );
    if (gone) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function writable(file: string): Promise<boolean> {
  try {
    await writeFile(file, "max");
    return true;
  } catch {
    return false;
  }
}
