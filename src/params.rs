// SPDX-License-Identifier: GPL-2.0

//! Validation of the module parameters.

use crate::bindings;

/// The number n_rust registers when `ldisc=` is not given: 29, `N_DEVELOPMENT`, the number
/// reserved for out-of-tree work. The module's alias (`tty-ldisc-29`, in `module!`) names it.
pub(crate) const DEFAULT_LDISC: i32 = bindings::N_DEVELOPMENT as i32;

/// Line disciplines built into this kernel, by number, with the option that builds them in.
///
/// `tty_register_ldisc()` silently replaces whatever holds a slot, so a number that a
/// built-in discipline uses must be refused before registering. N_TTY (0) is always built
/// in; N_NULL is built with the tty layer itself.
const BUILT_IN_LDISCS: &[(u32, &str, bool)] = &[
    (bindings::N_TTY, "N_TTY", true),
    (bindings::N_SLIP, "N_SLIP", cfg!(CONFIG_SLIP = "y")),
    (
        bindings::N_MOUSE,
        "N_MOUSE",
        cfg!(CONFIG_SERIO_SERPORT = "y"),
    ),
    (bindings::N_PPP, "N_PPP", cfg!(CONFIG_PPP_ASYNC = "y")),
    (bindings::N_HDLC, "N_HDLC", cfg!(CONFIG_N_HDLC = "y")),
    (
        bindings::N_SYNC_PPP,
        "N_SYNC_PPP",
        cfg!(CONFIG_PPP_SYNC_TTY = "y"),
    ),
    (bindings::N_HCI, "N_HCI", cfg!(CONFIG_BT_HCIUART = "y")),
    (bindings::N_SLCAN, "N_SLCAN", cfg!(CONFIG_CAN_SLCAN = "y")),
    (
        bindings::N_PPS,
        "N_PPS",
        cfg!(CONFIG_PPS_CLIENT_LDISC = "y"),
    ),
    (
        bindings::N_V253,
        "N_V253",
        cfg!(CONFIG_SND_SOC_OMAP_AMS_DELTA = "y"),
    ),
    (bindings::N_GSM0710, "N_GSM0710", cfg!(CONFIG_N_GSM = "y")),
    (bindings::N_NCI, "N_NCI", cfg!(CONFIG_NFC_NCI_UART = "y")),
    (bindings::N_SPEAKUP, "N_SPEAKUP", cfg!(CONFIG_SPEAKUP = "y")),
    (bindings::N_NULL, "N_NULL", cfg!(CONFIG_TTY = "y")),
    (bindings::N_MCTP, "N_MCTP", cfg!(CONFIG_MCTP_SERIAL = "y")),
    (
        bindings::N_CAN327,
        "N_CAN327",
        cfg!(CONFIG_CAN_CAN327 = "y"),
    ),
];

/// Why a requested discipline number was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LdiscNumberError {
    /// Outside `1..NR_LDISCS` (0 is N_TTY).
    OutOfRange,
    /// A discipline built into the kernel holds the number.
    BuiltIn(&'static str),
}

impl kernel::fmt::Display for LdiscNumberError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfRange => write!(f, "must be in 1..{}", bindings::NR_LDISCS - 1),
            Self::BuiltIn(name) => write!(f, "the built-in line discipline {name} holds it"),
        }
    }
}

/// Checks the `ldisc` module parameter; returns the number to register.
pub(crate) fn validate_ldisc_number(requested: i32) -> Result<u32, LdiscNumberError> {
    let number = u32::try_from(requested).map_err(|_| LdiscNumberError::OutOfRange)?;
    if number == 0 || number >= bindings::NR_LDISCS {
        return Err(LdiscNumberError::OutOfRange);
    }
    match BUILT_IN_LDISCS
        .iter()
        .find(|&&(n, _, built_in)| n == number && built_in)
    {
        Some(&(_, name, _)) => Err(LdiscNumberError::BuiltIn(name)),
        None => Ok(number),
    }
}
