//! Waiting for the flip-buffer workers. Input written to a master (and a slave's output and
//! echoes) reaches the other end's discipline through its flip buffer, received by a worker
//! after the writing call has returned; what the fuzzer compares must not depend on how far
//! that worker has come.

use crate::side::Side;

/// What is compared after each call besides its results: per side, `FIONREAD` and the poll
/// mask of the slave and of the master.
pub type Snapshot = Vec<(i64, i64, i16, i16)>;

/// `FIONREAD` of `fd`, or minus the errno.
pub fn fionread(fd: libc::c_int) -> i64 {
    let mut v: libc::c_int = -1;
    // SAFETY: FIONREAD writes one int to a valid pointer.
    let r = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut v) };
    if r < 0 {
        -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        i64::from(v)
    }
}

/// What a `poll` of `fd` for input, output and priority data reports now (-1 on error).
pub fn poll_mask(fd: libc::c_int) -> i16 {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN | libc::POLLOUT | libc::POLLPRI,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    if unsafe { libc::poll(&mut p, 1, 0) } < 0 {
        -1
    } else {
        p.revents
    }
}

/// Both sides' [`Snapshot`] entries, sampled once.
fn snapshot(sides: &[Side; 2]) -> Snapshot {
    use std::os::fd::AsRawFd;
    sides
        .iter()
        .map(|s| {
            // The polls first: one that finds no input waits for the pending flip work.
            let (ps, pm) = (
                poll_mask(s.slave.as_raw_fd()),
                poll_mask(s.master.as_raw_fd()),
            );
            (
                fionread(s.slave.as_raw_fd()),
                fionread(s.master.as_raw_fd()),
                ps,
                pm,
            )
        })
        .collect()
}

/// Waits until the flip work of both sides has settled. A `poll` of a tty with no input
/// waits for its pending flip work, so when no slave and no master has input (the slaves
/// polled first: their receive may echo to the masters) one sample is settled. Otherwise
/// samples are taken `sleep_us` apart until three in a row agree.
pub fn settle(sides: &[Side; 2], sleep_us: u32) -> Snapshot {
    let mut last = snapshot(sides);
    let mut same = 0;
    for _ in 0..200 {
        if last.iter().all(|s| (s.2 | s.3) & libc::POLLIN == 0) {
            return last;
        }
        // SAFETY: Plain syscalls.
        unsafe {
            libc::sched_yield();
            libc::usleep(sleep_us);
        }
        let now = snapshot(sides);
        if now == last {
            same += 1;
            if same == 2 {
                return now;
            }
        } else {
            same = 0;
        }
        last = now;
    }
    last
}

/// Waits until the flip-buffer worker has handed `fd`'s tty what its discipline takes of
/// what the flip buffer holds. A `poll` that finds no input waits for the pending flip work
/// (`tty_buffer_flush_work`); one that finds input may have come while the worker was still
/// delivering, so then `FIONREAD` is sampled `sleep_us` apart until three in a row agree.
pub fn await_receive(fd: libc::c_int, sleep_us: u32) {
    if poll_mask(fd) & libc::POLLIN == 0 {
        return;
    }
    let mut last = fionread(fd);
    let mut same = 0;
    for _ in 0..200 {
        // SAFETY: Plain syscalls.
        unsafe {
            libc::sched_yield();
            libc::usleep(sleep_us);
        }
        let now = fionread(fd);
        if now == last {
            same += 1;
            if same == 2 {
                return;
            }
        } else {
            same = 0;
        }
        last = now;
    }
}
