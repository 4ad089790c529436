//! Canonical line editing, the ICANON branch of `n_tty_receive_char_special`: ERASE, WERASE
//! and KILL (`eraser`), LNEXT, REPRINT (`reprint`), and the characters that end a line
//! (newline, EOF, EOL, EOL2).

use super::actions::Actions;
use super::counters;
use super::ctype::{isalnum, iscntrl};
use super::state::{is_continuation, Engine, DISABLED_CHAR, MASK};
use super::termios::{LFlag, Termios};
use super::termios::{VEOF, VEOL, VEOL2, VERASE, VKILL, VLNEXT, VREPRINT, VWERASE};

/// What an `eraser` call erases (`kill_type` in `eraser`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum EraseKind {
    /// ERASE: one character.
    Erase,
    /// WERASE: back to the start of the word.
    Werase,
    /// KILL with ECHOKE: the line, character by character on the screen.
    Line,
}

impl Engine {
    /// A special character in canonical mode (the ICANON part of
    /// `n_tty_receive_char_special`): true if `c` was one of the line-editing or line-ending
    /// characters and is handled, false if it is an ordinary character after all.
    pub(super) fn receive_char_canon(&mut self, c: u8, t: &Termios, a: &mut impl Actions) -> bool {
        let iexten = t.l(LFlag::IEXTEN);
        let echo = t.l(LFlag::ECHO);
        if c == t.cc(VERASE) || c == t.cc(VKILL) || (c == t.cc(VWERASE) && iexten) {
            self.eraser(c, t);
            self.commit_echoes(t, a);
            return true;
        }
        if c == t.cc(VLNEXT) && iexten {
            self.receive_lnext(t, a);
            return true;
        }
        if c == t.cc(VREPRINT) && echo && iexten {
            self.reprint(c, t, a);
            return true;
        }
        if c == b'\n' {
            if echo || t.l(LFlag::ECHONL) {
                self.echo_char_raw(b'\n');
                self.commit_echoes(t, a);
            }
            self.handle_newline(c, t, a);
            return true;
        }
        if c == t.cc(VEOF) {
            // The EOF is stored as a line end with the `__DISABLED_CHAR` byte, which a read
            // does not return (an empty line is end of file).
            self.handle_newline(DISABLED_CHAR, t, a);
            return true;
        }
        if c == t.cc(VEOL) || (c == t.cc(VEOL2) && iexten) {
            self.receive_eol(c, t, a);
            return true;
        }
        false
    }

    /// Store a line end `c` and make the line readable (`n_tty_receive_handle_newline`).
    pub(super) fn handle_newline(&mut self, c: u8, t: &Termios, a: &mut impl Actions) {
        self.flag_set(self.read_head);
        self.put_tty_queue(c);
        self.canon_head = self.read_head;
        counters::add(&mut self.counters.lines, 1);
        a.input_arrived(|| self.input_available(t, true));
    }

    /// LNEXT: take the next character literally; with ECHO and ECHOCTL echo `^` and back
    /// over it (the LNEXT branch of `n_tty_receive_char_special`).
    fn receive_lnext(&mut self, t: &Termios, a: &mut impl Actions) {
        self.lnext = true;
        if t.l(LFlag::ECHO) {
            self.finish_erasing();
            if t.l(LFlag::ECHOCTL) {
                self.echo_char_raw(b'^');
                self.echo_char_raw(8);
                self.commit_echoes(t, a);
            }
        }
    }

    /// REPRINT (with ECHO and IEXTEN): echo the character, a newline and the line typed so
    /// far (the REPRINT branch of `n_tty_receive_char_special`, `reprint` in POSIX terms).
    fn reprint(&mut self, c: u8, t: &Termios, a: &mut impl Actions) {
        let mut tail = self.canon_head;
        self.finish_erasing();
        self.echo_char(c, t);
        self.echo_char_raw(b'\n');
        while tail & MASK != self.read_head & MASK {
            let b = self.rb(tail);
            self.echo_char(b, t);
            tail = tail.wrapping_add(1);
        }
        self.commit_echoes(t, a);
    }

    /// EOL or EOL2 (with IEXTEN): echoed like a character, stored (0xff doubled with
    /// PARMRK) as a line end (the EOL branch of `n_tty_receive_char_special`).
    fn receive_eol(&mut self, c: u8, t: &Termios, a: &mut impl Actions) {
        if t.l(LFlag::ECHO) {
            if self.canon_head == self.read_head {
                self.echo_set_canon_col();
            }
            self.echo_char(c, t);
            self.commit_echoes(t, a);
        }
        self.store_parmrk_escape(c, t);
        self.handle_newline(c, t, a);
    }

    /// ERASE, WERASE or KILL `c` (`eraser`): nothing to do on an empty line; KILL without
    /// ECHO, or without all of ECHOK, ECHOKE and ECHOE, drops the line at once
    /// ([`Engine::kill_line_at_once`]); otherwise characters are erased one by one from the
    /// end ([`Engine::erase_back`]), and an ECHOPRT erase is closed when the line is empty.
    fn eraser(&mut self, c: u8, t: &Termios) {
        if self.read_head == self.canon_head {
            return;
        }
        let echo = t.l(LFlag::ECHO);
        let kind = if c == t.cc(VERASE) {
            EraseKind::Erase
        } else if c == t.cc(VWERASE) {
            EraseKind::Werase
        } else {
            if !echo || !t.l(LFlag::ECHOK) || !t.l(LFlag::ECHOKE) || !t.l(LFlag::ECHOE) {
                self.kill_line_at_once(t);
                return;
            }
            EraseKind::Line
        };
        self.erase_back(kind, t);
        if self.read_head == self.canon_head && echo {
            self.finish_erasing();
        }
    }

    /// KILL that drops the whole line in one step (the first KILL branch of `eraser`):
    /// with ECHO, echo the KILL character, and a newline with ECHOK.
    fn kill_line_at_once(&mut self, t: &Termios) {
        self.read_head = self.canon_head;
        if !t.l(LFlag::ECHO) {
            return;
        }
        self.finish_erasing();
        self.echo_char(t.cc(VKILL), t);
        if t.l(LFlag::ECHOK) {
            self.echo_char_raw(b'\n');
        }
    }

    /// The loop of `eraser`: take characters off the end of the line (a UTF-8 character as
    /// a whole with IUTF8) and echo each erasure; ERASE stops after one, WERASE at the
    /// start of the word (alphanumerics and `_`, after skipping what precedes them), KILL at
    /// the start of the line.
    fn erase_back(&mut self, kind: EraseKind, t: &Termios) {
        let mut seen_alnums = 0u32;
        while self.read_head & MASK != self.canon_head & MASK {
            let mut head = self.read_head;
            let mut ch;
            loop {
                head = head.wrapping_sub(1);
                ch = self.rb(head);
                if !(is_continuation(ch, t) && head & MASK != self.canon_head & MASK) {
                    break;
                }
            }
            if is_continuation(ch, t) {
                break;
            }
            if kind == EraseKind::Werase {
                if isalnum(ch) || ch == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let cnt = self.read_head.wrapping_sub(head);
            self.read_head = head;
            if t.l(LFlag::ECHO) {
                self.echo_erased(ch, head, cnt, kind, t);
            }
            if kind == EraseKind::Erase {
                break;
            }
        }
    }

    /// Echo the erasure of `ch`, which took `cnt` bytes from `head` (the echo part of
    /// `eraser`'s loop): with ECHOPRT the character between `\` and `/`; an ERASE without
    /// ECHOE the ERASE character; a tab by backing to where it started
    /// ([`Engine::echo_erased_tab`]); anything else by backspace, space, backspace (twice for
    /// a control character echoed as `^X`, not at all for one echoed raw).
    fn echo_erased(&mut self, ch: u8, head: usize, cnt: usize, kind: EraseKind, t: &Termios) {
        if t.l(LFlag::ECHOPRT) {
            if !self.erasing {
                self.echo_char_raw(b'\\');
                self.erasing = true;
            }
            self.echo_char(ch, t);
            let mut head = head;
            let mut cnt = cnt;
            while cnt > 1 {
                cnt -= 1;
                head = head.wrapping_add(1);
                let b = self.rb(head);
                self.echo_char_raw(b);
                self.echo_move_back_col();
            }
        } else if kind == EraseKind::Erase && !t.l(LFlag::ECHOE) {
            self.echo_char(t.cc(VERASE), t);
        } else if ch == b'\t' {
            self.echo_erased_tab(t);
        } else {
            if iscntrl(ch) && t.l(LFlag::ECHOCTL) {
                self.echo_char_raw(8);
                self.echo_char_raw(b' ');
                self.echo_char_raw(8);
            }
            if !iscntrl(ch) || t.l(LFlag::ECHOCTL) {
                self.echo_char_raw(8);
                self.echo_char_raw(b' ');
                self.echo_char_raw(8);
            }
        }
    }

    /// An erased tab (the tab branch of `eraser`): count the columns echoed since the
    /// previous tab, or since the start of the line, and queue the op that backs up to where
    /// the tab began once the echo is written (`echo_erase_tab`).
    fn echo_erased_tab(&mut self, t: &Termios) {
        let mut num_chars = 0u32;
        let mut after_tab = false;
        let mut tail = self.read_head;
        while tail & MASK != self.canon_head & MASK {
            tail = tail.wrapping_sub(1);
            let b = self.rb(tail);
            if b == b'\t' {
                after_tab = true;
                break;
            } else if iscntrl(b) {
                if t.l(LFlag::ECHOCTL) {
                    num_chars = num_chars.wrapping_add(2);
                }
            } else if !is_continuation(b, t) {
                num_chars = num_chars.wrapping_add(1);
            }
        }
        self.echo_erase_tab(num_chars, after_tab);
    }
}
