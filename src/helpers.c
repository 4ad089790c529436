// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for what Rust cannot call directly: kernel functions that are macros or
 * static inlines in some configurations, module parameters that must be visible in sysfs,
 * and the sysfs boilerplate of the per-tty counters (the kernel crate has no kobject or sysfs
 * abstraction). Declared in include/n_rust_tty.h.
 */
#include <linux/kobject.h>
#include <linux/kdev_t.h>
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
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

/*
 * The per-tty counters in sysfs: /sys/kernel/n_rust/<tty name>/, one read-only file per
 * counter (named by N_RUST_STATS_COUNTERS) and "dev" (major:minor of the tty). The values
 * come from Rust (src/stats_sysfs.rs) through the function given to n_rust_stats_init().
 */
struct n_rust_stats_dir {
	struct kobject kobj;
	const void *owner;
	dev_t dev;
};

static struct kset *n_rust_stats_kset;
static n_rust_stats_value_fn n_rust_stats_value;
/* Serialises the choice of a free name with the directory's creation. */
static DEFINE_MUTEX(n_rust_stats_naming);

static struct n_rust_stats_dir *to_stats_dir(struct kobject *kobj)
{
	return container_of(kobj, struct n_rust_stats_dir, kobj);
}

static ssize_t n_rust_counter_show(struct kobject *kobj, struct kobj_attribute *attr,
				   char *buf);

#define N_RUST_STATS_ATTR(name) __ATTR(name, 0444, n_rust_counter_show, NULL),
static struct kobj_attribute n_rust_counter_attrs[] = {
	N_RUST_STATS_COUNTERS(N_RUST_STATS_ATTR)
};

static ssize_t n_rust_counter_show(struct kobject *kobj, struct kobj_attribute *attr,
				   char *buf)
{
	unsigned int index = attr - n_rust_counter_attrs;

	return sysfs_emit(buf, "%llu\n",
			  n_rust_stats_value(to_stats_dir(kobj)->owner, index));
}

static ssize_t dev_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	dev_t dev = to_stats_dir(kobj)->dev;

	return sysfs_emit(buf, "%u:%u\n", MAJOR(dev), MINOR(dev));
}
static struct kobj_attribute n_rust_dev_attr = __ATTR_RO(dev);

#define N_RUST_STATS_ATTR_PTR(name) &n_rust_counter_attrs[N_RUST_STATS_##name].attr,
static struct attribute *n_rust_stats_attrs[] = {
	N_RUST_STATS_COUNTERS(N_RUST_STATS_ATTR_PTR)
	&n_rust_dev_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(n_rust_stats);

static void n_rust_stats_release(struct kobject *kobj)
{
	kfree(to_stats_dir(kobj));
}

static const struct kobj_type n_rust_stats_ktype = {
	.release = n_rust_stats_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = n_rust_stats_groups,
};

int n_rust_stats_init(n_rust_stats_value_fn value)
{
	n_rust_stats_value = value;
	n_rust_stats_kset = kset_create_and_add("n_rust", NULL, kernel_kobj);
	return n_rust_stats_kset ? 0 : -ENOMEM;
}

void n_rust_stats_exit(void)
{
	kset_unregister(n_rust_stats_kset);
	n_rust_stats_kset = NULL;
}

/*
 * Adds the directory of the tty `name` (`dev`), whose counters n_rust_stats_value reads
 * from `owner`. A name already there (a pty of another devpts instance) gets a suffix:
 * "pts0.1". Returns NULL when the directory could not be made.
 */
struct n_rust_stats_dir *n_rust_stats_dir_add(const char *name, u32 dev, const void *owner)
{
	struct n_rust_stats_dir *dir;
	struct kobject *taken;
	char unique[80];
	unsigned int n;
	int err = -EEXIST;

	if (!n_rust_stats_kset)
		return NULL;
	dir = kzalloc(sizeof(*dir), GFP_KERNEL);
	if (!dir)
		return NULL;
	dir->owner = owner;
	dir->dev = dev;
	dir->kobj.kset = n_rust_stats_kset;
	mutex_lock(&n_rust_stats_naming);
	for (n = 0; n < 100; n++) {
		if (n)
			snprintf(unique, sizeof(unique), "%s.%u", name, n);
		else
			strscpy(unique, name, sizeof(unique));
		taken = kset_find_obj(n_rust_stats_kset, unique);
		if (taken) {
			kobject_put(taken);
			continue;
		}
		err = kobject_init_and_add(&dir->kobj, &n_rust_stats_ktype, NULL, "%s", unique);
		break;
	}
	mutex_unlock(&n_rust_stats_naming);
	if (err == -EEXIST && n == 100) {
		kfree(dir);
		return NULL;
	}
	if (err) {
		/* kobject_init_and_add() ran: its reference frees the directory. */
		kobject_put(&dir->kobj);
		return NULL;
	}
	return dir;
}

/*
 * Removes the directory. When this returns, no read of its files runs any more (sysfs
 * drains them), so its owner may go.
 */
void n_rust_stats_dir_remove(struct n_rust_stats_dir *dir)
{
	kobject_del(&dir->kobj);
	kobject_put(&dir->kobj);
}
