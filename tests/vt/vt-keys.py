#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The VT test, host half: type on the guest's PS/2 keyboard, read the VT's screen.

    tests/vt/vt-keys.py --monitor SOCK --agent SOCK --ldisc ntty|takeover [--boot-timeout S]

qemu/run.sh --vt starts the guest (nrust_mode=vt) and runs this. It talks to two sockets:
QEMU's human monitor, whose `sendkey` presses keys on the emulated PS/2 keyboard (so the
bytes come through i8042, atkbd and the VT keyboard driver into the VT's line discipline),
and the guest's agent (tests/vt/guest/n_rust-vt-agent on ttyS2), which runs a command and
sends its output back: the shell on tty2 is started through it, the screen is read through
it (/dev/vcs2 and /dev/vcsa2), and so are the pids and states of the processes the typing
starts. Nothing is typed through the agent: every key goes through the keyboard.

Cases (TAP, plan first): the agent answers; a shell with job control on tty2 shows its
prompt; which discipline tty2 runs (--ldisc ntty: the kernel's N_TTY, n_rust not used by it;
--ldisc takeover: n_rust, serving the N_TTY slot); a canonical line with erase (the PS/2
Backspace key, DEL on a VT, VERASE) read by a program; a line with kill (^U); ^C sends SIGINT
to `sleep`, the shell's prompt returns and `$?` is 130; ^Z stops `sleep` (state T), `jobs`
lists it stopped, `fg` resumes it, ^C ends it; `exit` ends the shell. The last line is
`vt-LDISC: N passed, M failed`; the exit status is 0 only when every case passed. A case
that cannot run because an earlier one failed is reported `not ok`, so the plan always holds.
"""

import argparse
import re
import socket
import sys
import time

# sendkey names (QEMU qcodes) of the characters the test types; a letter or digit is its own.
QCODES = {' ': 'spc', '\n': 'ret', '-': 'minus', '_': 'shift-minus', '.': 'dot',
          '/': 'slash', '$': 'shift-4', '?': 'shift-slash'}
BACKSPACE, CTRL_C, CTRL_U, CTRL_Z = ('backspace',), ('ctrl-c',), ('ctrl-u',), ('ctrl-z',)
KEY_GAP = 0.08  # seconds between keys, so that the 16-byte PS/2 queue never fills under TCG
PROMPT = 'vt> '
VT = 2


def qcode(ch):
    if ch.isascii() and (ch.islower() or ch.isdigit()):
        return ch
    return QCODES[ch]


def connect(path, deadline):
    """A connected unix socket to PATH, retried until DEADLINE (QEMU may not have made it)."""
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Monitor:
    """QEMU's human monitor: one command at a time, each answered up to the next prompt."""

    def __init__(self, path, deadline):
        self.sock = connect(path, deadline)
        self.sock.settimeout(10)
        self.buf = b''
        self.until_prompt()

    def until_prompt(self):
        while b'(qemu) ' not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError('the QEMU monitor closed its socket')
            self.buf += data
        out, self.buf = self.buf.split(b'(qemu) ', 1)
        return out.decode('latin-1')

    def command(self, line):
        self.sock.sendall(line.encode() + b'\n')
        return self.until_prompt()

    def type(self, *parts):
        """Press keys: a string is typed character by character, a tuple is one key chord."""
        for part in parts:
            for name in part if isinstance(part, tuple) else map(qcode, part):
                out = self.command(f'sendkey {name}')
                if 'unknown' in out.lower() or 'invalid' in out.lower():
                    raise ValueError(f'sendkey {name}: {out.strip()}')
                time.sleep(KEY_GAP)


class Agent:
    """The guest's command agent on ttyS2 (tests/vt/guest/n_rust-vt-agent)."""

    def __init__(self, path, deadline):
        self.sock = connect(path, deadline)
        self.buf = b''
        self.next_id = 1

    def run(self, command, timeout=30):
        """Run COMMAND in the guest: (exit status, output), or None on no answer in time."""
        ident = self.next_id
        self.next_id += 1
        self.sock.sendall(f'{ident} {command}\n'.encode())
        end = re.compile(rb'@@BEGIN %d\n(.*?)@@END %d (\d+)\n' % (ident, ident), re.S)
        deadline = time.monotonic() + timeout
        while True:
            m = end.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return int(m.group(2)), m.group(1).decode('latin-1')
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return None
            if not data:
                raise ConnectionError('the guest agent closed its socket')
            self.buf += data

    def output(self, command, timeout=30):
        """COMMAND's output, stripped ('' when it failed or did not answer)."""
        answer = self.run(command, timeout)
        return answer[1].strip() if answer and answer[0] == 0 else ''

    def wait_ready(self, deadline):
        while time.monotonic() < deadline:
            if self.run('echo pong', timeout=3) == (0, 'pong\n'):
                return True
        return False


class Screen:
    """What the VT shows: its rows (trailing blanks removed) and the cursor."""

    def __init__(self, text):
        lines = text.split('\n')
        m = re.match(r'screen (\d+) (\d+) (\d+) (\d+)$', lines[0])
        if not m:
            raise ValueError(f'not a screen dump: {lines[0]!r}')
        height, _, self.row, self.col = map(int, m.groups())
        self.rows = [line.rstrip() for line in lines[1:1 + height]]

    def cursor_line(self):
        return self.rows[self.row]

    def after(self, marker):
        """The rows after the last one equal to MARKER (all rows when none is)."""
        for i in range(len(self.rows) - 1, -1, -1):
            if self.rows[i] == marker:
                return self.rows[i + 1:]
        return self.rows

    def dump(self):
        return '\n'.join(f'|{r}' for r in self.rows if r) + f'\n(cursor at row {self.row}, column {self.col})'


class VtTest:
    def __init__(self, monitor, agent, ldisc):
        self.mon, self.agent, self.ldisc = monitor, agent, ldisc
        self.number = 0
        self.results = []  # booleans
        self.last_screen = None
        self.refcnt_before = self.shell_pid = self.stopped_pid = ''

    # -- TAP ---------------------------------------------------------------------------------
    def report(self, passed, description, diagnostics=''):
        self.number += 1
        self.results.append(passed)
        print(f'{"ok" if passed else "not ok"} {self.number} - {description}')
        if not passed and diagnostics:
            for line in diagnostics.rstrip().split('\n'):
                print(f'#   {line}')
        sys.stdout.flush()
        return passed

    def screen_diag(self):
        return 'screen of tty%d:\n%s' % (VT, self.last_screen.dump()) if self.last_screen else 'no screen read'

    # -- the guest ---------------------------------------------------------------------------
    def screen(self):
        answer = self.agent.run(f'n_rust-vt-screen {VT}')
        if not answer or answer[0] != 0:
            return None
        self.last_screen = Screen(answer[1])
        return self.last_screen

    def wait_screen(self, predicate, timeout=20):
        """Poll the screen until PREDICATE(screen) is true; the screen, or None."""
        deadline = time.monotonic() + timeout
        while True:
            scr = self.screen()
            if scr and predicate(scr):
                return scr
            if time.monotonic() > deadline:
                return None
            time.sleep(0.3)

    def wait_guest(self, command, predicate, timeout=20):
        """Run COMMAND in the guest until PREDICATE(output) holds; the output, or None."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.agent.output(command)
            if predicate(out):
                return out
            if time.monotonic() > deadline:
                return None
            time.sleep(0.3)

    def sleep_pids(self):
        return self.agent.output('pidof sleep').split()

    def state(self, pid):
        """The one-letter state of process PID (R, S, T, ...), '' when it is gone."""
        return self.agent.output(f"sed 's/.*) //' /proc/{pid}/stat | cut -d' ' -f1")

    def prompt_back(self, scr):
        """The shell waits at its prompt (which may follow an echoed ^C on the same row)."""
        line = scr.cursor_line()
        return line.endswith(PROMPT.rstrip()) and scr.col == len(line) + 1

    def command(self, text):
        """Type TEXT and Return at the shell's prompt, once the prompt is there."""
        if not self.wait_screen(self.prompt_back):
            return False
        self.mon.type(text, '\n')
        return True

    # -- the cases ---------------------------------------------------------------------------
    def run(self, boot_deadline):
        cases = [self.case_boot, self.case_shell, self.case_ldisc, self.case_erase,
                 self.case_kill, self.case_intr, self.case_intr_status, self.case_stop,
                 self.case_jobs, self.case_fg, self.case_fg_intr, self.case_exit]
        plan = len(cases)
        print(f'1..{plan}')
        ok = self.case_boot(boot_deadline)
        blocked = None if ok else 'the guest agent never answered'
        for case in cases[1:]:
            if blocked:
                self.report(False, f'{case.__doc__} # not run: {blocked}')
                continue
            before = self.number
            try:
                passed = case()
            except (ValueError, IndexError, KeyError) as e:
                passed = False
                if self.number == before:
                    self.report(False, f'{case.__doc__} (the harness stopped: {e!r})', self.screen_diag())
            if not passed and case == self.case_shell:
                blocked = 'no shell on the VT'
        if self.number != plan:
            print(f'# internal: {self.number} results for a plan of {plan}')
            return False
        return all(self.results)

    def case_boot(self, deadline):
        return self.report(self.agent.wait_ready(deadline), 'the guest boots and its agent answers on ttyS2')

    def case_shell(self):
        """a shell with job control starts on tty2, in front, and shows its prompt"""
        self.refcnt_before = self.agent.output('cat /sys/module/n_rust/refcnt')
        self.agent.output(f'n_rust-vt-shell {VT}')
        scr = self.wait_screen(lambda s: self.prompt_back(s), timeout=30)
        active = self.agent.output('cat /sys/class/tty/tty0/active')
        self.shell_pid = self.agent.output('cat /tmp/vt-shell.pid')
        return self.report(scr is not None and active == f'tty{VT}' and self.shell_pid != '',
                           f'a shell starts on tty{VT} (the foreground VT: {active or "?"}) and shows its prompt',
                           self.screen_diag())

    def case_ldisc(self):
        """the discipline of tty2"""
        ldiscs = self.agent.output('cat /proc/tty/ldiscs')
        refcnt = self.agent.output('cat /sys/module/n_rust/refcnt')
        facts = f'/proc/tty/ldiscs: {ldiscs!r}; n_rust refcnt before the shell {self.refcnt_before}, after {refcnt}'
        try:
            grew = int(refcnt) - int(self.refcnt_before)
        except ValueError:
            return self.report(False, f'the discipline of tty{VT}: n_rust\'s refcount unreadable', facts)
        # The tty layer holds one module reference per tty on one of the module's disciplines.
        if self.ldisc == 'takeover':
            return self.report(grew == 1, f'tty{VT} runs n_rust in N_TTY\'s slot (takeover): n_rust\'s refcount '
                               f'{self.refcnt_before} -> {refcnt} when the VT opened', facts)
        return self.report(grew == 0, f'tty{VT} runs the kernel\'s N_TTY: n_rust loaded, its refcount '
                           f'{self.refcnt_before} -> {refcnt} when the VT opened', facts)

    def read_line(self, keys, shown, expected, description):
        """Run n_rust-vt-read, type KEYS: the screen must show SHOWN, the program read EXPECTED."""
        self.agent.output('rm -f /tmp/vt-line')
        if not self.command('n_rust-vt-read'):
            return self.report(False, f'{description}: no prompt', self.screen_diag())
        if not self.wait_screen(lambda s: s.rows[s.row - 1] == 'vt-read: ready' and s.col == 0):
            return self.report(False, f'{description}: the reader did not start', self.screen_diag())
        self.mon.type(*keys)
        before_return = self.wait_screen(lambda s: s.cursor_line() == shown and s.col == len(shown), timeout=10)
        self.mon.type('\n')
        got = self.wait_guest('cat /tmp/vt-line', lambda out: out != '', timeout=10)
        scr = self.wait_screen(lambda s: f'vt-read: got [{expected}]' in s.rows)
        return self.report(before_return is not None and got == expected and scr is not None,
                           f'{description}: the screen showed {shown!r} before Return, the program read {got!r}',
                           self.screen_diag())

    def case_erase(self):
        """canonical line with erase (Backspace)"""
        return self.read_line(['hellp', BACKSPACE, 'o wprld', BACKSPACE, BACKSPACE, BACKSPACE, BACKSPACE, 'orld'],
                              'hello world', 'hello world',
                              'a canonical line with erase (Backspace sends DEL, VERASE)')

    def case_kill(self):
        """canonical line with kill (^U)"""
        return self.read_line(['junk line', CTRL_U, 'kept'], 'kept', 'kept',
                              'a canonical line with kill (^U, VKILL; ECHOKE wipes it off the screen)')

    def case_intr(self):
        """^C interrupts sleep"""
        if not self.command('sleep 100'):
            return self.report(False, '^C interrupts the foreground job: no prompt', self.screen_diag())
        pids = self.wait_guest('pidof sleep', lambda out: out != '')
        if not pids:
            return self.report(False, '^C interrupts the foreground job: sleep never ran', self.screen_diag())
        self.mon.type(CTRL_C)
        gone = self.wait_guest('pidof sleep || true', lambda out: out == '', timeout=15) is not None
        scr = self.wait_screen(self.prompt_back)
        echoed = scr is not None and '^C' in ''.join(scr.after(PROMPT + 'sleep 100'))
        return self.report(gone and echoed,
                           f'^C (VINTR) ends `sleep 100` (pid {pids}; gone: {gone}), ^C echoed, the prompt back',
                           self.screen_diag())

    def case_intr_status(self):
        """the shell saw SIGINT"""
        self.command('echo $?')
        scr = self.wait_screen(lambda s: s.after(PROMPT + 'echo $?')[:1] == ['130'])
        return self.report(scr is not None, 'the shell saw SIGINT: `echo $?` prints 130', self.screen_diag())

    def case_stop(self):
        """^Z stops sleep"""
        if not self.command('sleep 200'):
            return self.report(False, '^Z stops the foreground job: no prompt', self.screen_diag())
        pids = self.wait_guest('pidof sleep', lambda out: out != '')
        self.stopped_pid = pids.split()[0] if pids else ''
        if not pids:
            return self.report(False, '^Z stops the foreground job: sleep never ran', self.screen_diag())
        self.mon.type(CTRL_Z)
        stopped = self.wait_guest(f"sed 's/.*) //' /proc/{self.stopped_pid}/stat | cut -d' ' -f1",
                                  lambda out: out == 'T', timeout=15) is not None
        scr = self.wait_screen(self.prompt_back)
        said = scr is not None and any('Stopped' in r for r in scr.after(PROMPT + 'sleep 200'))
        return self.report(stopped and said,
                           f'^Z (VSUSP) stops `sleep 200` (pid {self.stopped_pid}, state T: {stopped}), '
                           'the shell says Stopped',
                           self.screen_diag())

    def case_jobs(self):
        """jobs lists it stopped"""
        self.command('jobs')
        pattern = re.compile(r'\[1\]\+? +Stopped +sleep 200$')
        scr = self.wait_screen(lambda s: any(pattern.match(r) for r in s.after(PROMPT + 'jobs')))
        return self.report(scr is not None, '`jobs` lists [1] Stopped sleep 200', self.screen_diag())

    def case_fg(self):
        """fg resumes it"""
        self.command('fg')
        state = self.wait_guest(f"sed 's/.*) //' /proc/{self.stopped_pid}/stat | cut -d' ' -f1",
                                lambda out: out in ('S', 'R'), timeout=15)
        scr = self.wait_screen(lambda s: s.after(PROMPT + 'fg')[:1] == ['sleep 200'])
        return self.report(state is not None and scr is not None,
                           f'`fg` resumes it in the foreground (state {state}), the shell prints its command',
                           self.screen_diag())

    def case_fg_intr(self):
        """^C ends the resumed job"""
        self.mon.type(CTRL_C)
        gone = self.wait_guest('pidof sleep || true', lambda out: out == '', timeout=15) is not None
        scr = self.wait_screen(self.prompt_back)
        return self.report(gone and scr is not None, '^C ends the resumed job, the prompt back', self.screen_diag())

    def case_exit(self):
        """exit ends the shell and frees the VT"""
        self.command('exit')
        gone = self.wait_guest(f'test -d /proc/{self.shell_pid} && echo alive || echo gone',
                               lambda out: out == 'gone', timeout=15)
        # The VT closed: the reference its discipline held (takeover: n_rust's) is dropped.
        refcnt = self.wait_guest('cat /sys/module/n_rust/refcnt', lambda out: out == self.refcnt_before, timeout=10)
        return self.report(gone is not None and refcnt is not None,
                           f'`exit` ends the shell (pid {self.shell_pid}) and tty{VT} is released '
                           f'(n_rust refcnt back to {self.refcnt_before})',
                           self.screen_diag() + '\nrefcnt now ' + self.agent.output('cat /sys/module/n_rust/refcnt'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--monitor', required=True, help='QEMU monitor socket')
    parser.add_argument('--agent', required=True, help="the guest agent's socket (ttyS2)")
    parser.add_argument('--ldisc', choices=('ntty', 'takeover'), required=True)
    parser.add_argument('--boot-timeout', type=float, default=240)
    args = parser.parse_args()
    started = time.monotonic()
    boot_deadline = started + args.boot_timeout
    label = f'vt-{args.ldisc}'
    try:
        monitor = Monitor(args.monitor, boot_deadline)
        agent = Agent(args.agent, boot_deadline)
    except OSError as e:
        print(f'{label}: cannot reach QEMU: {e}')
        print(f'{label}: 0 passed, 1 failed')
        return 1
    test = VtTest(monitor, agent, args.ldisc)
    try:
        ok = test.run(boot_deadline)
    except (OSError, ValueError) as e:
        print(f'# {label}: stopped: {e}')
        test.results.append(False)
        ok = False
    if agent.run('bye', timeout=5) is None:
        print(f'# {label}: the agent did not say goodbye')
    passed = sum(test.results)
    print(f'# {label}: {time.monotonic() - started:.0f} s from boot to goodbye')
    print(f'{label}: {passed} passed, {len(test.results) - passed} failed')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
