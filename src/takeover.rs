// SPDX-License-Identifier: GPL-2.0

//! Takeover mode (`takeover=1`): n_rust also serves line discipline 0, N_TTY's slot, so the
//! ttys the kernel sets up afterwards (virtual consoles, consoles, both ends of new ptys,
//! serial ports) and the ttys re-initialised after a hangup run it; `ntty_ldisc=N` keeps the
//! kernel's N_TTY reachable under number N. Unloading puts N_TTY back in slot 0. How the
//! slot is taken and given back, and why the table put back is never freed, is in
//! `crate::tty_ldisc::slot_zero`.

use crate::bindings;
use crate::discipline::NRust;
use crate::params;
use crate::slot_check;
use crate::tty_ldisc::{NttyRegistration, PermanentOps, PreparedNtty, PreparedSlotZero, SlotZero};
use kernel::prelude::*;
use kernel::ThisModule;

/// What `takeover=` and `ntty_ldisc=` asked for, checked.
pub(crate) struct TakeoverRequest {
    /// Where to register N_TTY's own operations as well, if anywhere.
    ntty_number: Option<u32>,
}

/// The `takeover` parameter.
fn takeover_param() -> bool {
    // SAFETY: The kernel writes the parameter before init and never after (0444, no setter),
    // so reading it here races with nothing.
    unsafe { core::ptr::addr_of!(bindings::n_rust_param_takeover).read() }
}

/// The `ntty_ldisc` parameter.
fn ntty_ldisc_param() -> i32 {
    // SAFETY: As for `takeover_param`.
    unsafe { core::ptr::addr_of!(bindings::n_rust_param_ntty_ldisc).read() }
}

/// Checks `takeover=` and `ntty_ldisc=` (with `ldisc`, the number n_rust registers); logs
/// why and fails on a refusal, as the check of `ldisc=` does. `Ok(None)` without takeover.
pub(crate) fn check_params(ldisc: u32) -> Result<Option<TakeoverRequest>> {
    let requested = ntty_ldisc_param();
    if !takeover_param() {
        if requested != 0 {
            pr_err!("ntty_ldisc={requested} refused: it needs takeover=1 (without it N_TTY keeps number 0)\n");
            return Err(EINVAL);
        }
        return Ok(None);
    }
    if requested == 0 {
        return Ok(Some(TakeoverRequest { ntty_number: None }));
    }
    let number = match params::validate_ldisc_number(requested) {
        Ok(number) => number,
        Err(reason) => {
            pr_err!("ntty_ldisc={requested} refused: {reason}\n");
            return Err(EINVAL);
        }
    };
    if number == ldisc {
        pr_err!("ntty_ldisc={number} refused: n_rust itself registers {ldisc} (ldisc=)\n");
        return Err(EINVAL);
    }
    if let Err(reason) = slot_check::check_slot_free(number) {
        pr_err!("ntty_ldisc={number} refused: {reason}\n");
        return Err(match reason {
            slot_check::SlotTaken::Held(_) => EBUSY,
            slot_check::SlotTaken::Unknown(err) => err,
        });
    }
    Ok(Some(TakeoverRequest {
        ntty_number: Some(number),
    }))
}

/// Slot 0 served by n_rust, and N_TTY under its spare number. On drop, N_TTY goes back into
/// slot 0 first (before anything is printed: see `Drop`), then its spare number is
/// unregistered.
pub(crate) struct Takeover {
    slot_zero: Option<SlotZero<NRust>>,
    _ntty: Option<NttyRegistration>,
}

/// Everything takeover mode needs, made ready: the table to put back found (or made), the
/// tables allocated. Nothing is registered yet.
pub(crate) struct PreparedTakeover {
    slot_zero: PreparedSlotZero<NRust>,
    ntty: Option<(u32, PreparedNtty)>,
}

impl TakeoverRequest {
    /// Does every step of takeover mode that can fail: the observation of slot 0 (or the
    /// leaked copy of N_TTY) and the allocations. Registers nothing, so a later failure of
    /// module init leaves no table of the module in the tty layer.
    pub(crate) fn prepare(self, module: &'static ThisModule) -> Result<PreparedTakeover> {
        let restore = match PermanentOps::observe_slot_zero() {
            Ok(ops) => ops,
            Err(e) if e == EBUSY => {
                pr_err!("takeover=1 refused: a module serves line discipline 0 (N_TTY's slot)\n");
                return Err(EBUSY);
            }
            Err(e) => {
                pr_info!("takeover: no pty to read slot 0 from ({e:?}); a copy of N_TTY's operations goes back on unload and is kept\n");
                PermanentOps::leak_copy_of_n_tty()?
            }
        };
        let ntty = match self.ntty_number {
            Some(number) => Some((number, NttyRegistration::prepare(number, module)?)),
            None => None,
        };
        Ok(PreparedTakeover {
            slot_zero: SlotZero::prepare(c"n_rust", module, restore)?,
            ntty,
        })
    }
}

impl PreparedTakeover {
    /// Registers N_TTY under its spare number, then n_rust in slot 0; cannot fail. Must come
    /// after every step of module init that can fail (see [`PreparedSlotZero::take`]).
    pub(crate) fn start(self) -> Takeover {
        let ntty = self.ntty.map(|(number, ntty)| (number, ntty.register()));
        let slot_zero = self.slot_zero.take();
        pr_info!(
            "takeover: n_rust serves line discipline 0 (N_TTY's slot); unloading puts back {:?}\n",
            slot_zero.restore_name()
        );
        if let Some((number, _)) = &ntty {
            pr_info!("takeover: N_TTY registered as number {number} (n_tty)\n");
        }
        Takeover {
            slot_zero: Some(slot_zero),
            _ntty: ntty.map(|(_, registration)| registration),
        }
    }
}

impl Drop for Takeover {
    fn drop(&mut self) {
        // Slot 0 first, the message after: until the slot is given back, every lookup of
        // N_TTY fails (this module is going, `try_module_get()` refuses it), and a message
        // on a serial console takes milliseconds.
        drop(self.slot_zero.take());
        pr_info!("takeover: N_TTY is back in line discipline 0\n");
    }
}
