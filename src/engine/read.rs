//! The read side (`n_tty_read` without its sleeping): availability (`input_available_p`),
//! `TIOCINQ`, the raw and canonical copies to the reader and the continuation protocol.
//! The VMIN/VTIME decision is in [`super::vmin_vtime`].

use super::actions::{Actions, ReadError};
use super::state::{Engine, DISABLED_CHAR, MASK, N_TTY_BUF_SIZE};
use super::termios::{LFlag, Termios, VEOF, VMIN, VTIME};
use super::vmin_vtime::Timeout;

impl Engine {
    /// Is there something for a reader (`input_available_p`)? `poll` selects the
    /// VMIN rule of `poll()`.
    pub fn input_available(&self, t: &Termios, poll: bool) -> bool {
        let amt = if poll && t.cc(VTIME) == 0 && t.cc(VMIN) != 0 {
            t.cc(VMIN) as usize
        } else {
            1
        };
        if self.icanon && !t.l(LFlag::EXTPROC) {
            self.canon_head != self.read_tail
        } else {
            self.commit_head.wrapping_sub(self.read_tail) >= amt
        }
    }

    /// Bytes FIONREAD/TIOCINQ reports (`n_tty_ioctl`): complete lines without
    /// their EOF markers in canonical mode.
    pub fn inq(&self, t: &Termios) -> usize {
        if t.l(LFlag::ICANON) && !t.l(LFlag::EXTPROC) {
            if self.canon_head == self.read_tail {
                return 0;
            }
            let head = self.canon_head;
            let mut tail = self.read_tail;
            let mut nr = head.wrapping_sub(tail);
            let mut guard = 0;
            while head & MASK != tail & MASK && guard < N_TTY_BUF_SIZE {
                if self.flag_test(tail) && self.rb(tail) == DISABLED_CHAR {
                    nr = nr.saturating_sub(1);
                }
                tail = tail.wrapping_add(1);
                guard += 1;
            }
            nr
        } else {
            self.read_cnt()
        }
    }

    /// Clear the bytes just copied to the reader when ICANON is set without ECHO, so a
    /// password typed does not linger in the buffer (`zero_buffer`).
    fn zero_buffer(&mut self, t: &Termios, from: usize, n: usize) {
        if t.l(LFlag::ICANON) && !t.l(LFlag::ECHO) {
            for i in 0..n {
                self.rb_set(from.wrapping_add(i), 0);
            }
        }
    }

    /// Raw-mode copy (`copy_from_read_buf`): returns (bytes copied, more to copy).
    pub fn copy_from_read_buf(&mut self, t: &Termios, out: &mut [u8]) -> (usize, bool) {
        let head = self.commit_head;
        let tail = self.read_tail & MASK;
        let n = head
            .wrapping_sub(self.read_tail)
            .min(N_TTY_BUF_SIZE - tail)
            .min(out.len());
        if n == 0 {
            return (0, false);
        }
        for (i, o) in out.iter_mut().take(n).enumerate() {
            *o = self.rb(tail + i);
        }
        let is_eof = n == 1 && self.rb(tail) == t.cc(VEOF);
        self.zero_buffer(t, tail, n);
        self.read_tail = self.read_tail.wrapping_add(n);
        if t.l(LFlag::EXTPROC) && self.icanon && is_eof && head == self.read_tail {
            return (0, false);
        }
        (n, head != self.read_tail)
    }

    /// Canonical-mode copy of (part of) one line (`canon_copy_from_read_buf`):
    /// returns (bytes copied, more of this line to copy).
    pub fn canon_copy_from_read_buf(&mut self, t: &Termios, out: &mut [u8]) -> (usize, bool) {
        if out.is_empty() {
            return (0, false);
        }
        let canon_head = self.canon_head;
        let avail = canon_head.wrapping_sub(self.read_tail).min(N_TTY_BUF_SIZE);
        let n0 = out.len().min(avail);
        let tail = self.read_tail;
        let mut eol = None;
        for i in 0..n0 {
            if self.flag_test(tail.wrapping_add(i)) {
                eol = Some(i);
                break;
            }
        }
        let (mut n, c, found) = match eol {
            Some(i) => (i, i + 1, true),
            None => (n0, n0, false),
        };
        if !found || self.rb(tail.wrapping_add(n)) != DISABLED_CHAR {
            n = c;
        }
        for (i, o) in out.iter_mut().take(n).enumerate() {
            *o = self.rb(tail.wrapping_add(i));
        }
        self.zero_buffer(t, tail, n);
        if found {
            self.flag_clear(tail.wrapping_add(c - 1));
        }
        self.read_tail = self.read_tail.wrapping_add(c);
        if found {
            if !self.push {
                self.line_start = self.read_tail;
            } else {
                self.push = false;
            }
            return (n, false);
        }
        (n, self.read_tail != canon_head)
    }

    /// After a canonical read filled the user buffer exactly: eat an EOF marker
    /// sitting at the read position (`canon_skip_eof`).
    pub fn canon_skip_eof(&mut self) {
        let tail = self.read_tail;
        if tail == self.canon_head {
            return;
        }
        if !self.flag_test(tail) || self.rb(tail) != DISABLED_CHAR {
            return;
        }
        self.flag_clear(tail);
        self.read_tail = self.read_tail.wrapping_add(1);
    }

    /// One call of the line discipline's `read` for a non-blocking file with no
    /// packet mode (`n_tty_read`, including the continuation `cookie` protocol):
    /// copies into `out`; `Ok(0)` is end-of-file (canonical) or nothing with
    /// VMIN = VTIME = 0.
    pub fn ldisc_read(
        &mut self,
        t: &Termios,
        out: &mut [u8],
        cookie: &mut bool,
        a: &mut impl Actions,
    ) -> Result<usize, ReadError> {
        let canon = self.icanon && !t.l(LFlag::EXTPROC);
        if *cookie {
            let mut k = 0usize;
            if canon {
                if out.is_empty() {
                    self.canon_skip_eof();
                } else {
                    let (n, more) = self.canon_copy_from_read_buf(t, out);
                    k = n;
                    if more {
                        return Ok(k);
                    }
                }
            } else {
                let (n, more) = self.copy_from_read_buf(t, out);
                k = n;
                if more {
                    return Ok(k);
                }
            }
            self.kick_worker(a);
            self.check_unthrottle(a);
            *cookie = false;
            return Ok(k);
        }

        let policy = self.read_policy(t);
        let mut minimum = policy.minimum;
        if minimum == 0 && !self.icanon {
            minimum = 1;
        }
        let mut timeout = policy.first;
        let old_tail = self.read_tail;
        let mut kb = 0usize;
        let mut retval: Result<usize, ReadError> = Ok(0);
        let mut guard = 0usize;
        while kb < out.len() && guard <= 2 * N_TTY_BUF_SIZE {
            guard += 1;
            if !self.input_available(t, false) {
                if timeout == Timeout::Immediate {
                    retval = Ok(0);
                } else {
                    retval = Err(ReadError::WouldBlock);
                }
                break;
            }
            let rest = out.get_mut(kb..).unwrap_or(&mut []);
            if canon {
                let (n, more) = self.canon_copy_from_read_buf(t, rest);
                kb += n;
                if more {
                    *cookie = true;
                    return Ok(kb);
                }
            } else {
                let (n, more) = self.copy_from_read_buf(t, rest);
                kb += n;
                if more && kb >= minimum {
                    *cookie = true;
                    return Ok(kb);
                }
            }
            self.check_unthrottle(a);
            if kb >= minimum {
                break;
            }
            if policy.next != Timeout::Forever {
                timeout = policy.next;
            }
        }
        if old_tail != self.read_tail {
            self.kick_worker(a);
        }
        if kb > 0 {
            Ok(kb)
        } else {
            retval
        }
    }
}
