#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Extract the KUnit results of n_rust from a guest console log and check them strictly.

    tests/kunit-parse.py [--kernel-src DIR] [--report FILE] LOG [LOG...]

KUnit runs the module's suites each time n_rust.ko is loaded and prints KTAP to the kernel
log. The test guest's /init writes the whole kernel log (dmesg) to its third serial port,
build/guest-kmsg.log; the serial console, build/guest-console.log, carries the same lines
but mixed with the guest programs' output (the printk thread prints while user space
writes). The first LOG that holds KTAP is used. This script keeps the kernel's lines (those
behind a printk timestamp), splits them into KTAP documents (one per module load, plus the
built-in executor's empty one at boot) and parses each with the kernel tree's KUnit parser,
tools/testing/kunit/kunit_parser.py (what `kunit.py parse` runs). Its report goes to
--report (default: stdout).

It fails (exit 1) on any failed or crashed case, a parse error (a missing or short plan, a
missing result line, a wrong test number), a case skipped without a reason, a top-level
suite whose name does not start with n_rust, no module load at all, or a module load that
did not run every one of n_rust's suites (EXPECTED_SUITES, from src/kunit.rs), naming it. The last line is
`kunit: N passed, M failed`: N counts the distinct KUnit cases (leaf results, so each
parameter of a parameterised case counts once) that passed in every run, M those that
failed, crashed or were skipped without a reason in any run, plus one per structural error.
"""

import argparse
import io
import os
import re
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\] ?')
TOP_KTAP = re.compile(r'^(K?TAP version \d+)\s*$')
TOP_PLAN = re.compile(r'^1\.\.(\d+)\s*$')
TOP_RESULT = re.compile(r'^(not )?ok \d+ ')
# The suites src/kunit.rs declares: every module load must run each of them.
EXPECTED_SUITES = ('n_rust_conformance', 'n_rust_jobctl', 'n_rust_params', 'n_rust_read_steps',
                   'n_rust_glue')


def kernel_lines(path):
    """The kernel's lines of a console log, without their printk timestamps."""
    with open(path, 'rb') as f:
        text = f.read().decode('utf-8', errors='replace')
    for raw in text.splitlines():
        line = raw.rstrip('\r')
        m = TIMESTAMP.match(line)
        if m:
            yield line[m.end():]


def ktap_documents(lines):
    """Split kernel lines into KTAP documents, each starting at a top-level version line."""
    docs = []
    for line in lines:
        if TOP_KTAP.match(line):
            docs.append([line])
        elif docs:
            docs[-1].append(line)
    return docs


def top_plan(doc):
    """The top-level plan of a document (the line after the version line), or None."""
    for line in doc[1:3]:
        m = TOP_PLAN.match(line)
        if m:
            return int(m.group(1))
    return None


def walk(test, path, problems, leaves, kp):
    """Check a parsed test tree; collect leaf results by path."""
    if test.subtests:
        if test.expected_count is None:
            problems.append(f'{path or "main"}: no plan')
        elif test.expected_count != len(test.subtests):
            problems.append(f'{path or "main"}: plan 1..{test.expected_count}, '
                            f'{len(test.subtests)} results')
        for number, sub in enumerate(test.subtests, 1):
            # A result KUnit never printed (a crash) has no name: use its number.
            name = sub.name or f'#{number} (missing)'
            walk(sub, f'{path}.{name}' if path else name, problems, leaves, kp)
        return
    status = test.status
    if status == kp.TestStatus.SKIPPED and not test.skip_reason.strip():
        leaves.append((path, 'skipped without a reason'))
    elif status == kp.TestStatus.SKIPPED:
        leaves.append((path, 'skip'))
    elif status == kp.TestStatus.SUCCESS:
        leaves.append((path, 'pass'))
    elif status == kp.TestStatus.FAILURE:
        leaves.append((path, 'fail'))
    else:
        leaves.append((path, status.name.lower()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('logs', nargs='+', metavar='LOG')
    ap.add_argument('--kernel-src', help='Linux source tree (default: $KERNEL_SRC, '
                    'else the path recorded in build/kernel-src.path)')
    ap.add_argument('--report', help='write the parser report here (default: stdout)')
    args = ap.parse_args()

    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = args.kernel_src or os.environ.get('KERNEL_SRC')
    if not src:
        try:
            with open(os.path.join(top, 'build', 'kernel-src.path')) as f:
                src = f.read().strip()
        except OSError:
            src = None
    tool = os.path.join(src or '', 'tools', 'testing', 'kunit')
    if not src or not os.path.isfile(os.path.join(tool, 'kunit_parser.py')):
        print(f'kunit: no tools/testing/kunit in the kernel tree {src!r}; '
              'run make kernel-src or pass --kernel-src', file=sys.stderr)
        print('kunit: 0 passed, 1 failed')
        return 1
    sys.path.insert(0, tool)
    import kunit_parser as kp  # noqa: E402
    import kunit_printer  # noqa: E402

    out = open(args.report, 'w') if args.report else sys.stdout
    printer = kunit_printer.Printer(output=out)

    docs = []
    for log in args.logs:
        try:
            docs = ktap_documents(kernel_lines(log))
        except OSError as e:
            print(f'kunit: cannot read {log}: {e}')
            continue
        if docs:
            print(f'kunit: KTAP from {log}')
            break
        print(f'kunit: no KTAP in {log}')

    problems = []
    results = {}  # path -> list of outcomes, one per run
    order = []
    runs = 0
    suites = set()
    for doc in docs:
        plan = top_plan(doc)
        if plan == 0:
            continue  # the built-in executor at boot: no built-in n_rust suites
        runs += 1
        tag = f'run {runs}'
        if plan is None:
            problems.append(f'{tag}: no top-level plan after "{doc[0]}"')
        else:
            # The parser stops at the plan: results beyond it would go unseen.
            printed = sum(1 for line in doc if TOP_RESULT.match(line))
            if printed > plan:
                problems.append(f'{tag}: plan 1..{plan}, {printed} suite results')
        out.write(f'---- KUnit {tag} (module load) ----\n')
        test = kp.parse_run_tests(doc, printer)
        kp.print_summary_line(test, printer)
        if test.counts.errors:
            problems.append(f'{tag}: {test.counts.errors} KTAP parse error(s) (see the report)')
        ran = set()
        for suite in test.subtests:
            if not suite.name:
                continue  # missing: counted as crashed below
            if not suite.name.startswith('n_rust'):
                problems.append(f'{tag}: suite {suite.name!r} is not an n_rust suite')
            else:
                suites.add(suite.name)
                ran.add(suite.name)
        for name in EXPECTED_SUITES:
            if name not in ran:
                problems.append(f'{tag}: KUnit suite {name} did not run')
        leaves = []
        walk(test, '', problems, leaves, kp)
        for path, outcome in leaves:
            if path not in results:
                results[path] = []
                order.append(path)
            results[path].append(outcome)
    if not runs:
        problems.append('no n_rust KUnit suite ran (is CONFIG_KUNIT set, did the module load?)')

    passed = [p for p in order if all(o in ('pass', 'skip') for o in results[p])]
    failed = [p for p in order if p not in passed]
    if out is not sys.stdout:
        out.close()

    for p in failed:
        print(f'kunit: not ok {p}: {", ".join(results[p])}')
    for p in problems:
        print(f'kunit: error: {p}')
    skipped = sum(1 for p in passed if 'skip' in results[p])
    print(f'kunit: {runs} run(s) of {len(suites)} suite(s) '
          f'({", ".join(sorted(suites))}); {len(order)} cases, {skipped} skipped with a reason')
    if args.report:
        print(f'kunit: parser report in {args.report}')
    nfail = len(failed) + len(problems)
    print(f'kunit: {len(passed)} passed, {nfail} failed')
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main())
