//! Progress bars for long work (import, export, check, compact), drawn on
//! stderr only when stderr is a terminal: piped output never gets them.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// A progress bar, or nothing when stderr is not a terminal.
pub struct Progress(Option<ProgressBar>);

fn enabled() -> bool {
    std::io::stderr().is_terminal()
}

impl Progress {
    /// A bar over `total` bytes of input.
    pub fn bytes(total: u64, message: &str) -> Progress {
        Progress::bar(
            total,
            message,
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
    }

    /// A bar over `total` items.
    pub fn items(total: u64, message: &str) -> Progress {
        Progress::bar(total, message, "{msg} [{bar:30}] {pos}/{len} eta {eta}")
    }

    /// A spinner for work of unknown length, counting items if told.
    pub fn spinner(message: &str) -> Progress {
        if !enabled() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    fn bar(total: u64, message: &str, template: &str) -> Progress {
        if !enabled() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        Progress(Some(bar))
    }

    /// Sets the position (bytes or items done).
    pub fn set(&self, position: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
