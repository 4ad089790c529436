#!/usr/bin/env python3
"""A sampling profiler of the benchmark guest, from the host, through QEMU's monitor.

    guest-profile.py --monitor SOCK --console LOG --system-map MAP --module KO [--out FILE]
                     [--insns COUNTS]

With --insns it samples nothing: QEMU runs the insn-count plugin (scripts/insn-count) with
out=COUNTS, and the report gives the instructions each function executed, per workload and
discipline, from the segments the benchmark marks (`make bench-insns`).

perf does not run in the guest (TCG emulates no PMU), so this pauses the guest through QEMU's
human monitor (`stop`), asks for every vCPU's registers (`info registers -a`), lets it go on
(`cont`), as often as the monitor answers, and keeps each vCPU's instruction pointer,
privilege level and halt state. It follows the guest's console log
meanwhile: `n_rust-bench` prints `bench-begin: WORKLOAD disc D` before each workload and
`bench-progress: WORKLOAD disc D ...` after it, so every sample is filed under the workload
and the discipline that ran when it was taken (samples between workloads are dropped). The
`bench-map:` lines say where the kernel's text (`_stext`, moved by KASLR) and the module's
sections are loaded; the samples are named by `System.map` and by `objdump -tC` of the module.

It ends when QEMU closes the monitor, and prints, per workload, the samples of each
discipline (the same work ran on both, so the counts compare directly): idle, user space,
kernel, and the functions with the most samples side by side.

A sample weighs host time, which under TCG follows the guest's instructions only roughly
(translating code costs too); and QEMU reports registers where a vCPU left its translated
block, so a function of a few instructions inside a long block is seen as its block. It
finds where the time goes; the benchmark says how much there is.
"""

import argparse
import bisect
import collections
import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time

PROMPT = b"(qemu) "


class Console(threading.Thread):
    """Follows the console log: the current phase and the `bench-map:` lines."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.phase = None
        self.maps = []
        self.begun = False
        self.stopped = False
        # Every phase change in order (None: between workloads), which insn-count's segments
        # follow one for one.
        self.events = []

    def run(self):
        while not self.stopped:
            try:
                log = open(self.path, "rb")
            except FileNotFoundError:
                time.sleep(0.05)
                continue
            with log:
                self.follow(log)

    def follow(self, log):
        """Reads `log` until it is replaced (a probe boot's log, then the benchmark's)."""
        pending = b""
        while not self.stopped:
            chunk = log.read(65536)
            if not chunk:
                try:
                    now = os.stat(self.path)
                except FileNotFoundError:
                    return
                if now.st_ino != os.fstat(log.fileno()).st_ino:
                    return
                if now.st_size < log.tell():
                    log.seek(0)  # truncated: QEMU opened it anew
                    pending = b""
                time.sleep(0.01)
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self.line(raw.decode("utf-8", "replace").strip())

    def line(self, line):
        if m := re.match(r"bench-begin: (\w+) disc (\d+)", line):
            self.set_phase((m[1], int(m[2])))
            self.begun = True
        elif line.startswith("bench-progress: ") and " disc " in line:
            self.set_phase(None)
        elif line.startswith("bench-map: "):
            self.maps.append(line[len("bench-map: "):])

    def set_phase(self, phase):
        self.phase = phase
        self.events.append(phase)


def connect(path, wait_s):
    """The monitor's socket, once QEMU has made it."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"guest-profile: no monitor at {path} after {wait_s} s")
            time.sleep(0.1)


def read_to_prompt(sock, buf):
    """The monitor's answer up to its next prompt, or None when QEMU has gone."""
    while PROMPT not in buf:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return None, None
        if not chunk:
            return None, None
        buf += chunk
    answer, _, rest = buf.partition(PROMPT)
    return answer, rest


def command(sock, buf, line):
    """One monitor command and its answer, or (None, None) when QEMU has gone."""
    try:
        sock.sendall(line + b"\n")
    except OSError:
        return None, None
    return read_to_prompt(sock, buf)


def registers_paused(sock, buf):
    """Every vCPU's registers with the guest paused for the moment of asking. A running TCG
    vCPU's registers in QEMU are those it last wrote back, at the last exit from its
    translated code or the last device access (an APIC write, say), so unpaused samples
    pile up there; `stop` brings each vCPU out at the boundary of the block it runs, where
    its instruction pointer is exact. Under `-icount` the guest's clock stands still while
    paused, so the benchmark's figures do not move."""
    _, buf = command(sock, buf, b"stop")
    if buf is None:
        return None, None
    answer, buf = command(sock, buf, b"info registers -a")
    _, buf = command(sock, buf if buf is not None else b"", b"cont")
    return (answer, buf) if buf is not None else (None, None)


CPU_STATE = re.compile(rb"RIP=([0-9a-f]+) .*?CPL=(\d).*?HLT=(\d)")


def sample(monitor, console, interval):
    """Samples until the QEMU that ran the benchmark exits: a list of (phase, cpu, rip, cpl,
    halted). A QEMU that exits before any workload began (`run.sh`'s probe boot, which finds
    the accelerator) is followed by the next one."""
    samples = []
    while True:
        sock = connect(monitor, 600)
        with sock:
            _, buf = read_to_prompt(sock, b"")
            while buf is not None:
                phase = console.phase
                answer, buf = registers_paused(sock, buf)
                if answer is None:
                    break
                if phase is not None and phase == console.phase:
                    for cpu, m in enumerate(CPU_STATE.finditer(answer)):
                        samples.append((phase, cpu, int(m[1], 16), int(m[2]), m[3] == b"1"))
                time.sleep(interval)
        if console.begun or samples:
            return samples
        time.sleep(0.2)


class Symbols:
    """Names addresses: the kernel's by System.map, the module's by its sections."""

    def __init__(self, system_map, module, maps):
        starts, names = [], []
        stext = next((int(m.split()[-1], 16) for m in maps if m.startswith("kernel _stext")), None)
        with open(system_map) as f:
            table = [line.split() for line in f]
        map_stext = next((int(a, 16) for a, _, n in table if n == "_stext"), None)
        if stext is not None and map_stext is not None:
            shift = stext - map_stext
            text = [(int(a, 16), n, kind) for a, kind, n in table if kind in "tTwW"]
            # n_tty.c's functions lie together in the kernel's text, from its first static
            # n_tty_* to its last (its other static helpers among them): all are N_TTY's own.
            # (n_tty_ioctl_helper and n_tty_init are global and live elsewhere.)
            ntty = [a for a, n, kind in text if n.startswith("n_tty_") and kind == "t"]
            first, last = (min(ntty), max(ntty)) if ntty else (1, 0)
            for addr, name, _ in text:
                starts.append(addr + shift)
                names.append(f"[n_tty.c] {name}" if first <= addr <= last else name)
        sections = {}
        for m in maps:
            parts = m.split()
            if parts[:2] == ["module", "n_rust"] and len(parts) == 4:
                sections[parts[2]] = int(parts[3], 16)
        dump = subprocess.run(["objdump", "-tC", module], capture_output=True, text=True,
                              check=True).stdout
        line_re = re.compile(r"^([0-9a-f]+) (.{7}) (\S+)\s+[0-9a-f]+\s+(.*)$")
        for line in dump.splitlines():
            m = line_re.match(line)
            if m and "F" in m[2] and m[3] in sections:
                starts.append(sections[m[3]] + int(m[1], 16))
                names.append("[n_rust] " + short(m[4]))
        order = sorted(range(len(starts)), key=starts.__getitem__)
        self.starts = [starts[i] for i in order]
        self.names = [names[i] for i in order]
        self.kernel_known = stext is not None and map_stext is not None
        self.module_known = bool(sections)

    def name(self, rip):
        return self.locate(rip)[0]

    def locate(self, rip):
        """The function's name and the offset of `rip` in it."""
        i = bisect.bisect_right(self.starts, rip) - 1
        return (self.names[i], rip - self.starts[i]) if i >= 0 else (f"{rip:#x}", 0)


def short(name):
    """A demangled Rust name without its hash and its generic arguments' paths."""
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    # A path's modules go; a generic function's name stays (`receive::<TtyActions>`).
    return re.sub(r"\b(?:[a-z_][a-z0-9_]*::(?!<))+", "", name)


def sample_counts(samples, symbols):
    """Samples per workload, per discipline, per function."""
    by_workload = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    for (workload, disc), _cpu, rip, cpl, halted in samples:
        counts = by_workload[workload][side_of(disc)]
        if halted:
            counts["(idle)"] += 1
        elif cpl == 3:
            counts["(user space)"] += 1
        else:
            counts[symbols.name(rip)] += 1
    return by_workload


def side_of(disc):
    return "N_TTY" if disc == 0 else "n_rust"


def report(by_workload, symbols, top, out, what="samples"):
    """Per workload, the two disciplines' counts side by side: `what` is "samples" (from
    the monitor; idle counted) or "instructions" (from the plugin, in thousands)."""
    total_count = sum(sum(c.values()) for sides in by_workload.values() for c in sides.values())
    print(f"guest-profile: {total_count} {what}" +
          (" (thousands, the guest's instructions counted by insn-count)"
           if what == "instructions" else " of vCPUs"), file=out)
    if not symbols.kernel_known:
        print("guest-profile: no kernel _stext in the console: kernel addresses unnamed", file=out)
    if not symbols.module_known:
        print("guest-profile: no module sections in the console: n_rust addresses unnamed",
              file=out)
    for workload, sides in by_workload.items():
        ntty, nrust = sides["N_TTY"], sides["n_rust"]
        total = lambda c: sum(c.values())  # noqa: E731
        busy = lambda c: total(c) - c["(idle)"]  # noqa: E731
        print(f"\n== {workload}: {what} N_TTY {total(ntty)} (busy {busy(ntty)}), "
              f"n_rust {total(nrust)} (busy {busy(nrust)})", file=out)
        module = sum(n for s, n in nrust.items() if s.startswith("[n_rust]"))
        n_tty = sum(n for s, n in ntty.items() if s.startswith("[n_tty.c]"))
        print(f"   in the discipline: [n_tty.c] {n_tty} on N_TTY, [n_rust] {module} on n_rust",
              file=out)
        names = sorted(set(ntty) | set(nrust),
                       key=lambda s: (-abs(nrust[s] - ntty[s]), -(ntty[s] + nrust[s])))
        if what == "samples":
            names = sorted(set(ntty) | set(nrust), key=lambda s: -(ntty[s] + nrust[s]))
        print(f"   {'N_TTY':>9} {'n_rust':>9} {'diff':>9}  function"
              + ("  (largest differences first)" if what != "samples" else ""), file=out)
        for name in names[:top]:
            print(f"   {ntty[name]:9} {nrust[name]:9} {nrust[name] - ntty[name]:+9}  {name}",
                  file=out)
        print("   the disciplines' own functions:", file=out)
        for side, counts, own in (("N_TTY", ntty, "[n_tty.c]"), ("n_rust", nrust, "[n_rust]")):
            mine = [(n, s) for s, n in counts.most_common() if s.startswith(own)]
            print(f"     {side}: " + (", ".join(f"{s} {n}" for n, s in mine[:top]) or "none"),
                  file=out)


def complete(counts):
    """Whether the plugin has written its table whole (its last line is "end")."""
    try:
        with open(counts, "rb") as f:
            f.seek(max(0, os.path.getsize(counts) - 4))
            return f.read() == b"end\n"
    except OSError:
        return False


def instruction_counts(counts, events, symbols):
    """Thousands of instructions per workload, per discipline, per function, from the
    insn-count plugin's table `counts`: its segment k (k >= 1) ran from the k-th to the
    (k+1)-th phase change in `events` (the guest marks each right before printing it);
    segment 0 is the boot. A function's calls (executions of the block at its first
    instruction) go into the second result; the third holds each repetition's total (one
    segment each), in the order they ran, per workload and discipline."""
    by_workload = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    calls = collections.defaultdict(collections.Counter)
    per_segment = collections.Counter()
    segments = 0
    deadline = time.monotonic() + 60
    while not complete(counts):
        if time.monotonic() > deadline:
            raise SystemExit(f"guest-profile: insn-count did not finish {counts}")
        time.sleep(0.2)
    with open(counts) as f:
        for line in f:
            if line == "end\n":
                break
            segment, vaddr, insns, runs = line.split()
            segment = int(segment)
            segments = max(segments, segment)
            phase = events[segment - 1] if 1 <= segment <= len(events) else None
            if phase is None:
                continue
            workload, disc = phase
            rip, runs = int(vaddr, 16), int(runs)
            if rip < 1 << 63:
                name, offset = "(user space)", 1
            else:
                name, offset = symbols.locate(rip)
            by_workload[workload][side_of(disc)][name] += int(insns) * runs
            per_segment[segment] += int(insns) * runs
            if offset == 0:
                calls[(workload, side_of(disc))][name] += runs
    if segments != len(events):
        print(f"guest-profile: {segments} markers counted against {len(events)} phase changes "
              "on the console: the segments may not match the workloads", file=sys.stderr)
    for sides in by_workload.values():
        for counts_of in sides.values():
            for name in counts_of:
                counts_of[name] //= 1000
    repetitions = collections.defaultdict(list)
    for segment in sorted(per_segment):
        workload, disc = events[segment - 1]
        repetitions[(workload, side_of(disc))].append(per_segment[segment])
    return by_workload, calls, repetitions


def wait_for_exit(monitor):
    """Until the QEMU that runs the benchmark closes its monitor."""
    with connect(monitor, 600) as sock:
        with contextlib.suppress(OSError):
            while sock.recv(65536):
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--monitor", required=True, help="QEMU's monitor socket")
    ap.add_argument("--console", required=True, help="the guest's console log")
    ap.add_argument("--system-map", required=True, help="System.map of the guest kernel")
    ap.add_argument("--module", required=True, help="the n_rust.ko the guest loads")
    ap.add_argument("--interval-ms", type=float, default=1.0, help="pause between samples")
    ap.add_argument("--top", type=int, default=30, help="functions listed per workload")
    ap.add_argument("--out", help="write the report here as well as to stdout")
    ap.add_argument("--samples", help="write every sample here, a line each: workload, "
                    "discipline, vCPU, CPL, halted, function+offset (to look inside a function)")
    ap.add_argument("--insns", metavar="COUNTS",
                    help="count instructions instead of sampling: QEMU runs the insn-count "
                    "plugin with out=COUNTS")
    args = ap.parse_args()
    for path in (args.system_map, args.module):
        if not os.path.isfile(path):
            raise SystemExit(f"guest-profile: {path} is missing")
    console = Console(args.console)
    if args.insns:
        console.start()
        wait_for_exit(args.monitor)
        time.sleep(0.5)  # the console's last lines
        console.stopped = True
        console.join(5)
        symbols = Symbols(args.system_map, args.module, console.maps)
        by_workload, calls, repetitions = instruction_counts(args.insns, console.events,
                                                              symbols)
        outs = [sys.stdout] + ([open(args.out, "w")] if args.out else [])
        for out in outs:
            report(by_workload, symbols, args.top, out, what="instructions")
            # A workload's repetitions differ by the scheduler's placement (which CPU runs
            # the writer, the reader and the flip-buffer work), not only by the discipline.
            print("\n== instructions per repetition (millions, in the order they ran)",
                  file=out)
            for workload in by_workload:
                print(f"   {workload}: " + "; ".join(
                    f"{side} " + " ".join(f"{n / 1e6:.2f}" for n in repetitions[(workload, side)])
                    for side in ("N_TTY", "n_rust")), file=out)
            print("\n== calls (executions of a function's first block), largest differences",
                  file=out)
            for workload in by_workload:
                ntty, nrust = calls[(workload, "N_TTY")], calls[(workload, "n_rust")]
                names = sorted(set(ntty) | set(nrust),
                               key=lambda s: (-abs(nrust[s] - ntty[s]), s))
                print(f"   {workload}:", file=out)
                for name in names[:args.top]:
                    print(f"   {ntty[name]:10} {nrust[name]:10} {nrust[name] - ntty[name]:+10}"
                          f"  {name}", file=out)
        if not by_workload:
            raise SystemExit("guest-profile: nothing counted inside a workload")
        return
    console.start()
    samples = sample(args.monitor, console, args.interval_ms / 1000)
    console.stopped = True
    symbols = Symbols(args.system_map, args.module, console.maps)
    by_workload = sample_counts(samples, symbols)
    report(by_workload, symbols, args.top, sys.stdout)
    if args.out:
        with open(args.out, "w") as out:
            report(by_workload, symbols, args.top, out)
    if args.samples:
        with open(args.samples, "w") as out:
            for (workload, disc), cpu, rip, cpl, halted in samples:
                name, offset = symbols.locate(rip)
                print(f"{workload} {disc} {cpu} {cpl} {int(halted)} {name}+{offset:#x}", file=out)
    if not samples:
        raise SystemExit("guest-profile: no samples inside a workload (no bench-begin lines?)")


if __name__ == "__main__":
    main()
