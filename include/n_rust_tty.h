/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C API that n_rust binds to, fed to bindgen by Kbuild.
 *
 * The kernel's own `bindings` crate knows `struct tty_struct` and friends only as opaque
 * types: <linux/tty.h> is not in rust/bindings/bindings_helper.h. This header pulls in the
 * tty layer so that bindgen can lay those structures out for us. Only tty types are
 * generated (see include/bindgen_parameters); every other type they refer to resolves to
 * the kernel crate's `kernel::bindings`, so the two never disagree.
 */
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/tty_ldisc.h>
#include <linux/tty_port.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/fs_struct.h>
#include <linux/wait.h>

/*
 * Exported by tty_jobctrl.c (EXPORT_SYMBOL) but declared only in the private
 * drivers/tty/tty.h: the job-control check a writer makes with TOSTOP (SIGTTOU).
 */
int tty_check_change(struct tty_struct *tty);

/*
 * Wrappers in src/helpers.c, for kernel functions that are macros in some configurations.
 * mutex_is_locked(): a function without PREEMPT_RT, a macro with it.
 */
bool n_rust_mutex_is_locked(struct mutex *lock);

/* signal_pending(current); src/helpers.c. */
bool n_rust_signal_pending(void);

/* init_wait_func(entry, woken_wake_function), then add_wait_queue(); src/helpers.c. */
void n_rust_add_woken_wait(struct wait_queue_head *queue, struct wait_queue_entry *entry);

/*
 * The tty of `file` if it is an open pty master from ptmx_open() (a character device
 * 5:2 opened through its cdev, the tty layer's ptmx), else NULL; src/helpers.c.
 */
struct tty_struct *n_rust_ptmx_tty(struct file *file);

/* The takeover parameters, defined in src/helpers.c (visible in sysfs, 0444). */
extern bool n_rust_param_takeover;
extern int n_rust_param_ntty_ldisc;

/*
 * The per-tty counters in /proc/tty/n_rust (src/helpers.c, src/stats_proc.rs): one line per
 * tty, the counters in this order, which is the order of the values in src/stats_proc.rs
 * (COUNTER_VALUES).
 */
#define N_RUST_STATS_COUNTERS(X) \
	X(received) X(read) X(written) X(echoed) \
	X(sigint) X(sigquit) X(sigtstp) X(sigttin) X(sigttou) \
	X(overruns) X(drops) X(throttles) X(unthrottles) X(lines)
#define N_RUST_STATS_INDEX(name) N_RUST_STATS_##name,
enum n_rust_stats_counter { N_RUST_STATS_COUNTERS(N_RUST_STATS_INDEX) N_RUST_STATS_NR };
const unsigned int N_RUST_CONST_STATS_NR = N_RUST_STATS_NR;
/* Reads the `nr` counters of the discipline state `owner` into `values`. */
typedef void (*n_rust_stats_values_fn)(const void *owner, u64 *values, unsigned int nr);
/*
 * One tty's line: kept in the discipline's per-tty state (no allocation of its own), listed
 * by n_rust_stats_add() and taken off by n_rust_stats_remove(), both under the list's mutex.
 */
struct n_rust_stats_entry {
	struct list_head node;
	const void *owner;
	dev_t dev;
	char name[80];
};
int n_rust_stats_init(n_rust_stats_values_fn values);
void n_rust_stats_exit(void);
int n_rust_stats_add(struct n_rust_stats_entry *entry, const char *name, u32 dev,
		     const void *owner);
void n_rust_stats_remove(struct n_rust_stats_entry *entry);

/*
 * Field offsets, computed by clang from the real headers. The kernel crate's generated
 * layout of struct task_struct does not match the kernel's on this configuration
 * (task_struct::signal comes out 48 bytes early), so n_rust reaches the task fields it needs
 * through these offsets, and checks every other field it reads through kernel::bindings
 * against them at build time (src/layout.rs).
 */
#define N_RUST_OFFSET(name, type, member) \
	const unsigned long N_RUST_CONST_OFFSET_##name = offsetof(type, member)
N_RUST_OFFSET(TASK_SIGNAL, struct task_struct, signal);
N_RUST_OFFSET(TASK_SIGHAND, struct task_struct, sighand);
N_RUST_OFFSET(TASK_BLOCKED, struct task_struct, blocked);
N_RUST_OFFSET(TASK_REAL_PARENT, struct task_struct, real_parent);
N_RUST_OFFSET(TASK_EXIT_STATE, struct task_struct, exit_state);
N_RUST_OFFSET(TASK_TGID, struct task_struct, tgid);
N_RUST_OFFSET(TASK_PGID_LINK, struct task_struct, pid_links[PIDTYPE_PGID]);
N_RUST_OFFSET(TASK_TI_FLAGS, struct task_struct, thread_info.flags);
N_RUST_OFFSET(TASK_FS, struct task_struct, fs);
N_RUST_OFFSET(SIGNAL_TTY, struct signal_struct, tty);
N_RUST_OFFSET(SIGNAL_PGID, struct signal_struct, pids[PIDTYPE_PGID]);
N_RUST_OFFSET(SIGNAL_SID, struct signal_struct, pids[PIDTYPE_SID]);
N_RUST_OFFSET(SIGNAL_NR_THREADS, struct signal_struct, nr_threads);
N_RUST_OFFSET(SIGHAND_ACTION, struct sighand_struct, action);
N_RUST_OFFSET(PID_PGID_TASKS, struct pid, tasks[PIDTYPE_PGID]);
N_RUST_OFFSET(FILE_F_FLAGS, struct file, f_flags);
N_RUST_OFFSET(FILE_F_INODE, struct file, f_inode);
N_RUST_OFFSET(FILE_PRIVATE_DATA, struct file, private_data);
N_RUST_OFFSET(INODE_I_RDEV, struct inode, i_rdev);
N_RUST_OFFSET(WAIT_ENTRY_FUNC, struct wait_queue_entry, func);
#ifdef CONFIG_AUDIT
#include <linux/audit.h>
/*
 * The TTY auditing setting of a process (src/tty_audit.rs), read by offset as the other
 * signal_struct fields; the field and its bits exist only with CONFIG_AUDIT.
 */
N_RUST_OFFSET(SIGNAL_AUDIT_TTY, struct signal_struct, audit_tty);
/* Who was refused, for the log line: the kernel crate's Task::pid() reads a wrong offset. */
N_RUST_OFFSET(TASK_COMM, struct task_struct, comm);
const unsigned long N_RUST_CONST_SIZEOF_TASK_COMM = sizeof(((struct task_struct *)0)->comm);
const unsigned long N_RUST_CONST_SIZEOF_SIGNAL_AUDIT_TTY =
	sizeof(((struct signal_struct *)0)->audit_tty);
const unsigned int N_RUST_CONST_AUDIT_TTY_ENABLE = AUDIT_TTY_ENABLE;
const unsigned int N_RUST_CONST_AUDIT_TTY_LOG_PASSWD = AUDIT_TTY_LOG_PASSWD;
#endif
#ifdef CONFIG_KUNIT
#include <kunit/test.h>
/* The KUnit suites (src/kunit.rs) fill these fields of the kernel crate's struct kunit. */
N_RUST_OFFSET(KUNIT_PARAMS_ARRAY, struct kunit, params_array);
N_RUST_OFFSET(KUNIT_PARAM_VALUE, struct kunit, param_value);
const unsigned long N_RUST_CONST_SIZEOF_KUNIT_PARAMS = sizeof(struct kunit_params);
#endif
const unsigned long N_RUST_CONST_SIZEOF_K_SIGACTION = sizeof(struct k_sigaction);
const unsigned long N_RUST_CONST_SIZEOF_WAIT_ENTRY = sizeof(struct wait_queue_entry);

/*
 * Constants whose macros bindgen cannot evaluate (casts, enum members). bindgen turns
 * these into Rust constants; src/bindings.rs strips the N_RUST_CONST_ prefix, as the
 * kernel does with RUST_CONST_HELPER_.
 */
const __poll_t N_RUST_CONST_EPOLLIN = EPOLLIN;
const __poll_t N_RUST_CONST_EPOLLPRI = EPOLLPRI;
const __poll_t N_RUST_CONST_EPOLLOUT = EPOLLOUT;
const __poll_t N_RUST_CONST_EPOLLHUP = EPOLLHUP;
const __poll_t N_RUST_CONST_EPOLLRDNORM = EPOLLRDNORM;
const __poll_t N_RUST_CONST_EPOLLWRNORM = EPOLLWRNORM;
const long N_RUST_CONST_MAX_SCHEDULE_TIMEOUT = MAX_SCHEDULE_TIMEOUT;
const int N_RUST_CONST_TTY_OTHER_CLOSED = TTY_OTHER_CLOSED;
const int N_RUST_CONST_TTY_THROTTLED = TTY_THROTTLED;
const int N_RUST_CONST_TTY_LDISC_HALTED = TTY_LDISC_HALTED;
const int N_RUST_CONST_TTY_HUPPING = TTY_HUPPING;
const int N_RUST_CONST_TTY_LDISC_CHANGING = TTY_LDISC_CHANGING;
const int N_RUST_CONST_TTY_DO_WRITE_WAKEUP = TTY_DO_WRITE_WAKEUP;
const int N_RUST_CONST_POLL_IN = POLL_IN;
const int N_RUST_CONST_POLL_OUT = POLL_OUT;
const long N_RUST_CONST_HZ = HZ;
