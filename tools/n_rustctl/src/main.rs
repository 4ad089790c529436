//! `n_rustctl`: attach and detach a tty's line discipline, show which one a tty runs, and
//! show the counters n_rust keeps for each tty it runs on. `n_rustctl --help` says how.

mod counters;
mod failure;
mod holder;
mod ldiscs;
mod tty;

use failure::{Failure, Kind, Outcome};
use tty::Tty;

const HELP: &str = "\
usage: n_rustctl attach [-f|--foreground] TTY DISC
       n_rustctl detach TTY
       n_rustctl show TTY
       n_rustctl stats TTY
       n_rustctl --help

TTY is a path (/dev/ttyS1) or a name under /dev (ttyS1, pts/3).
DISC is a discipline number (0 to 30) or a name from /proc/tty/ldiscs (n_rust, n_tty).

  attach   put DISC on TTY (TIOCSETD) and keep TTY open, as ldattach does: a process
           forks off, leaves the session and holds the line until TTY stops running DISC
           (detach, another TIOCSETD, a hangup) or gets SIGTERM; its pid is printed.
           With -f it holds the line itself, in the foreground (pid printed too).
  detach   give TTY back N_TTY's number, 0 (the holder of an attach then exits).
  show     print which discipline TTY runs: `TTY: NAME (NUMBER)`. A tty with a
           line in /proc/tty/n_rust is n_rust, whatever its number (n_rust may
           serve number 0 in place of N_TTY).
  stats    print n_rust's counters for TTY, one `NAME VALUE` line each.

exit status:
  0  done
  1  another failure (the line says which)
  2  bad command line
  3  no such device
  4  not a tty
  5  permission denied
  6  n_rust not loaded
  7  discipline number out of range
  8  the tty does not run n_rust (stats)
  9  no such discipline registered
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let status = match run(&args) {
        Ok(()) => 0,
        Err(failure) => {
            eprintln!("n_rustctl: {failure}");
            failure.kind.status()
        }
    };
    std::process::exit(status);
}

/// A bad command line.
fn usage(message: &str) -> Failure {
    Failure::new(
        Kind::Usage,
        format!("{message} (n_rustctl --help for usage)"),
    )
}

fn run(args: &[String]) -> Outcome {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if words.iter().any(|w| *w == "--help" || *w == "-h") {
        print!("{HELP}");
        return Ok(());
    }
    match words.as_slice() {
        ["attach", rest @ ..] => {
            let options: Vec<&str> = rest.iter().copied().filter(|w| is_option(w)).collect();
            if let Some(unknown) = options.iter().find(|w| !["-f", "--foreground"].contains(w)) {
                return Err(usage(&format!("unknown option {unknown:?}")));
            }
            let operands: Vec<&str> = rest.iter().copied().filter(|w| !is_option(w)).collect();
            match operands.as_slice() {
                [tty, disc] => attach(tty, disc, !options.is_empty()),
                _ => Err(usage("attach takes TTY and DISC")),
            }
        }
        ["detach", tty] => detach(tty),
        ["show", tty] => show(tty),
        ["stats", tty] => stats(tty),
        [] => Err(usage("no command")),
        [command, ..] if ["attach", "detach", "show", "stats"].contains(command) => {
            Err(usage(&format!("{command} takes one TTY")))
        }
        [command, ..] => Err(usage(&format!("unknown command {command:?}"))),
    }
}

/// An option of `attach` (`-1` is a discipline number, refused later as out of range).
fn is_option(word: &str) -> bool {
    word == "-f" || word.starts_with("--")
}

fn attach(tty: &str, disc: &str, foreground: bool) -> Outcome {
    let list = ldiscs::registered()?;
    let number = ldiscs::resolve(disc, &list)?;
    let tty = Tty::open(tty)?;
    tty.set_discipline(number)?;
    holder::hold(tty, number, foreground)
}

fn detach(tty: &str) -> Outcome {
    let tty = Tty::open(tty)?;
    tty.set_discipline(0)
}

/// The name of what `tty` runs and its number.
fn discipline_of(tty: &Tty) -> Outcome<(String, i32)> {
    let number = tty.discipline()?;
    if counters::line_of(tty.dev, &listed_name(&tty.path))?.is_some() {
        return Ok((ldiscs::N_RUST.to_string(), number));
    }
    let list = ldiscs::registered()?;
    let name = ldiscs::name_of(&list, number).unwrap_or("unknown");
    Ok((name.to_string(), number))
}

fn show(tty: &str) -> Outcome {
    let tty = Tty::open(tty)?;
    let (name, number) = discipline_of(&tty)?;
    println!("{}: {name} ({number})", tty.path);
    Ok(())
}

fn stats(tty: &str) -> Outcome {
    if !counters::loaded() {
        return Err(Failure::new(
            Kind::NotLoaded,
            format!("n_rust is not loaded (no {})", counters::FILE),
        ));
    }
    let tty = Tty::open(tty)?;
    let Some(line) = counters::line_of(tty.dev, &listed_name(&tty.path))? else {
        let (name, number) = discipline_of(&tty)?;
        return Err(Failure::new(
            Kind::NotOnNRust,
            format!(
                "{}: does not run n_rust (it runs {name}, {number})",
                tty.path
            ),
        ));
    };
    for (name, value) in counters::read_counters(&line)? {
        println!("{name:<12} {value}");
    }
    Ok(())
}

/// The name n_rust lists the tty at `path` under: the kernel's tty name, which is the path
/// under `/dev` without its slashes (`/dev/pts/3` is `pts3`).
fn listed_name(path: &str) -> String {
    path.strip_prefix("/dev/").unwrap_or(path).replace('/', "")
}
