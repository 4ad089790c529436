// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for what Rust cannot call directly: kernel functions that are macros or
 * static inlines in some configurations, and module parameters that must be visible in
 * sysfs. Declared in include/n_rust_tty.h.
 */
#include <linux/moduleparam.h>
#include <linux/mutex.h>

#include "../include/n_rust_tty.h"

/*
 * mutex_is_locked() is an exported function without PREEMPT_RT and a macro over the
 * rt_mutex with it.
 */
bool n_rust_mutex_is_locked(struct mutex *lock)
{
	return mutex_is_locked(lock);
}

/*
 * The takeover parameters (src/takeover.rs), declared in C: the Rust module! macro of this
 * kernel registers every parameter with permissions 0, so none appears under
 * /sys/module/n_rust/parameters/. These two are read-only there (0444), so that a user can
 * see whether the running module serves N_TTY's slot. The kernel parses them with the
 * module's other parameters, before init.
 */
bool n_rust_param_takeover;
module_param_named(takeover, n_rust_param_takeover, bool, 0444);
MODULE_PARM_DESC(takeover,
		 "Also serve line discipline 0 (N_TTY's slot): ttys opened afterwards, and ttys re-initialised after a hangup, run n_rust; unloading puts N_TTY back (default off)");

int n_rust_param_ntty_ldisc;
module_param_named(ntty_ldisc, n_rust_param_ntty_ldisc, int, 0444);
MODULE_PARM_DESC(ntty_ldisc,
		 "With takeover=1: also register the kernel's N_TTY under this number (1..30, free), so that TIOCSETD can still reach it (default 0: not registered)");
