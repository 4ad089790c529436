#!/usr/bin/env python3
"""The host half of the serial test: drives the guest's 8250 port ttyS1 from outside.

qemu/run.sh --serial starts this next to QEMU. ttyS1 is QEMU's socket chardev in telnet
mode (BUILD_DIR/ttyS1.sock): bytes written here arrive at the UART's receiver (0xff doubled
as IAC IAC), IAC BREAK arrives as a break (QEMU's chardev raises CHR_EVENT_BREAK, its
16550A sets LSR BI with a 0 byte), and what the guest transmits comes back. The guest
program n_rust-test-serial-host runs each case on N_TTY and then on n_rust and writes
markers to ttyS2, a file here (--markers); this script answers each READY marker with the
case's input, collects the echo, and judges both sides when the RESULT marker comes. It
prints TAP and "serial: N passed, M failed", and exits 1 on any failure.

On a guest that never starts (no BEGIN marker within --boot-timeout) or stops answering,
it fails every case left and tells QEMU to quit through the monitor socket.
"""
import argparse
import os
import re
import socket
import sys
import threading
import time

IAC, BREAK = 0xFF, 0xF3
STOP, START = 0x13, 0x11
# What QEMU sends first on a telnet connection: WILL ECHO, WILL SGA, WILL BINARY, DO BINARY.
TELNET_PREAMBLE = bytes([IAC, 251, 1, IAC, 251, 3, IAC, 251, 0, IAC, 253, 0])
CASES = ["canonical", "intr", "break-brkint", "break-plain", "break-parmrk", "break-ignbrk", "bulk"]
DISCS = ["N_TTY", "n_rust"]
# Observations that depend on timing, left out of the N_TTY / n_rust comparison.
TIMING_KEYS = {"seconds", "rts_low", "proc_before", "proc_after"}


class Line:
    """The telnet connection to ttyS1: a reader thread collects what the guest sends and,
    while flow control is on, obeys its STOP and START characters."""

    def __init__(self, path, deadline):
        self.sock = None
        while self.sock is None:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                # A small send buffer bounds what is in flight when the guest says STOP.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
                sock.connect(path)
                self.sock = sock
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.cond = threading.Condition()
        self.received = bytearray()
        self.preamble = bytearray()
        self.flow = False
        self.stopped = False
        self.stops = 0
        self.starts = 0
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                while data and len(self.preamble) < len(TELNET_PREAMBLE):
                    self.preamble.append(data[0])
                    data = data[1:]
                self.received += data
                if self.flow:
                    for byte in data:
                        if byte == STOP:
                            self.stopped = True
                            self.stops += 1
                        elif byte == START:
                            self.stopped = False
                            self.starts += 1
                self.cond.notify_all()

    def send(self, data):
        self.sock.sendall(data.replace(b"\xff", b"\xff\xff"))

    def send_break(self):
        self.sock.sendall(bytes([IAC, BREAK]))

    def take(self):
        with self.cond:
            out = bytes(self.received)
            self.received.clear()
            return out

    def push(self, data, chunk, deadline, gave_up):
        """Sends `data` while obeying STOP/START; returns the seconds it took, or None when
        `gave_up()` says the guest has already reported (it failed before the end)."""
        start = time.monotonic()
        with self.cond:
            self.flow, self.stopped, self.stops, self.starts = True, False, 0, 0
        for offset in range(0, len(data), chunk):
            with self.cond:
                while self.stopped and not self.closed:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"stopped by the guest at byte {offset}, never started")
                    if gave_up():
                        return None
                    self.cond.wait(0.5)
                if self.closed:
                    raise ConnectionError(f"the guest's port closed at byte {offset}")
            if offset % (64 * chunk) == 0 and gave_up():
                return None
            self.send(data[offset:offset + chunk])
            if time.monotonic() > deadline:
                raise TimeoutError(f"push not done by the deadline, at byte {offset}")
        return time.monotonic() - start


class Markers:
    """Follows the marker file (the guest's ttyS2) line by line."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""

    def result_waiting(self, case, disc):
        """Whether the file already has the RESULT of `case` on `disc` (nothing consumed)."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                rest = self.partial + f.read()
        except FileNotFoundError:
            return False
        return f"SERIAL RESULT {case} {disc} ".encode() in rest

    def next(self, timeout, gone=lambda: False):
        """The next marker; None after `timeout` seconds, or once `gone()` (QEMU closed the
        port) and the file has nothing more."""
        deadline = time.monotonic() + timeout
        last_look = False
        while True:
            if b"\n" in self.partial:
                line, self.partial = self.partial.split(b"\n", 1)
                text = line.decode("latin-1").strip()
                at = text.find("SERIAL ")
                if at >= 0:
                    return text[at:]
                continue
            try:
                with open(self.path, "rb") as f:
                    f.seek(self.offset)
                    more = f.read()
            except FileNotFoundError:
                more = b""
            if more:
                self.offset += len(more)
                self.partial += more
                continue
            if time.monotonic() > deadline or last_look:
                return None
            last_look = gone()
            time.sleep(0.05)


def stream(seed, length):
    """The guest's generator (bulk.rs, Stream): xorshift32, the low byte of each step."""
    x = seed
    out = bytearray(length)
    for i in range(length):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


def fnv64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def unhex(text):
    return b"" if text == "-" else bytes.fromhex(text)


def parse_fields(text):
    """key=value fields; an error= field takes the rest of the line."""
    fields = {}
    if "error=" in text:
        head, error = text.split("error=", 1)
        fields["error"] = error
        text = head
    for part in text.split():
        key, _, value = part.partition("=")
        fields[key] = value
    return fields


def proc_counter(line, name):
    m = re.search(rf"(?:^|,){name}:(\d+)", line or "")
    return int(m.group(1)) if m else 0


def act(line, markers, case, disc, extra, host):
    """What the host does for `case` once the guest is READY."""
    pause = 0.3
    if case == "canonical":
        for typed in [b"hello\r", b"worx\x7fld\r", b"junk\x15line three\r", b"\xff\r", b"\x04"]:
            line.send(typed)
            time.sleep(0.1)
    elif case in ("intr", "break-brkint"):
        line.send(b"abc")
        time.sleep(pause)
        if case == "intr":
            line.send(b"\x03")
        else:
            line.send_break()
        time.sleep(pause)
        line.send(b"after\r")
    elif case.startswith("break-"):
        line.send_break()
        time.sleep(pause)
        if case == "break-parmrk":
            line.send(b"\xff")
        line.send(b"x")
    elif case == "bulk":
        size = int(extra["bytes"])
        data = stream(int(extra["seed"], 16), size)
        host["fnv"] = f"{fnv64(data):016x}"
        host["push_seconds"] = line.push(data, 256, time.monotonic() + 900,
                                         lambda: markers.result_waiting(case, disc))
        host["stops"], host["starts"] = line.stops, line.starts


def check_side(case, obs, echo, host):
    """Problems with one discipline's run of `case` (an empty list: it passed)."""
    if "error" in obs:
        return [f"guest error: {obs['error']}"]
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, expected {want!r}")

    if case == "canonical":
        reads = [unhex(r) for r in obs.get("reads", "").split(",")]
        expect("lines read", reads, [b"hello\n", b"world\n", b"line three\n", b"\xff\n", b""])
        expect("echo begins", echo[:7], b"hello\r\n")
        if b"\xff\r\n" not in echo:
            problems.append(f"echo has no 0xff line: {echo!r}")
    elif case in ("intr", "break-brkint"):
        expect("SIGINTs to the session leader (foreground group)", obs.get("leader"), "1")
        expect("SIGINTs to another member of the foreground group", obs.get("member"), "1")
        expect("SIGINTs to a background group", obs.get("bg"), "0")
        expect("line read after the signal (the input before it flushed)",
               unhex(obs.get("line", "-")) if "none" not in obs.get("line", "") else obs.get("line"),
               b"after\n")
        if case == "intr" and b"^C" not in echo:
            problems.append(f"no ^C in the echo: {echo!r}")
    elif case.startswith("break-"):
        want = {"break-plain": b"\x00x", "break-parmrk": b"\xff\x00\x00\xff\xffx",
                "break-ignbrk": b"x"}[case]
        expect("bytes read", unhex(obs.get("read", "-")), want)
        expect("breaks counted by the 8250 (TIOCGICOUNT brk)", obs.get("breaks"), "1")
    elif case == "bulk":
        expect("bytes received", obs.get("received"), str(host.get("size")))
        expect("bytes out of order or wrong", obs.get("mismatches"), "0")
        expect("FNV-1a of the bytes read", obs.get("fnv"), host.get("fnv"))
        expect("8250 overruns (TIOCGICOUNT overrun) during the run", obs.get("overrun_delta"), "0")
        expect("flip-buffer overruns (TIOCGICOUNT buf_overrun) during the run",
               obs.get("buf_overrun_delta"), "0")
        if not obs.get("proc_after", "").startswith("1:"):
            problems.append(f"no line for port 1 in /proc/tty/driver/: {obs.get('proc_after')}")
        for name in ("oe", "bo"):
            expect(f"/proc/tty/driver/serial {name}: before and after",
                   proc_counter(obs.get("proc_after"), name), proc_counter(obs.get("proc_before"), name))
        if not host.get("stops"):
            problems.append("the guest never sent STOP: the reader was not slow enough to push back")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", required=True, help="ttyS1's socket (telnet mode)")
    ap.add_argument("--markers", required=True, help="the file the guest's ttyS2 writes")
    ap.add_argument("--monitor", help="QEMU's monitor socket, to quit QEMU on a fatal failure")
    ap.add_argument("--boot-timeout", type=float, default=300)
    ap.add_argument("--step-timeout", type=float, default=180)
    args = ap.parse_args()

    plan = len(CASES) * 3 + 1
    print("TAP version 13")
    print(f"1..{plan}", flush=True)
    results, fatal = {}, None
    started = time.monotonic()
    markers = Markers(args.markers)
    try:
        line = Line(args.socket, time.monotonic() + args.boot_timeout)
        begin = markers.next(args.boot_timeout, lambda: line.closed)
        if begin is None:
            raise TimeoutError(f"the guest did not start the serial test within {args.boot_timeout:.0f} s")
        print(f"# guest: {begin}", flush=True)
        while True:
            marker = markers.next(args.step_timeout, lambda: line.closed)
            if marker is None:
                raise TimeoutError("QEMU closed the port" if line.closed else
                                   f"no marker from the guest for {args.step_timeout:.0f} s")
            words = marker.split(" ", 4)
            if words[1] == "END":
                break
            case, disc = words[2], words[3]
            rest = words[4] if len(words) > 4 else ""
            if words[1] == "READY":
                line.take()
                extra = parse_fields(rest)
                host = {"size": int(extra.get("bytes", 0))}
                results[(case, disc)] = {"host": host}
                act(line, markers, case, disc, extra, host)
            elif words[1] == "RESULT":
                time.sleep(0.2)
                entry = results.setdefault((case, disc), {"host": {}})
                entry["obs"] = parse_fields(rest)
                entry["echo"] = line.take()
                print(f"# {marker[:300]}", flush=True)
    except (OSError, TimeoutError, ConnectionError) as err:
        fatal = str(err)
        print(f"# fatal: {fatal}", flush=True)
        if args.monitor:
            try:
                mon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                mon.connect(args.monitor)
                mon.sendall(b"quit\n")
                time.sleep(1)
                mon.close()
            except OSError as merr:
                print(f"# could not quit QEMU through {args.monitor}: {merr}")

    number, passed, failed = 0, 0, 0

    def report(name, problems):
        nonlocal number, passed, failed
        number += 1
        if problems:
            failed += 1
            print(f"not ok {number} - {name}")
            for p in problems:
                print(f"  # {p}")
        else:
            passed += 1
            print(f"ok {number} - {name}")

    for case in CASES:
        sides = {}
        for disc in DISCS:
            entry = results.get((case, disc))
            if entry is None or "obs" not in entry:
                report(f"{case} [{disc}]", [f"no result ({fatal or 'the guest did not report it'})"])
                continue
            sides[disc] = entry
            report(f"{case} [{disc}]", check_side(case, entry["obs"], entry["echo"], entry["host"]))
            if case == "bulk":
                obs, host = entry["obs"], entry["host"]
                print(f"  # {disc}: {obs.get('received')} bytes in {obs.get('seconds')} s in the guest "
                      f"({host.get('push_seconds') or 0:.1f} s to push), {host.get('stops')} STOP / "
                      f"{host.get('starts')} START from the guest, RTS low in {obs.get('rts_low')} samples, "
                      f"overrun delta {obs.get('overrun_delta')}, buf_overrun delta "
                      f"{obs.get('buf_overrun_delta')}; /proc/tty/driver/serial after: {obs.get('proc_after')}")
            elif disc == "N_TTY":
                print(f"  # echo seen on the host: {entry['echo']!r}")
        if len(sides) < 2:
            report(f"{case}: n_rust matches N_TTY", ["a side is missing"])
            continue
        a, b = (sides[d] for d in DISCS)
        strip = lambda obs: {k: v for k, v in obs.items() if k not in TIMING_KEYS}
        problems = []
        if strip(a["obs"]) != strip(b["obs"]):
            problems.append(f"guest: N_TTY {strip(a['obs'])} / n_rust {strip(b['obs'])}")
        if case != "bulk" and a["echo"] != b["echo"]:
            problems.append(f"echo: N_TTY {a['echo']!r} / n_rust {b['echo']!r}")
        report(f"{case}: n_rust matches N_TTY", problems)
    klog = results.get(("kernel-log", "-"), {}).get("obs")
    report("the guest kernel log has no WARNING, BUG or Oops",
           [] if klog and klog.get("problems") == "0" else [f"kernel log: {klog or 'not reported'}"])
    print(f"# serial host harness: {time.monotonic() - started:.0f} s")
    print(f"serial: {passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 and number == plan else 1)


if __name__ == "__main__":
    main()
