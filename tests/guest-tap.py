#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the TAP of the guest programs in a guest console log, strictly.

    tests/guest-tap.py LOG

The guest's /init announces every program it runs with "# suite NAME" (and prints
"N_RUST-GUEST-MISSING NAME" for one that is not there); each program prints TAP with its plan
("1..N") before its first result. This fails (exit 1) on a missing program, a program
without a plan, a plan after a result, results that do not match the plan (a case that
never ran, or one too many), out-of-order test numbers, no program at all, or a log
without the guest's end marker (a stale or cut-short log). The last line is
`guest: N passed, M failed`: N counts the `ok` results, M the `not ok` ones plus one per
problem found. An `ok` result with a `# SKIP` directive is not counted as passed: a line
before the summary says how many cases of which program were skipped, and the first reason.
"""

import re
import sys

SUITE = re.compile(r'^# suite (\S+)\s*$')
MISSING = re.compile(r'^N_RUST-GUEST-MISSING (\S+)')
PLAN = re.compile(r'^1\.\.(\d+)\s*$')
RESULT = re.compile(r'^(not )?ok (\d+)\b')
SKIP = re.compile(r'#\s*SKIP\b\s*(.*)$', re.IGNORECASE)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split('\n')[2].strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], 'rb') as f:
            lines = f.read().decode('utf-8', errors='replace').splitlines()
    except OSError as e:
        print(f'guest: cannot read the console log: {e}')
        print('guest: 0 passed, 1 failed')
        return 1
    problems = []
    missing = set()
    programs = []  # [name, plan, results, number of the next result]
    passed = failed = 0
    skipped = {}  # program name -> [count, first reason]
    done = False
    for raw in lines:
        line = raw.rstrip('\r')
        if line.startswith('N_RUST-GUEST-DONE'):
            done = True
        m = SUITE.match(line)
        if m:
            programs.append([m.group(1), None, 0, 1])
            continue
        m = MISSING.match(line)
        if m:
            missing.add(m.group(1))
            problems.append(f'program {m.group(1)} is missing from the guest')
            continue
        if not programs:
            continue
        prog = programs[-1]
        m = PLAN.match(line)
        if m:
            if prog[1] is not None:
                problems.append(f'{prog[0]}: a second plan ({line})')
            elif prog[2]:
                problems.append(f'{prog[0]}: plan {line} after {prog[2]} results')
            prog[1] = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            prog[2] += 1
            number = int(m.group(2))
            if number != prog[3]:
                problems.append(f'{prog[0]}: result number {number} where {prog[3]} was due')
            prog[3] = number + 1
            skip = SKIP.search(line)
            if m.group(1):
                failed += 1
            elif skip:
                # Without a reason after SKIP, the case's description says why.
                reason = skip.group(1).strip() or line[:skip.start()].split(' - ', 1)[-1].strip()
                skipped.setdefault(prog[0], [0, reason])[0] += 1
            else:
                passed += 1
    if not programs:
        problems.append('no guest program ran')
    for name, plan, results, _ in programs:
        if plan is None:
            if results or name not in missing:
                problems.append(f'{name}: no plan ({results} results)')
        elif plan != results:
            problems.append(f'{name}: plan 1..{plan}, {results} results')
    if not done:
        problems.append('the log has no N_RUST-GUEST-DONE: the guest did not finish')
    for name, (count, reason) in skipped.items():
        print(f'guest: note: {name}: {count} skipped ({reason})')
    for p in problems:
        print(f'guest: error: {p}')
    print(f'guest: {passed} passed, {failed + len(problems)} failed')
    return 1 if failed or problems else 0


if __name__ == '__main__':
    sys.exit(main())
