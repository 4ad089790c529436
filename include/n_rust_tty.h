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
#include <linux/wait.h>

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
