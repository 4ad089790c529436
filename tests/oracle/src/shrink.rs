//! Replaying a diverging case on fresh state, and shrinking it to a smaller one that still
//! diverges: shared by the oracle (cases of input chunks, on a pty and the engine) and the
//! guest differential test (scenarios of operations, on two pty pairs).

use n_rust_engine::Termios;

/// A differential harness: two sides that start afresh and run cases one after the other,
/// state carrying over from one case to the next.
pub trait Lockstep: Sized {
    /// What it runs.
    type Case: Clone;
    /// How the two sides differed.
    type Divergence;
    /// What a smaller case must keep diverging in (`()` when any divergence will do).
    type Kind: PartialEq;

    /// Both sides freshly opened (a failure to open is reported as a divergence).
    fn fresh() -> Result<Self, Self::Divergence>;
    /// Runs `case` on both sides: the first difference, if any.
    fn run(&mut self, case: &Self::Case) -> Result<(), Self::Divergence>;
    /// The kind of divergence `d` is.
    fn kind(d: &Self::Divergence) -> Self::Kind;
}

/// Runs `prefix` (what ran since the state was fresh), then `case`, on a fresh harness: the
/// divergence of `case`, if any, or the first divergence of a case of `prefix` (those agreed
/// when they first ran: one that differs now is a divergence too, not to be swallowed).
pub fn replay<L: Lockstep>(prefix: &[L::Case], case: &L::Case) -> Option<L::Divergence> {
    let mut sides = match L::fresh() {
        Ok(sides) => sides,
        Err(d) => return Some(d),
    };
    for earlier in prefix {
        if let Err(d) = sides.run(earlier) {
            return Some(d);
        }
    }
    sides.run(case).err()
}

/// The smallest diverging case found so far, with the replays it may still spend.
pub struct Shrinker<L: Lockstep> {
    prefix: Vec<L::Case>,
    best: L::Case,
    divergence: L::Divergence,
    kind: L::Kind,
    budget: usize,
}

/// A case's byte string `i` (an input chunk, a write), if it has one.
pub type BytesOf<C> = for<'a> fn(&'a mut C, usize) -> Option<&'a mut Vec<u8>>;

impl<L: Lockstep> Shrinker<L> {
    /// Replays `case` after `prefix`, then alone; `None` if it does not diverge again. The
    /// prefix is dropped when the case diverges alone. `kind` is what every smaller case must
    /// diverge in; `budget` is how many replays shrinking may spend.
    pub fn start(prefix: &[L::Case], case: &L::Case, kind: L::Kind, budget: usize) -> Option<Self> {
        let mut prefix = prefix.to_vec();
        let mut divergence = replay::<L>(&prefix, case)?;
        if let Some(alone) = replay::<L>(&[], case) {
            prefix.clear();
            divergence = alone;
        }
        Some(Shrinker {
            prefix,
            best: case.clone(),
            divergence,
            kind,
            budget,
        })
    }

    /// The smallest diverging case so far.
    pub fn best(&self) -> &L::Case {
        &self.best
    }

    /// Its divergence.
    pub fn divergence(&self) -> &L::Divergence {
        &self.divergence
    }

    /// Replays `candidate` (one replay of the budget) and keeps it if it diverges in the same
    /// kind; whether it was kept.
    pub fn attempt(&mut self, candidate: L::Case) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        match replay::<L>(&self.prefix, &candidate) {
            Some(d) if L::kind(&d) == self.kind => {
                self.best = candidate;
                self.divergence = d;
                true
            }
            _ => false,
        }
    }

    /// Drops items (chunks, operations) one at a time from the last, while more than `keep`
    /// are left.
    pub fn drop_items(
        &mut self,
        keep: usize,
        count: fn(&L::Case) -> usize,
        remove: fn(&mut L::Case, usize),
    ) {
        let mut i = count(&self.best);
        while i > 0 {
            i -= 1;
            let n = count(&self.best);
            if i < n && n > keep {
                let mut c = self.best.clone();
                remove(&mut c, i);
                self.attempt(c);
            }
        }
    }

    /// Removes ranges of bytes from each byte string, from the last, halving the range's size
    /// (delta debugging); a range never takes a whole string.
    pub fn drop_byte_ranges(&mut self, count: fn(&L::Case) -> usize, bytes: BytesOf<L::Case>) {
        for i in (0..count(&self.best)).rev() {
            let mut size = self.len_of(bytes, i) / 2;
            while size >= 1 {
                let mut start = 0;
                loop {
                    let len = self.len_of(bytes, i);
                    if start + size > len || len <= size {
                        break;
                    }
                    let mut c = self.best.clone();
                    if let Some(b) = bytes(&mut c, i) {
                        b.drain(start..start + size);
                    }
                    if !self.attempt(c) {
                        start += size;
                    }
                }
                size /= 2;
            }
        }
    }

    /// Removes single bytes from each byte string, from the last, leaving at least one.
    pub fn drop_single_bytes(&mut self, count: fn(&L::Case) -> usize, bytes: BytesOf<L::Case>) {
        let mut i = count(&self.best);
        while i > 0 {
            i -= 1;
            let mut j = self.len_of(bytes, i);
            while j > 0 {
                j -= 1;
                let len = self.len_of(bytes, i);
                if j < len && len > 1 {
                    let mut c = self.best.clone();
                    if let Some(b) = bytes(&mut c, i) {
                        b.remove(j);
                    }
                    self.attempt(c);
                }
            }
        }
    }

    /// Clears the set flags of the case's termios one at a time (the low 20 bits of the input,
    /// output and local flags).
    pub fn clear_termios_flags(&mut self, termios: fn(&mut L::Case) -> &mut Termios) {
        for bit in 0..20 {
            for which in 0..3 {
                let mut c = self.best.clone();
                let t = termios(&mut c);
                let flags = match which {
                    0 => &mut t.iflag.0,
                    1 => &mut t.oflag.0,
                    _ => &mut t.lflag.0,
                };
                if *flags & (1 << bit) != 0 {
                    *flags &= !(1 << bit);
                    self.attempt(c);
                }
            }
        }
    }

    /// The prefix still replayed first (empty when the case diverges alone), the smallest
    /// case and its divergence.
    pub fn finish(self) -> (Vec<L::Case>, L::Case, L::Divergence) {
        (self.prefix, self.best, self.divergence)
    }

    fn len_of(&mut self, bytes: BytesOf<L::Case>, i: usize) -> usize {
        bytes(&mut self.best, i).map_or(0, |b| b.len())
    }
}
