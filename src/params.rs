// SPDX-License-Identifier: GPL-2.0

//! Validation of the module parameters.

use crate::bindings;

/// The number n_rust registers when `ldisc=` is not given: 29, `N_DEVELOPMENT`, the number
/// reserved for out-of-tree work. The module's alias (`tty-ldisc-29`, in `module!`) names it.
pub(crate) const DEFAULT_LDISC: i32 = bindings::N_DEVELOPMENT as i32;

/// How this kernel has an in-tree line discipline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InTree {
    /// Not configured.
    Absent,
    /// Built in: registered at boot, it appears in `/proc/tty/ldiscs`.
    BuiltIn,
    /// Built as a module: it registers its number when loaded (for example by the kernel's
    /// `tty-ldisc-N` autoload on `TIOCSETD`) and would silently replace n_rust there.
    Module,
}

/// An option's state from whether it is `y` and whether it is `m`.
const fn in_tree(built_in: bool, module: bool) -> InTree {
    if built_in {
        InTree::BuiltIn
    } else if module {
        InTree::Module
    } else {
        InTree::Absent
    }
}

/// In-tree line disciplines by number, with the option that builds them.
///
/// `tty_register_ldisc()` silently replaces whatever holds a slot, so a number that an
/// in-tree discipline of this kernel uses (built in, or as a module that may be loaded
/// later) is refused before registering; `crate::slot_check` refuses any other number that
/// a loaded module holds. N_TTY (0) is always built in; N_NULL is built with the tty layer.
const IN_TREE_LDISCS: &[(u32, &str, InTree)] = &[
    (bindings::N_TTY, "N_TTY", InTree::BuiltIn),
    (
        bindings::N_SLIP,
        "N_SLIP",
        in_tree(cfg!(CONFIG_SLIP = "y"), cfg!(CONFIG_SLIP = "m")),
    ),
    (
        bindings::N_MOUSE,
        "N_MOUSE",
        in_tree(
            cfg!(CONFIG_SERIO_SERPORT = "y"),
            cfg!(CONFIG_SERIO_SERPORT = "m"),
        ),
    ),
    (
        bindings::N_PPP,
        "N_PPP",
        in_tree(cfg!(CONFIG_PPP_ASYNC = "y"), cfg!(CONFIG_PPP_ASYNC = "m")),
    ),
    (
        bindings::N_HDLC,
        "N_HDLC",
        in_tree(cfg!(CONFIG_N_HDLC = "y"), cfg!(CONFIG_N_HDLC = "m")),
    ),
    (
        bindings::N_SYNC_PPP,
        "N_SYNC_PPP",
        in_tree(
            cfg!(CONFIG_PPP_SYNC_TTY = "y"),
            cfg!(CONFIG_PPP_SYNC_TTY = "m"),
        ),
    ),
    (
        bindings::N_HCI,
        "N_HCI",
        in_tree(cfg!(CONFIG_BT_HCIUART = "y"), cfg!(CONFIG_BT_HCIUART = "m")),
    ),
    (
        bindings::N_SLCAN,
        "N_SLCAN",
        in_tree(cfg!(CONFIG_CAN_SLCAN = "y"), cfg!(CONFIG_CAN_SLCAN = "m")),
    ),
    (
        bindings::N_PPS,
        "N_PPS",
        in_tree(
            cfg!(CONFIG_PPS_CLIENT_LDISC = "y"),
            cfg!(CONFIG_PPS_CLIENT_LDISC = "m"),
        ),
    ),
    (
        bindings::N_V253,
        "N_V253",
        in_tree(
            cfg!(CONFIG_SND_SOC_OMAP_AMS_DELTA = "y"),
            cfg!(CONFIG_SND_SOC_OMAP_AMS_DELTA = "m"),
        ),
    ),
    (
        bindings::N_GSM0710,
        "N_GSM0710",
        in_tree(cfg!(CONFIG_N_GSM = "y"), cfg!(CONFIG_N_GSM = "m")),
    ),
    (
        bindings::N_NCI,
        "N_NCI",
        in_tree(
            cfg!(CONFIG_NFC_NCI_UART = "y"),
            cfg!(CONFIG_NFC_NCI_UART = "m"),
        ),
    ),
    (
        bindings::N_SPEAKUP,
        "N_SPEAKUP",
        in_tree(cfg!(CONFIG_SPEAKUP = "y"), cfg!(CONFIG_SPEAKUP = "m")),
    ),
    (bindings::N_NULL, "N_NULL", InTree::BuiltIn),
    (
        bindings::N_MCTP,
        "N_MCTP",
        in_tree(
            cfg!(CONFIG_MCTP_SERIAL = "y"),
            cfg!(CONFIG_MCTP_SERIAL = "m"),
        ),
    ),
    (
        bindings::N_CAN327,
        "N_CAN327",
        in_tree(cfg!(CONFIG_CAN_CAN327 = "y"), cfg!(CONFIG_CAN_CAN327 = "m")),
    ),
];

/// Why a requested discipline number was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LdiscNumberError {
    /// Outside `1..NR_LDISCS` (0 is N_TTY).
    OutOfRange,
    /// A discipline built into the kernel holds the number.
    BuiltIn(&'static str),
    /// A discipline of this kernel, built as a module, owns the number.
    ModuleOwned(&'static str),
}

impl kernel::fmt::Display for LdiscNumberError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfRange => write!(f, "must be in 1..{}", bindings::NR_LDISCS - 1),
            Self::BuiltIn(name) => write!(f, "the built-in line discipline {name} holds it"),
            Self::ModuleOwned(name) => write!(
                f,
                "the line discipline {name}, built as a module of this kernel, owns it"
            ),
        }
    }
}

/// Checks the `ldisc` module parameter; returns the number to register.
pub(crate) fn validate_ldisc_number(requested: i32) -> Result<u32, LdiscNumberError> {
    let number = u32::try_from(requested).map_err(|_| LdiscNumberError::OutOfRange)?;
    if number == 0 || number >= bindings::NR_LDISCS {
        return Err(LdiscNumberError::OutOfRange);
    }
    match IN_TREE_LDISCS.iter().find(|&&(n, _, _)| n == number) {
        Some(&(_, name, InTree::BuiltIn)) => Err(LdiscNumberError::BuiltIn(name)),
        Some(&(_, name, InTree::Module)) => Err(LdiscNumberError::ModuleOwned(name)),
        _ => Ok(number),
    }
}
