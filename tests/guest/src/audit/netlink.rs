//! TTY auditing of this process, set and read through the audit subsystem's netlink socket,
//! as `pam_tty_audit` does: `AUDIT_TTY_SET` and `AUDIT_TTY_GET` carry a `struct
//! audit_tty_status` (`include/uapi/linux/audit.h`). The kernel changes the setting of the
//! process that sends the message; it needs `CAP_AUDIT_CONTROL` (root in the guest).

use n_rust_guest_tests::sys::check;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `NETLINK_AUDIT`, the audit subsystem's netlink protocol.
const NETLINK_AUDIT: libc::c_int = 9;
/// Message types of `include/uapi/linux/audit.h`.
const AUDIT_TTY_GET: u16 = 1016;
const AUDIT_TTY_SET: u16 = 1017;
/// `NLMSG_HDRLEN`: a netlink header, aligned.
const HEADER: usize = 16;

/// A netlink socket to the audit subsystem.
pub struct AuditSocket {
    fd: OwnedFd,
    seq: u32,
}

/// A process's TTY auditing, as `struct audit_tty_status` has it.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct TtyAuditing {
    /// `enabled`: input the process reads from ttys is recorded.
    pub enabled: bool,
    /// `log_passwd`: canonical input read without echo is recorded too.
    pub log_passwd: bool,
}

impl AuditSocket {
    /// Opens the socket; fails (`ENOSYS`, `EAFNOSUPPORT`, `EPROTONOSUPPORT`) on a kernel
    /// without networking or without the audit subsystem.
    pub fn open() -> io::Result<Self> {
        // SAFETY: Plain system calls; the fd is owned by the result.
        unsafe {
            let fd = check(libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                NETLINK_AUDIT,
            ) as libc::c_long)?;
            let fd = OwnedFd::from_raw_fd(fd as i32);
            let timeout = libc::timeval {
                tv_sec: 5,
                tv_usec: 0,
            };
            check(libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            ) as libc::c_long)?;
            Ok(Self { fd, seq: 0 })
        }
    }

    /// Turns this process's TTY auditing on or off.
    pub fn set_tty(&mut self, setting: TtyAuditing) -> io::Result<()> {
        let payload = [u32::from(setting.enabled), u32::from(setting.log_passwd)];
        let bytes: Vec<u8> = payload.iter().flat_map(|w| w.to_ne_bytes()).collect();
        self.request(AUDIT_TTY_SET, &bytes).map(drop)
    }

    /// This process's TTY auditing, as the kernel has it.
    pub fn get_tty(&mut self) -> io::Result<TtyAuditing> {
        let reply = self.request(AUDIT_TTY_GET, &[])?;
        let word = |i: usize| {
            reply
                .get(i * 4..i * 4 + 4)
                .map(|b| u32::from_ne_bytes(b.try_into().expect("4 bytes")))
        };
        match (word(0), word(1)) {
            (Some(enabled), Some(log_passwd)) => Ok(TtyAuditing {
                enabled: enabled != 0,
                log_passwd: log_passwd != 0,
            }),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("AUDIT_TTY_GET reply of {} bytes", reply.len()),
            )),
        }
    }

    /// Sends a request of type `kind` with an acknowledgement asked for, and waits for the
    /// acknowledgement and, for `AUDIT_TTY_GET`, the reply (sent from a kernel thread, so in
    /// either order); returns the reply's payload (empty for `AUDIT_TTY_SET`).
    fn request(&mut self, kind: u16, payload: &[u8]) -> io::Result<Vec<u8>> {
        self.seq += 1;
        let seq = self.seq;
        let len = HEADER + payload.len();
        let mut message = Vec::with_capacity(len);
        message.extend_from_slice(&(len as u32).to_ne_bytes());
        message.extend_from_slice(&kind.to_ne_bytes());
        let flags = (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
        message.extend_from_slice(&flags.to_ne_bytes());
        message.extend_from_slice(&seq.to_ne_bytes());
        message.extend_from_slice(&0u32.to_ne_bytes());
        message.extend_from_slice(payload);
        // SAFETY: `sockaddr_nl` is plain data; zero is the kernel's port id.
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `message` and `kernel` are valid for the call.
        check(unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                message.as_ptr().cast(),
                message.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        } as libc::c_long)?;

        let mut acked = false;
        let mut reply = None;
        let mut buf = vec![0u8; 8192];
        while !acked || (kind == AUDIT_TTY_GET && reply.is_none()) {
            // SAFETY: `buf` is valid for writes of its length.
            let n = check(unsafe {
                libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0)
            } as libc::c_long)? as usize;
            let mut at = 0;
            while at + HEADER <= n {
                let field =
                    |o: usize| u32::from_ne_bytes(buf[at + o..at + o + 4].try_into().unwrap());
                let msg_len = field(0) as usize;
                let msg_type = u16::from_ne_bytes([buf[at + 4], buf[at + 5]]);
                if msg_len < HEADER || at + msg_len > n {
                    break;
                }
                if field(8) == seq {
                    if msg_type == libc::NLMSG_ERROR as u16 {
                        let error = field(HEADER) as i32;
                        if error != 0 {
                            return Err(io::Error::from_raw_os_error(-error));
                        }
                        acked = true;
                    } else if msg_type == kind {
                        reply = Some(buf[at + HEADER..at + msg_len].to_vec());
                    }
                }
                at += (msg_len + 3) & !3;
            }
        }
        Ok(reply.unwrap_or_default())
    }
}
