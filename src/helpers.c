// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for what Rust cannot call directly: kernel functions that are macros or
 * static inlines in some configurations. Declared in include/n_rust_tty.h.
 */
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
