// The seccomp filter every sandboxed process runs under, as the classic BPF program bwrap
// loads (`--seccomp FD`). It refuses what tenant code never needs and an escape would:
// tracing or reading other processes (ptrace, process_vm_*, pidfd_getfd), the kernel's
// keyrings (shared with the server's session), new namespaces (a user namespace would hand
// it capabilities over a fresh kernel surface), mounts, modules, kexec, bpf and the like.
// Everything else is allowed; a syscall of a foreign ABI (x32, i386) is refused whole.

const EPERM = 1;
const ENOSYS = 38;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
// Any of these in clone's or unshare's flags creates a namespace.
const NAMESPACE_FLAGS = 0x7e020000;

interface ArchTable {
  audit: number;
  /** Syscall numbers at or above this belong to another ABI (x86_64's x32). */
  foreignFrom: number | null;
  denied: number[];
  clone: number;
  clone3: number;
  unshare: number;
}

const TABLES: Record<string, ArchTable> = {
  x64: {
    audit: 0xc000003e,
    foreignFrom: 0x40000000,
    // ptrace, process_vm_readv/writev, pidfd_getfd, add_key, request_key, keyctl, mount,
    // umount2, pivot_root, setns, kexec_load, kexec_file_load, init_module, finit_module,
    // delete_module, bpf, perf_event_open, userfaultfd, name_to_handle_at,
    // open_by_handle_at, swapon, swapoff, reboot, acct, quotactl, fsopen, fsconfig,
    // fsmount, fspick, move_mount, open_tree
    denied: [
      101, 310, 311, 438, 248, 249, 250, 165, 166, 155, 308, 246, 320, 175, 313, 176, 321, 298, 323, 303, 304, 167, 168,
      169, 163, 179, 430, 431, 432, 433, 429, 428,
    ],
    clone: 56,
    clone3: 435,
    unshare: 272,
  },
  arm64: {
    audit: 0xc00000b7,
    foreignFrom: null,
    denied: [
      117, 270, 271, 438, 217, 218, 219, 40, 39, 41, 268, 104, 294, 105, 273, 106, 280, 241, 282, 264, 265, 224, 225,
      142, 89, 60, 430, 431, 432, 433, 429, 428,
    ],
    clone: 220,
    clone3: 435,
    unshare: 97,
  },
};

/** The filter for this machine's architecture, or null where there is no table for it. */
export function seccompProgram(arch: string = process.arch): Buffer | null {
  const t = TABLES[arch];
  if (!t) return null;
  // Instructions with symbolic jump targets, resolved once the layout is known.
  type Insn = { code: number; k: number; jt?: string; jf?: string; label?: string };
  const LD_ABS = 0x20;
  const JEQ = 0x15;
  const JGE = 0x35;
  const JSET = 0x45;
  const RET = 0x06;
  const prog: Insn[] = [
    { code: LD_ABS, k: 4 }, // arch
    { code: JEQ, k: t.audit, jt: "native", jf: "enosys" },
    { code: LD_ABS, k: 0, label: "native" }, // syscall number
  ];
  if (t.foreignFrom !== null) prog.push({ code: JGE, k: t.foreignFrom, jt: "eperm", jf: "next" });
  for (const nr of t.denied) prog.push({ code: JEQ, k: nr, jt: "eperm", jf: "next" });
  prog.push({ code: JEQ, k: t.clone3, jt: "enosys", jf: "next" }); // its flags cannot be read: libc falls back to clone
  prog.push({ code: JEQ, k: t.clone, jt: "flags", jf: "next" });
  prog.push({ code: JEQ, k: t.unshare, jt: "flags", jf: "next" });
  prog.push({ code: RET, k: RET_ALLOW });
  prog.push({ code: LD_ABS, k: 16, label: "flags" }); // args[0], low 32 bits (little-endian)
  prog.push({ code: JSET, k: NAMESPACE_FLAGS, jt: "eperm", jf: "allow" });
  prog.push({ code: RET, k: RET_ALLOW, label: "allow" });
  prog.push({ code: RET, k: RET_ERRNO | EPERM, label: "eperm" });
  prog.push({ code: RET, k: RET_ERRNO | ENOSYS, label: "enosys" });

  const at = new Map<string, number>();
  prog.forEach((insn, i) => {
    if (insn.label) at.set(insn.label, i);
  });
  const offset = (from: number, label: string | undefined): number => {
    if (label === undefined || label === "next") return 0;
    const to = at.get(label);
    if (to === undefined || to <= from || to - from - 1 > 255) throw new Error(`bad seccomp jump to ${label}`);
    return to - from - 1;
  };
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((insn, i) => {
    out.writeUInt16LE(insn.code, i * 8);
    out.writeUInt8(offset(i, insn.jt), i * 8 + 2);
    out.writeUInt8(offset(i, insn.jf), i * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return out;
}
