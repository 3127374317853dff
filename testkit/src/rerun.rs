//! Re-running the current test binary as a child process, for tests that need
//! a second process (locking, SIGKILL, a small stack, memory limits).
//!
//! On a foreign target the test binary is started by a runner (cargo's
//! `CARGO_TARGET_<T>_RUNNER`: `qemu-aarch64 -L /usr/aarch64-linux-gnu`, …).
//! Without binfmt_misc the host kernel cannot start the binary a second time
//! on its own, so a child must go through the same runner:
//! `scripts/cross-env.sh` exports it as `NOOK_TEST_RUNNER` (words split on
//! whitespace; empty or unset when the binary runs natively).
//!
//! Windows binaries run under wine are the exception: a Windows process
//! starts another Windows executable with CreateProcess, which wine serves
//! itself, so the runner (a host script) is neither needed nor startable from
//! there and is ignored.

use std::ffi::OsString;
use std::process::Command;

/// The words that start this test binary again: the runner's words (from
/// `NOOK_TEST_RUNNER`), then the path of the binary.
pub fn self_invocation() -> Vec<OsString> {
    let mut words: Vec<OsString> = runner_words().into_iter().map(OsString::from).collect();
    words.push(
        std::env::current_exe()
            .expect("the path of the running test binary")
            .into_os_string(),
    );
    words
}

/// A command that runs this test binary again (through the runner when there
/// is one); add the test's name and arguments.
pub fn self_command() -> Command {
    let mut words = self_invocation().into_iter();
    let mut command = Command::new(words.next().expect("a program to run"));
    command.args(words);
    command
}

fn runner_words() -> Vec<String> {
    if cfg!(windows) {
        return Vec::new();
    }
    std::env::var("NOOK_TEST_RUNNER")
        .map(|r| r.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// `n` scaled by `NOOK_TEST_SCALE`, a percentage (default 100) of the sizes of
/// the heavy tests: bulk loads, crash sweeps, property-test cases. Emulated
/// targets (qemu) run the engine 10–100 times slower; `NOOK_TEST_SCALE=10`
/// keeps every test and every code path but does a tenth of the repetitions.
/// Never below `min`, the size under which a test would stop meaning anything.
pub fn scaled(n: u64, min: u64) -> u64 {
    let percent = std::env::var("NOOK_TEST_SCALE")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(100);
    (n * percent / 100).max(min)
}
