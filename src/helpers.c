// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for what Rust cannot call directly: kernel functions that are macros or
 * static inlines in some configurations, and module parameters that must be visible in
 * sysfs. Declared in include/n_rust_tty.h.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
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
