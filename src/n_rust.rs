// SPDX-License-Identifier: GPL-2.0

//! n_rust: a TTY line discipline written in Rust, with the semantics of N_TTY.
//!
//! Loading the module registers the discipline `n_rust` under the number given by the
//! `ldisc` parameter (default 29, `N_DEVELOPMENT`, the number reserved for out-of-tree
//! work). User space attaches it to a tty with `ioctl(fd, TIOCSETD, &number)`, for example
//! with util-linux `ldattach`. The tty layer holds a reference on this module for every tty
//! using the discipline, so the module cannot be unloaded while one does.
//!
//! With `takeover=1` it also serves number 0, N_TTY's slot, so every tty set up afterwards
//! runs it; `ntty_ldisc=N` keeps the kernel's N_TTY reachable as N. Unloading puts N_TTY
//! back (`crate::takeover`).

mod background_read;
mod bindings;
mod discipline;
pub mod engine;
mod layout;
mod params;
mod slot_check;
mod stats_proc;
mod takeover;
mod task;
mod tty_actions;
mod tty_audit;
mod tty_ldisc;

#[cfg(CONFIG_KUNIT)]
mod kunit;

use kernel::prelude::*;

module! {
    type: NRustModule,
    name: "n_rust",
    authors: ["n_rust developers"],
    description: "TTY line discipline with N_TTY semantics, in Rust",
    license: "GPL",
    // MODULE_ALIAS_LDISC(29): the tty layer asks for "tty-ldisc-<n>" when a TIOCSETD names a
    // number nothing has registered, so modprobe loads n_rust for its default number. A
    // module alias is a fixed string: with another `ldisc=` nothing is loaded on demand.
    alias: ["tty-ldisc-29"],
    params: {
        ldisc: i32 {
            default: crate::params::DEFAULT_LDISC,
            description: "Line discipline number to register (1..30, not one another discipline holds or an in-tree one owns; default 29 = N_DEVELOPMENT)",
        },
    },
}

/// The loaded module: owns the registration of the discipline and, in takeover mode, slot 0.
/// On drop, slot 0 is given back before number `ldisc` is unregistered, and both before
/// anything is printed.
struct NRustModule {
    takeover: Option<takeover::Takeover>,
    registration: Option<tty_ldisc::Registration<discipline::NRust>>,
    /// `/proc/tty/n_rust`, the ttys' counters (`stats_proc`): made before the discipline
    /// is registered and, a field, removed after `drop` has unregistered it.
    _stats_root: stats_proc::StatsRoot,
}

impl kernel::Module for NRustModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let requested = module_parameters::ldisc.value();
        let number = match params::validate_ldisc_number(requested) {
            Ok(number) => number,
            Err(reason) => {
                pr_err!("ldisc={requested} refused: {reason}\n");
                return Err(EINVAL);
            }
        };
        if let Err(reason) = slot_check::check_slot_free(number) {
            pr_err!("ldisc={number} refused: {reason}\n");
            return Err(match reason {
                slot_check::SlotTaken::Held(_) => EBUSY,
                slot_check::SlotTaken::Unknown(err) => err,
            });
        }
        let takeover = takeover::check_params(number)?;
        // Every step that can fail comes before the first registration: a failed init frees
        // the module whatever its count, so a tty that took one of its tables in between
        // would be left pointing into freed memory. The registrations themselves cannot fail.
        let stats_root = stats_proc::StatsRoot::create()?;
        let registration = tty_ldisc::Registration::prepare(c"n_rust", number, module)?;
        let takeover = match takeover {
            Some(request) => Some(request.prepare(module)?),
            None => None,
        };
        let registration = registration.register();
        pr_info!("registered line discipline n_rust as number {number}\n");
        // Slot 0 last: from then on every new tty holds the module.
        let takeover = takeover.map(takeover::PreparedTakeover::start);
        Ok(Self {
            takeover,
            registration: Some(registration),
            _stats_root: stats_root,
        })
    }
}

impl Drop for NRustModule {
    fn drop(&mut self) {
        // The printing comes last: slot 0 must be given back first (see `takeover::Takeover`).
        drop(self.takeover.take());
        drop(self.registration.take());
        pr_info!("unregistered line discipline n_rust\n");
    }
}
