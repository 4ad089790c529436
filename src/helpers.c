// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for what Rust cannot call directly: kernel functions that are macros or
 * static inlines in some configurations, module parameters that must be visible in sysfs,
 * and the /proc file of the per-tty counters (the kernel crate has no procfs or seq_file
 * abstraction). Declared in include/n_rust_tty.h.
 */
#include <linux/types.h>
#include <linux/kdev_t.h>
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/tty.h>

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
 * signal_pending(current): static inlines over the running task, which the kernel crate
 * reaches through two calls of its own helpers (get_current, signal_pending). A write()
 * asks once per pass, a blocking read() once per wake-up.
 */
bool n_rust_signal_pending(void)
{
	return signal_pending(current);
}

/*
 * Sets `entry` up for the running task with woken_wake_function (what wait_woken() needs)
 * and adds it to `queue`: init_wait_func() is a macro, so this saves the kernel crate's
 * init_wait helper and a second call.
 */
void n_rust_add_woken_wait(struct wait_queue_head *queue, struct wait_queue_entry *entry)
{
	init_wait_func(entry, woken_wake_function);
	add_wait_queue(queue, entry);
}

/*
 * The takeover probe (src/tty_ldisc/takeover.rs) opens "/dev/ptmx" by path, and in a chroot
 * or container that name may be anything: a regular file, a FIFO, a symlink to /dev/null, a
 * file of /proc. Only a file that ptmx_open() opened has a struct tty_file_private in
 * private_data. Both /dev/ptmx and devpts' pts/ptmx are character devices 5:2
 * (MKDEV(TTYAUX_MAJOR, 2)), and chrdev_open() gives such a file the file operations of the
 * cdev registered there (the tty layer's ptmx_cdev, whose open is ptmx_open()) and leaves the
 * cdev in inode->i_cdev. A file system that bypasses chrdev_open() gives the file other
 * operations, so the last test fails for it.
 */
struct tty_struct *n_rust_ptmx_tty(struct file *file)
{
	const dev_t ptmx = MKDEV(TTYAUX_MAJOR, 2);
	struct inode *inode = file_inode(file);
	struct cdev *cdev = inode->i_cdev;

	if (!S_ISCHR(inode->i_mode) || inode->i_rdev != ptmx || !cdev ||
	    cdev->dev != ptmx || file->f_op != cdev->ops)
		return NULL;
	return ((struct tty_file_private *)file->private_data)->tty;
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

/*
 * The per-tty counters in /proc/tty/n_rust: one line per tty n_rust runs on, "NAME
 * dev=MAJOR:MINOR" then "COUNTER=VALUE" for each counter of N_RUST_STATS_COUNTERS, in that
 * order. The tty layer's own /proc/tty/driver/<driver> files list a line per port in the same
 * way. (A sysfs directory per tty, one file per counter, cost 16 kernfs nodes: about 2.5 KiB
 * and five times N_TTY's close time per tty.) The values come from Rust
 * (src/stats_proc.rs) through the function given to n_rust_stats_init().
 */
static LIST_HEAD(n_rust_stats_entries);
/* Guards the list; held by a reader of the file while it reads each tty's counters. */
static DEFINE_MUTEX(n_rust_stats_lock);
static n_rust_stats_values_fn n_rust_stats_values;
static struct proc_dir_entry *n_rust_stats_file;

#define N_RUST_STATS_NAME(name) #name,
static const char *const n_rust_stats_names[] = { N_RUST_STATS_COUNTERS(N_RUST_STATS_NAME) };

static int n_rust_stats_show(struct seq_file *m, void *v)
{
	struct n_rust_stats_entry *entry;
	u64 values[N_RUST_STATS_NR];
	unsigned int i;

	mutex_lock(&n_rust_stats_lock);
	list_for_each_entry(entry, &n_rust_stats_entries, node) {
		n_rust_stats_values(entry->owner, values, N_RUST_STATS_NR);
		seq_printf(m, "%s dev=%u:%u", entry->name, MAJOR(entry->dev), MINOR(entry->dev));
		for (i = 0; i < N_RUST_STATS_NR; i++)
			seq_printf(m, " %s=%llu", n_rust_stats_names[i], values[i]);
		seq_putc(m, '\n');
	}
	mutex_unlock(&n_rust_stats_lock);
	return 0;
}

int n_rust_stats_init(n_rust_stats_values_fn values)
{
	n_rust_stats_values = values;
	/* Without procfs the counters are kept but not shown; the discipline works. */
	if (!IS_ENABLED(CONFIG_PROC_FS))
		return 0;
	n_rust_stats_file = proc_create_single("tty/n_rust", 0444, NULL, n_rust_stats_show);
	return n_rust_stats_file ? 0 : -ENOMEM;
}

void n_rust_stats_exit(void)
{
	proc_remove(n_rust_stats_file);
	n_rust_stats_file = NULL;
}

/* Whether a tty listed has this name. Called with n_rust_stats_lock held. */
static bool n_rust_stats_name_taken(const char *name)
{
	struct n_rust_stats_entry *entry;

	list_for_each_entry(entry, &n_rust_stats_entries, node)
		if (!strcmp(entry->name, name))
			return true;
	return false;
}

/*
 * Lists the tty `name` (`dev`), whose counters n_rust_stats_values reads from `owner`, in
 * `entry`, which the caller keeps in place until n_rust_stats_remove(). A name already
 * listed (a pty of another devpts instance) gets a suffix: "pts0.1". Returns 0, or -EBUSY
 * when the name and its 99 suffixes are all taken (the entry is then not listed).
 */
int n_rust_stats_add(struct n_rust_stats_entry *entry, const char *name, u32 dev,
		     const void *owner)
{
	unsigned int n;

	entry->owner = owner;
	entry->dev = dev;
	mutex_lock(&n_rust_stats_lock);
	for (n = 0; n < 100; n++) {
		if (n)
			snprintf(entry->name, sizeof(entry->name), "%s.%u", name, n);
		else
			strscpy(entry->name, name, sizeof(entry->name));
		if (!n_rust_stats_name_taken(entry->name))
			break;
	}
	if (n < 100)
		list_add_tail(&entry->node, &n_rust_stats_entries);
	mutex_unlock(&n_rust_stats_lock);
	return n < 100 ? 0 : -EBUSY;
}

/*
 * Takes the tty off the list. When this returns, no reader of the file reads its counters
 * any more, so its owner (and the entry) may go.
 */
void n_rust_stats_remove(struct n_rust_stats_entry *entry)
{
	mutex_lock(&n_rust_stats_lock);
	list_del(&entry->node);
	mutex_unlock(&n_rust_stats_lock);
}
